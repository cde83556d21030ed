import { describe, expect, it } from 'vitest';
import { adminAuthMode, isAdminExempt, isLoopbackHost, RateLimiter, tokenMatches } from './auth.js';

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

describe('admin token rules', () => {
  it('knows loopback hosts', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.2', 'example.com']) expect(isLoopbackHost(host)).toBe(false);
  });

  it('is on with a token, open on loopback without one, and refuses a public host without one', () => {
    expect(adminAuthMode('0.0.0.0', 'x')).toBe('token');
    expect(adminAuthMode('127.0.0.1', 'x')).toBe('token');
    expect(adminAuthMode('127.0.0.1', undefined)).toBe('open');
    expect(() => adminAuthMode('0.0.0.0', undefined)).toThrow(
      expect.objectContaining({ code: 'SERVICE_NOT_CONFIGURED' }),
    );
  });

  it('exempts health, the published API and non-API paths only', () => {
    expect(isAdminExempt('/api/health')).toBe(true);
    expect(isAdminExempt('/api/v1/chat/completions')).toBe(true);
    expect(isAdminExempt('/widget.js')).toBe(true);
    expect(isAdminExempt('/')).toBe(true);
    expect(isAdminExempt('/api/flows')).toBe(false);
    expect(isAdminExempt('/api/keys')).toBe(false);
    expect(isAdminExempt('/api/v1flows')).toBe(false);
  });

  it('compares tokens by value', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true);
    expect(tokenMatches('abd', 'abc')).toBe(false);
    expect(tokenMatches('ab', 'abc')).toBe(false);
    expect(tokenMatches(undefined, 'abc')).toBe(false);
  });
});
