import { AppError } from '@flowloom/nodes';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { tokenMatches } from '../publishing/auth.js';
import { type ApiKey, isInScope, type KeyService } from '../publishing/keys.js';
import type { KeyRateLimiter } from '../publishing/rate-limiter.js';

/** Paths under /api that never need the admin token: health checks and the key-authenticated published API. */
export function isAdminExempt(path: string): boolean {
  return path === '/api/health' || path.startsWith('/api/v1/') || path === '/api/v1' || !path.startsWith('/api');
}

/** The bearer credential of a request (`Authorization: Bearer <x>`), or undefined. */
export function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/**
 * An `onRequest` hook enforcing the admin token on `/api/*` (except `isAdminExempt`). The editor sends it as
 * `Authorization: Bearer <token>`; socket.io clients as the handshake's `auth.token` (checked in live/traces.ts).
 */
export function adminTokenHook(token: string) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    // The matched route's pattern, not the raw URL: odd spellings of a path cannot dodge the check.
    const path = request.routeOptions.url ?? request.url.split('?')[0] ?? '/';
    if (isAdminExempt(path) || request.method === 'OPTIONS') return;
    if (tokenMatches(bearerOf(request), token)) return;
    reply.header('www-authenticate', 'Bearer realm="flowloom-admin"');
    throw new AppError(
      'UNAUTHORIZED',
      'this runtime needs the admin token: send Authorization: Bearer <FLOWLOOM_ADMIN_TOKEN>',
    );
  };
}

const REFUSALS = {
  missing: 'send your API key as Authorization: Bearer flk_...',
  malformed: 'the API key is not valid',
  unknown: 'the API key is not valid',
  revoked: 'the API key was revoked',
} as const;

/**
 * Authenticates a published-endpoint request by API key and takes one token from the key's rate limit. Runs as an
 * `onRequest` hook, before the body is read: an anonymous caller gets 401 (or 429) without costing a parse.
 * Throws UNAUTHORIZED (401) or RATE_LIMITED (429, with `retry-after`): nothing runs then.
 */
export async function authenticateKey(
  keys: KeyService,
  limiter: KeyRateLimiter,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<ApiKey> {
  const origin = typeof request.headers.origin === 'string' ? request.headers.origin : undefined;
  const check = await keys.verify(bearerOf(request), undefined, origin);
  // A browser key from elsewhere (or from a server: no Origin) is refused, and not recorded as used.
  if (!check.ok && check.reason === 'origin') {
    throw new AppError(
      'FORBIDDEN',
      `this browser key works only from a page on ${check.origins.join(', ')}${origin === undefined ? '' : `, not ${origin}`}`,
    );
  }
  if (!check.ok) {
    reply.header('www-authenticate', 'Bearer realm="flowloom"');
    throw new AppError('UNAUTHORIZED', REFUSALS[check.reason as keyof typeof REFUSALS]);
  }
  const taken = await limiter.take(check.key.id, check.key.rateLimit);
  if (!taken.ok) {
    reply.header('retry-after', String(taken.retryAfterSec));
    throw new AppError('RATE_LIMITED', `rate limit of this API key reached: retry in ${taken.retryAfterSec} s`, {
      details: [{ retryAfterSec: taken.retryAfterSec }],
    });
  }
  return check.key;
}

/**
 * The origins a request may come from for a flow: a browser key's own (checked when it was presented), else the
 * published version's allow-list.
 */
export function callerOrigins(key: ApiKey, versionOrigins: readonly string[]): readonly string[] {
  return key.kind === 'browser' ? key.origins : versionOrigins;
}

/** Refuses (403 FORBIDDEN) a key whose scope does not include the flow. */
export function requireScope(key: ApiKey, flowId: string): void {
  if (!isInScope(key, flowId)) throw new AppError('FORBIDDEN', `this API key may not call flow "${flowId}"`);
}
