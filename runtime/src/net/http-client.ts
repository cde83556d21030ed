import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { AppError, type HttpRequest, type HttpResponse, type HttpService } from '@flowloom/nodes';

/** Operator settings of outgoing HTTP (http and tool-http nodes). */
export interface HttpClientConfig {
  /** Allow private, loopback and link-local addresses (FLOWLOOM_HTTP_ALLOW_PRIVATE=1). Off by default. */
  allowPrivate?: boolean;
  /**
   * Hosts and networks allowed even when private (FLOWLOOM_HTTP_ALLOW_HOSTS, comma separated): host names
   * (`api.internal`, `*.corp.example`), addresses (`10.1.2.3`) or CIDR ranges (`10.0.0.0/8`, `fd00::/8`).
   */
  allowHosts?: readonly string[];
  defaultTimeoutMs?: number;
  maxTimeoutMs?: number;
  /** Largest response body, in bytes. */
  maxBytes?: number;
  maxRedirects?: number;
  userAgent?: string;
}

const DEFAULTS = {
  defaultTimeoutMs: 30_000,
  maxTimeoutMs: 120_000,
  maxBytes: 10 * 1024 * 1024,
  maxRedirects: 5,
  userAgent: 'flowloom',
};

/** The HTTP settings from environment variables (`configFromEnv` passes those of its ENVIRONMENT list). */
export function httpClientConfigFromEnv(env: Record<string, string | undefined>): HttpClientConfig {
  const allow = env.FLOWLOOM_HTTP_ALLOW_PRIVATE;
  return {
    allowPrivate: allow === '1' || allow === 'true',
    allowHosts: (env.FLOWLOOM_HTTP_ALLOW_HOSTS ?? '')
      .split(',')
      .map((host) => host.trim())
      .filter((host) => host !== ''),
  };
}

// Addresses no user-controlled request may reach: private, loopback, link-local, shared, reserved, multicast,
// documentation ranges, and IPv6 forms that embed an IPv4 address (NAT64, 6to4). BlockList checks IPv4-mapped
// IPv6 addresses (::ffff:a.b.c.d) against the IPv4 rules itself.
const BLOCKED_V4: [string, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];
const BLOCKED_V6: [string, number][] = [
  // IPv4-compatible (::a.b.c.d, deprecated; :: and ::1 among them) and IPv4-translated (::ffff:0:a.b.c.d) forms:
  // both carry an IPv4 address that BlockList does not check against the IPv4 rules.
  ['::', 96],
  ['::ffff:0:0:0', 96],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
];

const blocked = new BlockList();
for (const [address, prefix] of BLOCKED_V4) blocked.addSubnet(address, prefix, 'ipv4');
for (const [address, prefix] of BLOCKED_V6) blocked.addSubnet(address, prefix, 'ipv6');

function family(address: string): 'ipv4' | 'ipv6' | null {
  const version = isIP(address);
  return version === 4 ? 'ipv4' : version === 6 ? 'ipv6' : null;
}

/** Whether an IP address is private, loopback, link-local or otherwise not a public destination. */
export function isBlockedAddress(address: string): boolean {
  const type = family(address);
  if (!type) return true;
  return blocked.check(address, type);
}

/** The SSRF policy: which hosts and addresses a request may reach. */
class AddressPolicy {
  readonly #allowPrivate: boolean;
  readonly #hosts: string[] = [];
  readonly #suffixes: string[] = [];
  readonly #networks = new BlockList();

  constructor(config: HttpClientConfig) {
    this.#allowPrivate = config.allowPrivate === true;
    for (const raw of config.allowHosts ?? []) {
      const entry = raw.trim().toLowerCase();
      const [address, prefix] = entry.split('/');
      const type = address ? family(address) : null;
      if (address && type) {
        this.#networks.addSubnet(address, prefix === undefined ? (type === 'ipv4' ? 32 : 128) : Number(prefix), type);
      } else if (entry.startsWith('*.')) this.#suffixes.push(entry.slice(1));
      else if (entry !== '') this.#hosts.push(entry);
    }
  }

  hostAllowed(hostname: string): boolean {
    const host = hostname.toLowerCase();
    return this.#allowPrivate || this.#hosts.includes(host) || this.#suffixes.some((suffix) => host.endsWith(suffix));
  }

  addressAllowed(address: string): boolean {
    if (this.#allowPrivate || !isBlockedAddress(address)) return true;
    const type = family(address);
    return type !== null && this.#networks.check(address, type);
  }
}

function blockedError(host: string, address?: string): AppError {
  return new AppError(
    'HTTP_ADDRESS_BLOCKED',
    `refused to reach ${host}${address && address !== host ? ` (${address})` : ''}: private, loopback and link-local addresses are blocked; the operator may allow them with FLOWLOOM_HTTP_ALLOW_PRIVATE=1 or FLOWLOOM_HTTP_ALLOW_HOSTS`,
    { status: 403 },
  );
}

/**
 * Outgoing HTTP with an SSRF guard. The check runs on the addresses DNS actually returned, inside the socket's
 * own lookup, so a name cannot resolve to a public address for the check and a private one for the connection.
 * Redirects are followed by hand (each hop checked again), bodies are capped, and every request has a deadline.
 */
export class GuardedHttpClient implements HttpService {
  readonly #config: typeof DEFAULTS;
  readonly #policy: AddressPolicy;

