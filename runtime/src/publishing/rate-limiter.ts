/** The answer of taking a token: taken (with what is left), or how many seconds to wait. */
export type TakeResult = { ok: true; remaining: number } | { ok: false; retryAfterSec: number };

/** Per-key request limits of published endpoints: in memory (one process), or in Redis (shared by api processes). */
export interface KeyRateLimiter {
  readonly defaultPerMinute: number;
  /** Takes one token for `id`; `perMinute` null: the default. */
  take(id: string, perMinute?: number | null): TakeResult | Promise<TakeResult>;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * Per-key token buckets in memory: a key may burst up to its per-minute limit, refilled continuously at
 * limit/60 per second. One process, so no coordination is needed; buckets start full after a restart.
 */
export class RateLimiter implements KeyRateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #now: () => number;

  constructor(
    readonly defaultPerMinute: number,
    now: () => number = () => performance.now(),
  ) {
    this.#now = now;
  }

  /** Takes one token for `id`. Answers how many seconds to wait when none is left. */
  take(id: string, perMinute: number | null = null): TakeResult {
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
