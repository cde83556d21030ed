import { AppError } from '@flowloom/nodes';

/** The largest answer taken from a model provider, streamed or not (FLOWLOOM_MAX_ANSWER_BYTES). */
export const DEFAULT_MAX_ANSWER_BYTES = 4 * 1024 * 1024;

const SAMPLE_CHARS = 200;
const DONE_MARKER = 'data: [DONE]';

/** What a guarded event stream saw: the SDK's stream hides the raw bytes, so these say what came back. */
export interface StreamProbe {
  bytes: number;
  /** The first characters of the body, to quote in an error. */
  sample: string;
  /** True once `data: [DONE]` went by. */
  hasDone: boolean;
}

type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * A `fetch` for the OpenAI SDK that checks what a provider answers before the SDK reads it, because the SDK takes
 * garbage with status 200 for an empty success. Answers with an error status pass through (the SDK maps them).
 * Successful ones: a streamed request must get `text/event-stream`, and a plain one a JSON body (an HTML page, an
 * empty body or invalid JSON is PROVIDER_ERROR quoting what came back); any answer larger than `maxBytes` is
 * PROVIDER_ERROR as soon as it passes the limit. Errors thrown here reach the caller as the `cause` of the SDK's
 * connection error (see `providerCause`). Streams are counted, sampled and watched for their end marker (`probeOf`).
 */
export function guardedFetch(maxBytes: number, probes: WeakMap<Response, StreamProbe>, inner: Fetch = fetch): Fetch {
  return async (input, init) => {
    const response = await inner(input, init);
    if (!response.ok || !response.body) return response;
    const type = response.headers.get('content-type') ?? '';
    const isStreamRequest = typeof init?.body === 'string' && /"stream"\s*:\s*true/.test(init.body);
    if (isStreamRequest && type.includes('text/event-stream')) {
      const probe: StreamProbe = { bytes: 0, sample: '', hasDone: false };
      const guarded = new Response(response.body.pipeThrough(watchStream(maxBytes, probe)), {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
      probes.set(guarded, probe);
      return guarded;
    }
    const text = await readCapped(response, maxBytes);
    const what = describeBody(type, text);
    if (isStreamRequest) {
      throw new AppError('PROVIDER_ERROR', `The model provider answered a streamed request with ${what}`);
    }
    try {
      JSON.parse(text);
    } catch {
      throw new AppError('PROVIDER_ERROR', `The model provider answered with ${what}, not JSON`);
    }
    return new Response(text, { status: response.status, statusText: response.statusText, headers: response.headers });
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

/** The first characters of a text, on one line. */
export function quote(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > SAMPLE_CHARS ? `${line.slice(0, SAMPLE_CHARS)}…` : line;
}

function tooLarge(maxBytes: number): AppError {
  return new AppError(
    'PROVIDER_ERROR',
    `The model provider's answer is larger than ${maxBytes} bytes (FLOWLOOM_MAX_ANSWER_BYTES); it was cut off`,
  );
}

/** The whole body as text, failing as soon as it passes `maxBytes` (the rest is never read). */
async function readCapped(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge(maxBytes);
  }
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Counts a stream's bytes (erroring past `maxBytes`), keeps its first characters and notes its end marker. */
function watchStream(maxBytes: number, probe: StreamProbe): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder();
  // The end of the previous chunk, so a marker split across two chunks is still seen.
  let tail = '';
  return new TransformStream({
    transform(chunk, controller) {
      probe.bytes += chunk.byteLength;
      if (probe.bytes > maxBytes) {
        controller.error(tooLarge(maxBytes));
        return;
      }
      const text = decoder.decode(chunk, { stream: true });
      if (probe.sample.length < SAMPLE_CHARS) probe.sample += text.slice(0, SAMPLE_CHARS - probe.sample.length);
      if (!probe.hasDone && (tail + text).includes(DONE_MARKER)) probe.hasDone = true;
      tail = text.slice(-DONE_MARKER.length);
      controller.enqueue(chunk);
    },
  });
}
