import { timingSafeEqual } from 'node:crypto';
import { AppError } from '@flowloom/nodes';

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
 * one is refused at startup (docs/contracts.md §6), so an exposed runtime is never open.
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

/** Constant-time equality of a presented token (a header, a socket.io handshake value) and the expected one. */
export function tokenMatches(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
