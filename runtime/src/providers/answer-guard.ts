import { AppError } from '@flowloom/nodes';
import { type RawAnswer, rawOf, sendToProvider } from './provider-http.js';

/** The largest answer taken from a model provider, streamed or not (FLOWLOOM_MAX_ANSWER_BYTES). */
export const DEFAULT_MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/**
 * Embedding answers are vectors as JSON: a batch of 256 texts at 1,536 dimensions is about 8 MB. They are bounded by
 * this or the answer limit, whichever is larger.
 */
export const MIN_EMBEDDINGS_ANSWER_BYTES = 64 * 1024 * 1024;

const SAMPLE_CHARS = 200;
const DONE_BYTES = Buffer.from('data: [DONE]');
const MARKER_START = DONE_BYTES[0] as number;
/** Enough bytes for `SAMPLE_CHARS` characters of UTF-8. */
const SAMPLE_BYTES = SAMPLE_CHARS * 4;

/**
 * What a guarded event stream saw: the SDK's stream hides the raw bytes, so these say what came back. The sample is
 * decoded only when read (an error message); the stream keeps just its first bytes meanwhile.
 */
export class StreamProbe {
  bytes = 0;
  /** True once `data: [DONE]` went by. */
  hasDone = false;
  /** The first chunks of the body, up to `SAMPLE_BYTES`. */
  readonly #head: Uint8Array[] = [];
  #headBytes = 0;
  /** How many bytes of the end marker the bytes so far end with (a marker split across chunks). */
  #partial = 0;

  /** The first characters of the body, to quote in an error. */
  get sample(): string {
    return Buffer.concat(this.#head).toString('utf8').slice(0, SAMPLE_CHARS);
  }

  /** Counts a chunk, keeps it while the sample needs it, and looks for the end marker in it. */
  see(chunk: Uint8Array): void {
    this.bytes += chunk.byteLength;
    if (this.#headBytes < SAMPLE_BYTES) {
      this.#head.push(chunk);
      this.#headBytes += chunk.byteLength;
    }
    if (this.hasDone) return;
    if (this.#partial > 0) {
      // The previous chunks ended with the marker's first bytes: does this one go on with the rest?
      const want = DONE_BYTES.length - this.#partial;
      const n = Math.min(want, chunk.byteLength);
      if (matches(chunk, 0, this.#partial, n)) {
        if (n === want) {
          this.hasDone = true;
          return;
        }
        this.#partial += n;
        return;
      }
      this.#partial = 0;
    }
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (bytes.includes(DONE_BYTES)) {
      this.hasDone = true;
      return;
    }
    // The marker's first byte ('d') occurs nowhere else in it, so a split marker starts at the last 'd' near the end.
    const from = Math.max(0, chunk.byteLength - (DONE_BYTES.length - 1));
    const at = bytes.lastIndexOf(MARKER_START, chunk.byteLength - 1);
    if (at >= from && matches(chunk, at, 0, chunk.byteLength - at)) this.#partial = chunk.byteLength - at;
  }
}

/** True when `chunk[at, at + n)` equals the end marker's bytes `[offset, offset + n)`. */
function matches(chunk: Uint8Array, at: number, offset: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (chunk[at + i] !== DONE_BYTES[offset + i]) return false;
  return true;
}

type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** HTTP statuses whose answer has no body (a `Response` with one would throw). */
const NULL_BODY_STATUS = new Set([204, 205, 304]);

/**
 * A `fetch` for the OpenAI SDK that sends model calls over the providers' HTTP client (`sendToProvider`, or `inner`
 * when given: the tests' own) and checks what a provider answers before the SDK reads it, because the SDK takes
 * garbage with status 200 for an empty success. Answers with an error status go to the SDK as they came (their text
 * cut at `maxBytes`; the SDK maps them). Successful ones: a streamed request must get `text/event-stream`, and a
 * plain one a JSON body (an HTML page, an empty body or invalid JSON is PROVIDER_ERROR quoting what came back); any
 * answer larger than `maxBytes` (for embeddings: `MIN_EMBEDDINGS_ANSWER_BYTES` when larger) is PROVIDER_ERROR as soon
 * as it passes the limit. Errors thrown here reach the caller as the `cause` of the SDK's connection error (see
 * `providerCause`). Streams are counted, sampled and watched for their end marker (the `probes` map, by the response
 * handed to the SDK); a JSON answer is parsed once, here, and the SDK's `json()` gets that value.
 */
export function guardedFetch(maxBytes: number, probes: WeakMap<Response, StreamProbe>, inner?: Fetch): Fetch {
  const send = inner ? rawOf(inner) : sendToProvider;
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const answer = await send(url, init);
    const { status, statusText, headers } = answer;
    const limit = /\/embeddings(\?|$)/.test(url) ? Math.max(maxBytes, MIN_EMBEDDINGS_ANSWER_BYTES) : maxBytes;
    const answerInit = { status, statusText, headers };
    if (status < 200 || status > 299) {
      const text = await readCapped(answer, limit, false);
      return new Response(NULL_BODY_STATUS.has(status) ? null : text, answerInit);
    }
    const type = headers.get('content-type') ?? '';
    const isStreamRequest = typeof init?.body === 'string' && /"stream"\s*:\s*true/.test(init.body);
    if (isStreamRequest && type.includes('text/event-stream')) {
      const probe = new StreamProbe();
      const response = new Response(null, answerInit);
      Object.defineProperty(response, 'body', { value: watchBody(answer, limit, probe), configurable: true });
      probes.set(response, probe);
      return response;
    }
    const text = await readCapped(answer, limit, true);
    if (isStreamRequest) {
      throw new AppError(
        'PROVIDER_ERROR',
        `The model provider answered a streamed request with ${describeBody(type, text)}`,
      );
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new AppError('PROVIDER_ERROR', `The model provider answered with ${describeBody(type, text)}, not JSON`);
    }
    const response = new Response(text, answerInit);
    // Parsed once: an embeddings answer can be tens of megabytes.
    Object.defineProperty(response, 'json', { value: () => Promise.resolve(value), configurable: true });
    return response;
  };
}

/** The AppError a guarded fetch threw, from the SDK error that wraps it (or the error itself), else undefined. */
export function providerCause(err: unknown): AppError | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    if (current instanceof AppError) return current;
    current = current.cause;
  }
  return undefined;
}

