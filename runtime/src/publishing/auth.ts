import { timingSafeEqual } from 'node:crypto';
import { AppError } from '@flowloom/nodes';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type ApiKey, isInScope, type KeyService } from './keys.js';

/** True for 127.0.0.0/8, ::1 and `localhost`: the only hosts where the editor API may run without a token. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || h === '::ffff:127.0.0.1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/**
 * Whether the editor API needs the admin token: whenever one is configured. Listening on a non-loopback host without
 * one is refused at startup (CONTRACTS §6), so an exposed runtime is never open.
 */
export function adminAuthMode(host: string, adminToken: string | undefined): 'token' | 'open' {
  if (adminToken) return 'token';
  if (!isLoopbackHost(host)) {
    throw new AppError(
      'SERVICE_NOT_CONFIGURED',
      `HOST is ${host} (not a loopback address): set FLOWLOOM_ADMIN_TOKEN so the editor API is not open to the network`,
    );
  }
  return 'open';
}

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

/** Constant-time equality of a presented token (a header, a socket.io handshake value) and the expected one. */
export function tokenMatches(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * An `onRequest` hook enforcing the admin token on `/api/*` (except `isAdminExempt`). The editor sends it as
 * `Authorization: Bearer <token>`; socket.io clients as the handshake's `auth.token` (checked in traces.ts).
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

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * Per-key token buckets in memory: a key may burst up to its per-minute limit, refilled continuously at
 * limit/60 per second. One process, so no coordination is needed; buckets start full after a restart.
 */
export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #now: () => number;

  constructor(
    readonly defaultPerMinute: number,
    now: () => number = () => performance.now(),
  ) {
    this.#now = now;
  }

  /** Takes one token for `id`. Answers how many seconds to wait when none is left. */
  take(
    id: string,
    perMinute: number | null = null,
  ): { ok: true; remaining: number } | { ok: false; retryAfterSec: number } {
    const limit = perMinute ?? this.defaultPerMinute;
    const now = this.#now();
    const perMs = limit / 60_000;
    let bucket = this.#buckets.get(id);
    if (!bucket) {
      bucket = { tokens: limit, updatedAt: now };
      this.#buckets.set(id, bucket);
    } else {
      bucket.tokens = Math.min(limit, bucket.tokens + (now - bucket.updatedAt) * perMs);
      bucket.updatedAt = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true, remaining: Math.floor(bucket.tokens) };
    }
    return { ok: false, retryAfterSec: Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)) };
  }
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
export function authenticateKey(
  keys: KeyService,
  limiter: RateLimiter,
  request: FastifyRequest,
  reply: FastifyReply,
): ApiKey {
  const check = keys.verify(bearerOf(request));
  if (!check.ok) {
    reply.header('www-authenticate', 'Bearer realm="flowloom"');
    throw new AppError('UNAUTHORIZED', REFUSALS[check.reason as keyof typeof REFUSALS]);
  }
  const taken = limiter.take(check.key.id, check.key.rateLimit);
  if (!taken.ok) {
    reply.header('retry-after', String(taken.retryAfterSec));
    throw new AppError('RATE_LIMITED', `rate limit of this API key reached: retry in ${taken.retryAfterSec} s`, {
      details: [{ retryAfterSec: taken.retryAfterSec }],
    });
  }
  return check.key;
}

/** Refuses (403 FORBIDDEN) a key whose scope does not include the flow. */
export function requireScope(key: ApiKey, flowId: string): void {
  if (!isInScope(key, flowId)) throw new AppError('FORBIDDEN', `this API key may not call flow "${flowId}"`);
}
