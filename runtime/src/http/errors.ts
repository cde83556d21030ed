import { AppError, type ErrorBody, type ErrorCode, isAppError, toErrorBody } from '@flowloom/nodes';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';

/** The error answer of every route (CONTRACTS §3). */
export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Optional(Type.Array(Type.Unknown())),
    }),
  },
  { description: 'Every failure: a public code, a message and, for bad input, every problem.' },
);

/** Response schemas shared by routes for their error statuses. */
export const errorResponses = {
  '4xx': ErrorResponse,
  '5xx': ErrorResponse,
} as const;

/** One problem in a request, naming the field at fault (`body.nodes.0.position.x`). */
export interface FieldProblem {
  field: string;
  message: string;
}

interface SchemaIssue {
  instancePath?: string;
  schemaPath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** What one alternative of a union wants, as a phrase after "must be": `"running"`, `string`, `>= 1`. */
function wanted(issue: SchemaIssue): string | undefined {
  const params = issue.params ?? {};
  if (issue.keyword === 'const') return JSON.stringify(params.allowedValue);
  if (issue.keyword === 'type' && typeof params.type === 'string') return params.type;
  return issue.message?.startsWith('must be ') ? issue.message.slice('must be '.length) : undefined;
}

/**
 * One issue per union that failed, saying what it takes ("must be one of "running", "completed"", "must be >= 1 or
 * null"), instead of one issue per alternative plus "must match a schema in anyOf". A lone `const` names its value.
 */
function mergeUnions(issues: readonly SchemaIssue[]): SchemaIssue[] {
  const merged = new Map<SchemaIssue, SchemaIssue | null>();
  for (const union of issues) {
    if (union.keyword !== 'anyOf' || union.schemaPath === undefined) continue;
    const prefix = `${union.schemaPath}/anyOf/`;
    const branches = issues.filter(
      (issue) => issue.instancePath === union.instancePath && issue.schemaPath?.startsWith(prefix),
    );
    // An alternative that took the value's type but failed inside it is what the caller meant: its deeper issues
    // say what is wrong, and the other alternatives ("must be string or null") would only mislead.
    const inside = `${union.instancePath ?? ''}/`;
    const isDeeper = issues.some(
      (issue) => issue.schemaPath?.startsWith(prefix) && issue.instancePath?.startsWith(inside) === true,
    );
    if (isDeeper) {
      for (const issue of [union, ...branches]) merged.set(issue, null);
      continue;
    }
    const phrases = branches.map(wanted);
    if (branches.length === 0 || phrases.some((phrase) => phrase === undefined)) continue;
    const isEnum = branches.every((branch) => branch.keyword === 'const');
    const message = isEnum ? `must be one of ${phrases.join(', ')}` : `must be ${[...new Set(phrases)].join(' or ')}`;
    // The first branch's place in the list takes the merged issue; the rest of the union goes.
    merged.set(branches[0] as SchemaIssue, { instancePath: union.instancePath, keyword: 'anyOf', message });
    for (const issue of [union, ...branches.slice(1)]) merged.set(issue, null);
  }
  const out: SchemaIssue[] = [];
  for (const issue of issues) {
    const replacement = merged.get(issue);
    if (replacement === null) continue;
    if (replacement) out.push(replacement);
    else if (issue.keyword === 'const') out.push({ ...issue, message: `must be ${wanted(issue)}` });
    else out.push(issue);
  }
  return out;
}

function fieldName(context: string, pointer: string): string {
  const path = pointer
    .split('/')
    .filter((part) => part !== '')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'));
  return [context, ...path].join('.');
}

/** Turns Fastify (TypeBox or Ajv) validation issues into one problem per field. */
export function validationProblems(context: string, issues: readonly SchemaIssue[]): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const seen = new Set<string>();
  for (const issue of mergeUnions(issues)) {
    const at = issue.instancePath ?? '';
    const params = issue.params ?? {};
    let entries: FieldProblem[];
    if (issue.keyword === 'required') {
      const names = (params.requiredProperties ?? [params.missingProperty]) as unknown[];
      entries = names.map((name) => ({ field: fieldName(context, `${at}/${String(name)}`), message: 'is required' }));
    } else if (issue.keyword === 'additionalProperties') {
      const names = (params.additionalProperties ?? [params.additionalProperty]) as unknown[];
      entries = names.map((name) => ({
        field: fieldName(context, `${at}/${String(name)}`),
        message: 'is not an allowed field',
      }));
    } else if (issue.keyword === 'boolean' && issue.message === 'schema is false') {
      entries = [{ field: fieldName(context, at), message: 'is not an allowed field' }];
    } else {
      entries = [{ field: fieldName(context, at), message: issue.message ?? 'is invalid' }];
    }
    for (const entry of entries) {
      const key = `${entry.field}\0${entry.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      problems.push(entry);
    }
  }
  return problems;
}

const FASTIFY_CODES: Record<string, { code: ErrorCode; message?: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'BAD_REQUEST', message: 'The body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    code: 'BAD_REQUEST',
    message: 'The body is empty but content-type is application/json',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'BODY_TOO_LARGE', message: 'The body is larger than the limit of 1 MiB' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'BAD_REQUEST', message: 'Unsupported content-type: send application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'BAD_REQUEST', message: 'The content-length does not match the body' },
};

/** Maps any error to the CONTRACTS error shape and status; the only error handler of the app. */
export function toHttpError(err: unknown): { status: number; body: ErrorBody } {
  if (isAppError(err)) return { status: err.status, body: toErrorBody(err) };
  const fastifyError = err as Partial<FastifyError> & { validationContext?: string };
  if (fastifyError.validation) {
    const details = validationProblems(
      fastifyError.validationContext ?? 'request',
      fastifyError.validation as SchemaIssue[],
    );
    const first = details[0];
    const message = first
      ? `${first.field} ${first.message}${details.length > 1 ? ` (and ${details.length - 1} more)` : ''}`
      : 'Invalid request';
    return { status: 400, body: { code: 'VALIDATION_FAILED', message, details } };
  }
  const known = fastifyError.code ? FASTIFY_CODES[fastifyError.code] : undefined;
  const status = fastifyError.statusCode ?? 500;
  if (known)
    return { status, body: { code: known.code, message: known.message ?? fastifyError.message ?? known.code } };
  if (status >= 400 && status < 500) {
    return {
      status,
      body: { code: status === 404 ? 'NOT_FOUND' : 'BAD_REQUEST', message: fastifyError.message ?? 'Bad request' },
    };
  }
  return { status: 500, body: { code: 'INTERNAL', message: 'Internal error' } };
}

/** Fastify error handler: answers `{error: {code, message, details?}}`, logging real faults with their stack. */
export function sendError(this: unknown, err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, body } = toHttpError(err);
  if (status >= 500) request.log.error({ err }, 'request failed');
  return reply.status(status).send({ error: body });
}

/** Fastify not-found handler for API routes. */
export function sendNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const error = new AppError('NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}`);
  return reply.status(404).send({ error: toErrorBody(error) });
}
