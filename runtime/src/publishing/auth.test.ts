import { describe, expect, it } from 'vitest';
import { adminAuthMode, isLoopbackHost, tokenMatches } from './auth.js';

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

  it('compares tokens by value', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true);
    expect(tokenMatches('abd', 'abc')).toBe(false);
    expect(tokenMatches('ab', 'abc')).toBe(false);
    expect(tokenMatches(undefined, 'abc')).toBe(false);
  });
});
