import { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { Agent, type Dispatcher } from 'undici';

/**
 * What a model provider answered, before anything reads the body: status, headers and the body's chunks (decoded
 * when the provider compressed it). `chunks.return()` stops reading and frees the connection.
 */
export interface RawAnswer {
  status: number;
  statusText: string;
  headers: Headers;
  chunks: AsyncIterator<Uint8Array, undefined>;
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
  const answer = await dispatcher().request({
    origin: target.origin,
    path: target.pathname + target.search,
    method: (init.method ?? 'GET') as Dispatcher.HttpMethod,
    headers: requestHeaders(init.headers),
    body: body ?? undefined,
    signal: init.signal ?? undefined,
  });
  const headers = responseHeaders(answer.headers);
  return {
    status: answer.statusCode,
    statusText: '',
    headers,
    chunks: decoded(answer.body, headers.get('content-encoding')),
  };
}

/** The same answer read from a `fetch` Response (tests hand the guard their own `fetch`). */
export function fromResponse(response: Response): RawAnswer {
  const stream = response.body;
  return {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
    chunks: stream ? stream[Symbol.asyncIterator]() : emptyChunks(),
  };
}

/** `sendToProvider` as a `fetch` over any other `fetch` (the guard's tests hand it theirs). */
export function rawOf(inner: Fetch): (url: string, init?: RequestInit) => Promise<RawAnswer> {
  return async (url, init) => fromResponse(await inner(url, init));
}

let agent: Agent | undefined;

/** One connection pool per process, like `fetch`'s global dispatcher (idle connections keep no process alive). */
function dispatcher(): Agent {
  agent ??= new Agent({ maxRedirections: 20 });
  return agent;
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

function responseHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const headers = new Headers();
  for (const name in raw) {
    const value = raw[name];
    if (value === undefined) continue;
    if (typeof value === 'string') headers.append(name, value);
    else for (const one of value) headers.append(name, one);
  }
  return headers;
}

/**
 * The body's chunks, decoded when the provider compressed it (`gzip`, `deflate`, `br`, in the order they were
 * applied; an unknown coding passes as is, as with `fetch`).
 */
function decoded(body: Readable, encoding: string | null): AsyncIterator<Uint8Array, undefined> {
  let stream: Readable = body;
  if (encoding !== null) {
    const codings = encoding
      .toLowerCase()
      .split(',')
      .map((coding) => coding.trim());
    for (const coding of codings.reverse()) {
      const decoder =
        coding === 'gzip' || coding === 'x-gzip'
          ? createGunzip()
          : coding === 'deflate'
            ? createInflate()
            : coding === 'br'
              ? createBrotliDecompress()
              : undefined;
      if (!decoder) continue;
      const source = stream;
      // Errors travel on to the decoder (read by the SDK); stopping the decoder stops the body and its connection.
      source.on('error', (err) => decoder.destroy(err));
      decoder.on('close', () => source.destroy());
      stream = source.pipe(decoder);
    }
  }
  return stream[Symbol.asyncIterator]() as AsyncIterator<Uint8Array, undefined>;
}

function emptyChunks(): AsyncIterator<Uint8Array, undefined> {
  return Readable.from([])[Symbol.asyncIterator]();
}
