import { createRequire } from 'node:module';
import { Readable, type Transform } from 'node:stream';
import { constants, createBrotliDecompress, createGunzip, createInflate, createInflateRaw } from 'node:zlib';
import { AppError } from '@flowloom/nodes';
import type { Agent, Dispatcher } from 'undici';

/**
 * What a model provider answered, before anything reads the body: status, headers and the body's chunks (decoded
 * when the provider compressed it); `stop()` when the rest is not wanted.
 */
export interface RawAnswer {
  status: number;
  statusText: string;
  headers: Headers;
  chunks: AsyncIterator<Uint8Array, undefined>;
  /** Stops reading the body (read or not yet): its connection is closed, not reused. */
  stop(): void;
}

type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * The HTTP client of model calls, on undici's dispatcher API (`Agent.request`) instead of `fetch`. Both are undici
 * underneath, but `fetch` runs the whole Fetch standard per call (request and response objects, WHATWG streams for
 * the body, CORS and cache steps that a server-to-server call never needs): a streamed chat call cost about 0.6 ms
 * more CPU through it (docs/performance.md, "The model calls' HTTP client"). The wire stays what `fetch` sent: the
 * same keep-alive connection pooling per origin, `accept-encoding: gzip, deflate` with the body decoded here (and
 * `br`), redirects followed (at most 20; undici drops credentials on a redirect to another origin), undici's default
 * header and body timeouts (300 s each; the SDK's own timeout and the caller's signal come first). A request whose
 * body is not a string (a form, a stream: no model call sends one) goes through `fetch`.
 */
export async function sendToProvider(url: string, init: RequestInit = {}): Promise<RawAnswer> {
  const body = init.body;
  if (body !== undefined && body !== null && typeof body !== 'string') return fromResponse(await fetch(url, init));
  const target = new URL(url);
  if (target.username !== '' || target.password !== '') {
    // As `fetch` does: credentials go in headers (the SDK's API key), never in the URL.
    throw new TypeError(`Request cannot be constructed from a URL that includes credentials: ${target.origin}`);
  }
  const method = (init.method ?? 'GET').toUpperCase() as Dispatcher.HttpMethod;
  const { agent, request } = dispatcher();
  const answer = await request.call(agent, {
    origin: target.origin,
    path: target.pathname + target.search,
    method,
    headers: requestHeaders(init.headers),
    body: body ?? undefined,
    signal: init.signal ?? undefined,
  });
  // Errors reach whoever reads the body (its iterator); until someone does, and after a stop, nobody need hear of
  // them (undici fails a body destroyed before its end with "aborted").
  answer.body.on('error', ignore);
  try {
    const headers = responseHeaders(answer.headers);
    const status = answer.statusCode;
    const hasBody = method !== 'HEAD' && status !== 204 && status !== 205 && status !== 304;
    const stream = hasBody ? await decoded(answer.body, headers.get('content-encoding')) : answer.body;
    return {
      status,
      statusText: '',
      headers,
      chunks: stream[Symbol.asyncIterator]() as AsyncIterator<Uint8Array, undefined>,
      stop: () => stream.destroy(),
    };
  } catch (err) {
    answer.body.destroy();
    throw err;
  }
}

function ignore(): void {}

/** The same answer read from a `fetch` Response (tests hand the guard their own `fetch`). */
export function fromResponse(response: Response): RawAnswer {
  const stream = response.body;
  const chunks: AsyncIterator<Uint8Array, undefined> = stream
    ? stream[Symbol.asyncIterator]()
    : Readable.from([])[Symbol.asyncIterator]();
  return {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
    chunks,
    // A web stream's iterator cancels the stream on return, read or not.
    stop: () => void chunks.return?.().catch(() => undefined),
  };
}

/** Answers as `sendToProvider` gives them, from another `fetch` (the guard's tests hand it theirs). */
export function rawOf(inner: Fetch): (url: string, init?: RequestInit) => Promise<RawAnswer> {
  return async (url, init) => fromResponse(await inner(url, init));
}

