import { AppError, type ErrorBody, type ErrorCode, isAppError, toErrorBody } from '@flowloom/nodes';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { type SchemaIssue, validationProblems } from '../schema-problems.js';

/** The error answer of every route (docs/contracts.md §3). */
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

const FASTIFY_CODES: Record<string, { code: ErrorCode; message?: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'BAD_REQUEST', message: 'The body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    code: 'BAD_REQUEST',
    message: 'The body is empty but content-type is application/json',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'BODY_TOO_LARGE', message: 'The body is larger than the limit of 1 MiB' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'BAD_REQUEST', message: 'Unsupported content-type: send application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'BAD_REQUEST', message: 'The content-length does not match the body' },
  FST_ERR_BAD_URL: { code: 'BAD_REQUEST', message: 'The URL is not valid: its path has a %-escape that is not UTF-8' },
};

/** Maps any error to the error shape and status of docs/contracts.md §3; the only error handler of the app. */
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
