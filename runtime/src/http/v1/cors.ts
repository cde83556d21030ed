import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const ALLOW_HEADERS = 'authorization, content-type, accept, x-flowloom-session, x-flowloom-client';
const EXPOSE_HEADERS = 'x-run-id, retry-after';

function sameOrigin(request: FastifyRequest, origin: string): boolean {
  return origin === `${request.protocol}://${request.host}`;
}

/** The origin to allow for this request, or null when the request is cross-origin and not on the list. */
export function allowedOrigin(request: FastifyRequest, origins: readonly string[]): string | null {
  const origin = request.headers.origin;
  if (typeof origin !== 'string') return null;
  if (origins.includes('*') || origins.includes(origin) || sameOrigin(request, origin)) return origin;
  return null;
}

/** True when a browser sent the request from an origin not on the list (non-browser callers send no Origin). */
export function isOriginRefused(request: FastifyRequest, origins: readonly string[]): boolean {
  return typeof request.headers.origin === 'string' && allowedOrigin(request, origins) === null;
}

/**
 * Sets the CORS answer headers on the raw response, so they survive `reply.hijack()` (streams): Node merges headers
 * set with setHeader into the later writeHead.
 */
export function applyCors(request: FastifyRequest, reply: FastifyReply, origins: readonly string[]): void {
  const origin = allowedOrigin(request, origins);
  reply.raw.setHeader('vary', 'Origin');
  if (!origin) {
    // A wider list may have allowed it earlier in the request (the published API's onRequest hook): narrow it.
    reply.raw.removeHeader('access-control-allow-origin');
    reply.raw.removeHeader('access-control-expose-headers');
    return;
  }
  reply.raw.setHeader('access-control-allow-origin', origin);
  reply.raw.setHeader('access-control-expose-headers', EXPOSE_HEADERS);
}

/** Answers a preflight: 204, with the allow headers only when the origin is allowed. */
export function answerPreflight(request: FastifyRequest, reply: FastifyReply, origins: readonly string[]) {
  const origin = allowedOrigin(request, origins);
  reply.header('vary', 'Origin');
  if (origin) {
    reply
      .header('access-control-allow-origin', origin)
      .header('access-control-allow-methods', 'GET, POST, OPTIONS')
      .header('access-control-allow-headers', ALLOW_HEADERS)
      .header('access-control-max-age', '600');
  }
  return reply.status(204).send();
}

/** Origins allowed by any published flow (for endpoints whose flow is in the body: chat completions, models). */
export async function anyFlowOrigins(app: FastifyInstance): Promise<string[]> {
  const { published } = app.runtime;
  const origins = new Set<string>();
  for (const flowId of await published.flowIds()) {
    const latest = published.cachedLatest(flowId) ?? (await published.latest(flowId));
    for (const origin of latest?.settings.allowedOrigins ?? []) origins.add(origin);
  }
  return [...origins];
}