/** `Dispatcher.request`, called on an `Agent`. */
type RequestFn = (this: Agent, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;

let pool: { agent: Agent; request: RequestFn } | undefined;

/**
 * One connection pool per process, like `fetch`'s global dispatcher (idle connections keep no process alive). undici
 * is loaded on the first model call, as Node loads its own for the first `fetch`, and only the two parts used: the
 * whole package took 80 ms to load and 2.8 MB of heap at every start, these take half and a third
 * (docs/performance.md, "Start, first run and live subscribers").
 */
function dispatcher(): { agent: Agent; request: RequestFn } {
  if (!pool) {
    const load = createRequire(import.meta.url);
    const AgentClass = load('undici/lib/dispatcher/agent.js') as typeof Agent;
    pool = {
      agent: new AgentClass({ maxRedirections: 20 }),
      request: load('undici/lib/api/api-request.js') as RequestFn,
    };
  }
  return pool;
}

/** The request's headers as undici takes them (a flat name, value list), plus `fetch`'s `accept-encoding`. */
function requestHeaders(init: RequestInit['headers']): string[] {
  const flat: string[] = [];
  let hasEncoding = false;
  for (const [name, value] of init instanceof Headers ? init : new Headers(init)) {
    if (name === 'accept-encoding') hasEncoding = true;
    flat.push(name, value);
  }
  if (!hasEncoding) flat.push('accept-encoding', 'gzip, deflate');
  return flat;
}

/**
 * The answer's headers. undici decodes their values as UTF-8; `fetch` takes their bytes as Latin-1 characters (all
 * `Headers` takes), so a value with other than ASCII is turned back into its bytes.
 */
function responseHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const headers = new Headers();
  for (const name in raw) {
    const value = raw[name];
    if (value === undefined) continue;
    if (typeof value === 'string') headers.append(name, asBytes(value));
    else for (const one of value) headers.append(name, asBytes(one));
  }
  return headers;
}

/** A character that is neither printable ASCII nor a tab (a header value holds nothing else, but for bytes past 0x7f). */
const NOT_ASCII = /[^\t -~]/;

function asBytes(value: string): string {
  return NOT_ASCII.test(value) ? Buffer.from(value, 'utf8').toString('latin1') : value;
}

/** At most this many codings, as `fetch` (more is a decompression bomb, not a real answer). */
const MAX_CODINGS = 5;
/** Decode what arrived even when the end is missing, as `fetch` does (`Z_SYNC_FLUSH`). */
const LENIENT = { flush: constants.Z_SYNC_FLUSH, finishFlush: constants.Z_SYNC_FLUSH };

/**
 * The body, decoded when the provider compressed it (`gzip`, `deflate`, `br`, undone in the reverse order they were
 * applied). As with `fetch`: a coding this does not know (`identity` included) leaves the body as it came, and more
 * than five fail (PROVIDER_ERROR).
 */
async function decoded(body: Readable, encoding: string | null): Promise<Readable> {
  if (encoding === null) return body;
  const codings = encoding
    .toLowerCase()
    .split(',')
    .map((coding) => coding.trim())
    .filter((coding) => coding !== '');
  if (codings.length > MAX_CODINGS) {
    throw new AppError(
      'PROVIDER_ERROR',
      `The model provider's answer has ${codings.length} content codings (${encoding.slice(0, 100)}), more than ${MAX_CODINGS}`,
    );
  }
  if (!codings.every((coding) => KNOWN_CODINGS.has(coding))) return body;
  let stream: Readable = body;
  for (const coding of codings.reverse()) {
    const decoder = await decoderFor(coding, stream);
    const source = stream;
    // Errors travel on to the decoder (read by the SDK); stopping the decoder stops the body and its connection.
    source.on('error', (err) => decoder.destroy(err));
    decoder.on('error', ignore);
    decoder.on('close', () => source.destroy());
    stream = source.pipe(decoder);
    // Failed while its first byte was awaited: the decoder would wait for an end that never comes.
    if (source.errored) decoder.destroy(source.errored);
  }
  return stream;
}

const KNOWN_CODINGS = new Set(['gzip', 'x-gzip', 'deflate', 'br']);

async function decoderFor(coding: string, source: Readable): Promise<Transform> {
  if (coding === 'gzip' || coding === 'x-gzip') return createGunzip(LENIENT);
  if (coding === 'br') {
    return createBrotliDecompress({
      flush: constants.BROTLI_OPERATION_FLUSH,
      finishFlush: constants.BROTLI_OPERATION_FLUSH,
    });
  }
  // `deflate` as servers send it: zlib-wrapped (RFC 1950) as the standard says, or raw (RFC 1951) as some do; the
  // first byte tells them apart (as in `fetch`).
  const first = await firstByte(source);
  return first !== undefined && (first & 0x0f) !== 0x08 ? createInflateRaw(LENIENT) : createInflate(LENIENT);
}

/** The first byte of a stream, left in it to be read; undefined when it ends (or fails) first. */
function firstByte(stream: Readable): Promise<number | undefined> {
  return new Promise((resolve) => {
    const done = (byte: number | undefined) => {
      stream.off('readable', look);
      stream.off('end', none);
      stream.off('error', none);
      stream.off('close', none);
      resolve(byte);
    };
    const none = () => done(undefined);
    const look = () => {
      const chunk: Buffer | null = stream.read();
      if (chunk === null) return;
      stream.unshift(chunk);
      done(chunk[0]);
    };
    stream.on('readable', look);
    stream.once('end', none);
    stream.once('error', none);
    stream.once('close', none);
  });
}