  constructor(config: HttpClientConfig = {}) {
    this.#config = {
      defaultTimeoutMs: config.defaultTimeoutMs ?? DEFAULTS.defaultTimeoutMs,
      maxTimeoutMs: config.maxTimeoutMs ?? DEFAULTS.maxTimeoutMs,
      maxBytes: config.maxBytes ?? DEFAULTS.maxBytes,
      maxRedirects: config.maxRedirects ?? DEFAULTS.maxRedirects,
      userAgent: config.userAgent ?? DEFAULTS.userAgent,
    };
    this.#policy = new AddressPolicy(config);
  }

  async request(request: HttpRequest, options: { signal: AbortSignal }): Promise<HttpResponse> {
    options.signal.throwIfAborted();
    const timeoutMs = Math.min(
      Math.max(1, request.timeoutMs ?? this.#config.defaultTimeoutMs),
      this.#config.maxTimeoutMs,
    );
    const maxBytes = Math.min(request.maxBytes ?? this.#config.maxBytes, this.#config.maxBytes);
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = AbortSignal.any([options.signal, timeout]);
    let method = request.method.toUpperCase();
    let body = request.body;
    let headers: Record<string, string> = { 'user-agent': this.#config.userAgent, ...lowerKeys(request.headers ?? {}) };
    let url = parseUrl(request.url);
    try {
      for (let hop = 0; ; hop++) {
        const response = await this.#send(url, method, headers, body, signal, maxBytes);
        const location = response.headers.location;
        if (response.status >= 300 && response.status < 400 && location && hop < this.#config.maxRedirects) {
          const next = parseUrl(new URL(location, url).href);
          if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
            method = 'GET';
            body = undefined;
            const { 'content-type': _type, 'content-length': _length, ...rest } = headers;
            headers = rest;
          }
          if (next.origin !== url.origin) {
            // Another origin gets none of the headers the flow set (an API key may be in any of them): only the user
            // agent, and the body's type while a body still goes along (307, 308).
            const type = body === undefined ? undefined : headers['content-type'];
            headers = { 'user-agent': this.#config.userAgent, ...(type !== undefined && { 'content-type': type }) };
          }
          url = next;
          continue;
        }
        return { ...response, url: url.href };
      }
    } catch (err) {
      if (options.signal.aborted) throw options.signal.reason;
      if (err instanceof AppError) throw err;
      if (timeout.aborted) {
        throw new AppError('HTTP_REQUEST_FAILED', `${method} ${url.host} timed out after ${timeoutMs} ms`, {
          cause: err,
          retryable: true,
        });
      }
      const code = (err as { code?: string }).code;
      throw new AppError(
        'HTTP_REQUEST_FAILED',
        `${method} ${url.host} failed: ${code ?? (err instanceof Error ? err.message : String(err))}`,
        { cause: err, retryable: code === 'ECONNRESET' || code === 'ECONNREFUSED' || code === 'ETIMEDOUT' },
      );
    }
  }

  #send(
    url: URL,
    method: string,
    headers: Record<string, string>,
    body: string | undefined,
    signal: AbortSignal,
    maxBytes: number,
  ): Promise<Omit<HttpResponse, 'url'>> {
    const hostname = url.hostname.replace(/^\[|\]$/g, '');
    const policy = this.#policy;
    const hostAllowed = policy.hostAllowed(hostname);
    if (isIP(hostname) && !hostAllowed && !policy.addressAllowed(hostname)) throw blockedError(hostname);
    const lookup: LookupFunction = (name, lookupOptions, callback) => {
      dnsLookup(name, { ...lookupOptions, all: true }, (err, addresses: LookupAddress[]) => {
        if (err) return callback(err, '', 0);
        const usable = hostAllowed ? addresses : addresses.filter((a) => policy.addressAllowed(a.address));
        if (usable.length === 0) return callback(blockedError(name, addresses[0]?.address), '', 0);
        if (lookupOptions.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, usable);
        const first = usable[0] as LookupAddress;
        callback(null, first.address, first.family);
      });
    };
    const transport = url.protocol === 'https:' ? https : http;
    const payload = body === undefined ? undefined : Buffer.from(body, 'utf8');
    return new Promise((resolve, reject) => {
      const req = transport.request(
        url,
        {
          method,
          headers: { ...headers, ...(payload && { 'content-length': String(payload.length) }) },
          lookup,
          signal,
        },
        (res) => {
          readBody(res, maxBytes).then(
            (text) => resolve({ status: res.statusCode ?? 0, headers: flatHeaders(res), body: text }),
            reject,
          );
        },
      );
      req.on('error', reject);
      if (payload) req.end(payload);
      else req.end();
    });
  }
}

/** The HTTP service with the given policy. */
export function createHttpClient(config: HttpClientConfig = {}): HttpService {
  return new GuardedHttpClient(config);
}

function parseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new AppError('HTTP_REQUEST_FAILED', `"${text.slice(0, 200)}" is not a valid URL`, { status: 400 });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AppError('HTTP_ADDRESS_BLOCKED', `only http and https URLs are allowed, not ${url.protocol}`, {
      status: 403,
    });
  }
  return url;
}

function lowerKeys(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) out[key.toLowerCase()] = String(value);
  return out;
}

function flatHeaders(res: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(res.headers)) {
    if (value !== undefined) out[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function readBody(res: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        res.destroy();
        reject(new AppError('HTTP_REQUEST_FAILED', `the response is larger than ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
    res.on('aborted', () =>
      reject(new AppError('HTTP_REQUEST_FAILED', 'the response was cut off', { retryable: true })),
    );
  });
}
