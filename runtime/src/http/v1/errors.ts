import type { ErrorBody } from '@flowloom/nodes';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toHttpError } from '../errors.js';

/** OpenAI's error `type` for an HTTP status. */
export function openaiErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** The offending request field, when the error names one (`body.messages` → `messages`). */
function paramOf(body: ErrorBody): string | null {
  const first = body.details?.[0] as { field?: unknown; param?: unknown } | undefined;
  const field = typeof first?.field === 'string' ? first.field : typeof first?.param === 'string' ? first.param : null;
  return field ? field.replace(/^body\./, '') : null;
}

/** An error body in both shapes at once: docs/contracts.md §3 `{code, message, details?}` and OpenAI `{type, param}`. */
export function v1ErrorBody(status: number, body: ErrorBody) {
  return { error: { ...body, type: openaiErrorType(status), param: paramOf(body) } };
}

/** Error handler of the published API. */
export function sendV1Error(this: unknown, err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, body } = toHttpError(err);
  if (status >= 500) request.log.error({ err }, 'request failed');
  return reply.status(status).send(v1ErrorBody(status, body));
}
