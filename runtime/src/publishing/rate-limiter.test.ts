import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limiter.js';

describe('RateLimiter', () => {
  it('allows a burst up to the per-minute limit, then refills continuously', () => {
    let now = 0;
    const limiter = new RateLimiter(60, () => now);
    for (let i = 0; i < 60; i++) expect(limiter.take('k').ok).toBe(true);
    expect(limiter.take('k')).toEqual({ ok: false, retryAfterSec: 1 });
    now += 1000; // one token per second at 60/min
    expect(limiter.take('k').ok).toBe(true);
    expect(limiter.take('k').ok).toBe(false);
  });

  it('keeps one bucket per key and honours a per-key limit', () => {
    let now = 0;
    const limiter = new RateLimiter(1000, () => now);
    expect(limiter.take('a', 2).ok).toBe(true);
    expect(limiter.take('a', 2).ok).toBe(true);
    const refused = limiter.take('a', 2);
    expect(refused).toEqual({ ok: false, retryAfterSec: 30 });
    expect(limiter.take('b', 2).ok).toBe(true);
    now += 30_000;
    expect(limiter.take('a', 2).ok).toBe(true);
  });
});
