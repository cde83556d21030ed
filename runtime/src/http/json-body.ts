import { AppError, findValueProblem, MAX_VALUE_DEPTH } from '@flowloom/nodes';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * How deep a JSON body may nest as a whole: a value in it (a run input, a param of a flow in the body) may nest
 * `MAX_VALUE_DEPTH` levels below the few levels of the body's own shape, and is checked against that where it is used.
 */
export const MAX_BODY_DEPTH = MAX_VALUE_DEPTH + 8;

/**
 * Parses a JSON body: 400 BAD_REQUEST when it is not JSON, and 400 VALIDATION_FAILED naming the field when it nests
 * deeper than `MAX_BODY_DEPTH` (storing or comparing it would overflow the stack) or has a `__proto__` key (which
 * would reach an object's prototype once copied with `Object.assign`). `JSON.parse` and the check are iterative.
 */
export function parseJsonBody(text: string): unknown {
  if (text === '') {
    throw new AppError('BAD_REQUEST', 'The body is empty but content-type is application/json');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new AppError('BAD_REQUEST', `The body is not valid JSON: ${err instanceof Error ? err.message : err}`);
  }
  const found = findValueProblem(value, { prefix: 'body', maxDepth: MAX_BODY_DEPTH, forbidProtoKeys: true });
  if (found) {
    throw new AppError('VALIDATION_FAILED', `${found.path} ${found.message}`, {
      details: [{ field: found.path, message: found.message }],
    });
  }
  return value;
}

/** Replaces Fastify's JSON parser with `parseJsonBody` (same content types, same body limit). */
export function useJsonBodyParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string' },
    (_request: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) => {
      try {
        done(null, parseJsonBody(typeof body === 'string' ? body : body.toString('utf8')));
      } catch (err) {
        done(err as Error);
      }
    },
  );
}