/** `text/html (200 bytes): <!DOCTYPE html>…`, or `an empty body`: what a provider sent, to quote in an error. */
export function describeBody(type: string, text: string): string {
  if (text.trim() === '') return `an empty body${type ? ` (${type})` : ''}`;
  return `${type || 'no content-type'} (${Buffer.byteLength(text)} bytes): ${quote(text)}`;
}

/** The first characters of a text, on one line (only its beginning is looked at: answers can be megabytes). */
export function quote(text: string): string {
  const head = text.length > SAMPLE_CHARS * 4 ? text.slice(0, SAMPLE_CHARS * 4) : text;
  const line = head.replace(/\s+/g, ' ').trim();
  return line.length > SAMPLE_CHARS || head.length < text.length ? `${line.slice(0, SAMPLE_CHARS)}…` : line;
}

function tooLarge(maxBytes: number): AppError {
  return new AppError(
    'PROVIDER_ERROR',
    `The model provider's answer is larger than ${maxBytes} bytes (FLOWLOOM_MAX_ANSWER_BYTES); it was cut off`,
  );
}

/**
 * The whole body as text, read no further than `maxBytes`: past it, PROVIDER_ERROR when `strict` (a success), else
 * the text so far (an error's message, cut).
 */
async function readCapped(answer: RawAnswer, maxBytes: number, strict: boolean): Promise<string> {
  const { chunks } = answer;
  const declared = Number(answer.headers.get('content-length') ?? Number.NaN);
  if (strict && declared > maxBytes) {
    answer.stop();
    throw tooLarge(maxBytes);
  }
  const parts: Uint8Array[] = [];
  let bytes = 0;
  for (;;) {
    const { done, value } = await chunks.next();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > maxBytes) {
      answer.stop();
      if (strict) throw tooLarge(maxBytes);
      parts.push(value.subarray(0, value.byteLength - (bytes - maxBytes)));
      break;
    }
    parts.push(value);
  }
  return Buffer.concat(parts).toString('utf8');
}

/**
 * The body of a streamed answer, read through: counts its bytes (failing past `maxBytes`), keeps its first characters
 * and notes its end marker. It is an async iterator over the body's chunks, handed to the SDK as the response's
 * `body`: the `openai` SDK reads a stream body as an async iterable when it is one (`ReadableStreamToAsyncIterable`
 * in its shims), so no stream is put in the way. A `TransformStream` that decoded every chunk cost about 6 µs per
 * chunk (0.2 ms per call on the engine benchmark), a pull `ReadableStream` about 3; this costs well under 1, and the
 * bytes are searched as bytes (`StreamProbe.see`: no copy, no allocation per chunk): only the sample is ever decoded,
 * when an error quotes it. The provider tests (the stream guard and the garbage streams in openai.test.ts) go through
 * the real SDK, so an SDK that stopped reading bodies this way fails them.
 */
function watchBody(answer: RawAnswer, maxBytes: number, probe: StreamProbe): AsyncIterableIterator<Uint8Array> {
  const { chunks } = answer;
  // One promise per chunk (`then` with a plain callback), not an async function's two.
  const seen = (result: IteratorResult<Uint8Array, undefined>): IteratorResult<Uint8Array> | Promise<never> => {
    if (result.done) return result;
    probe.see(result.value);
    if (probe.bytes > maxBytes) {
      answer.stop();
      return Promise.reject(tooLarge(maxBytes));
    }
    return result;
  };
  const iterator: AsyncIterableIterator<Uint8Array> = {
    next: () => chunks.next().then(seen),
    async return() {
      answer.stop();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
