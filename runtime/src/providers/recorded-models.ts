import { createHash } from 'node:crypto';
import {
  AppError,
  type ChatRequest,
  type ChatResult,
  type EmbeddingService,
  type LlmService,
  type Usage,
} from '@flowloom/nodes';
import { stableJson } from '../platform/stable-json.js';

/** The format of a recordings file, `<name>.flowtest.recordings.json` beside its test file (docs/contracts.md §7). */
export const RECORDINGS_FORMAT = 'flowloom.recordings/v1';

/** An embeddings call of a provider model (`openai:<model>`); the local embedder is never recorded. */
export interface EmbeddingsRequest {
  embedder: string;
  texts: string[];
}

export interface EmbeddingsResult {
  vectors: number[][];
  embedder: string;
  usage?: Usage;
}

/** What is recorded per kind of model call. */
interface Calls {
  chat: { request: ChatRequest; result: ChatResult };
  embeddings: { request: EmbeddingsRequest; result: EmbeddingsResult };
}

/** One request and its answers, in the order they were given (a request asked again gets the next answer). */
export type Recording = {
  [K in keyof Calls]: { kind: K; request: Calls[K]['request']; responses: Calls[K]['result'][] };
}[keyof Calls];

/** `record` calls the provider and keeps its answers; `replay` answers from the recordings only, never the network. */
export type RecordingMode = 'record' | 'replay';

/**
 * The key of a model call: the first 16 hex digits of the SHA-256 of its request (model, messages, tools and every
 * param) as stable JSON, so the same request always finds its recording and any change to it misses. Whether the
 * call streams is not part of it: a stream is recorded as its final result and replayed as a stream.
 */
export function recordingKey(kind: keyof Calls, request: ChatRequest | EmbeddingsRequest): string {
  return createHash('sha256').update(stableJson({ kind, request })).digest('hex').slice(0, 16);
}

/**
 * The recorded model calls of one test file. Replaying, the n-th call of a request gets its n-th recorded answer
 * (cycling when there are fewer), so iterations recorded against a real model replay their own answers. Recording
 * starts empty, so answers no call asks for any more disappear from the file.
 */
export class ModelRecordings {
  readonly mode: RecordingMode;
  /** The recordings file, named in errors. */
  readonly path: string;
  readonly #entries: Map<string, Recording>;
  readonly #served = new Map<string, number>();

  private constructor(mode: RecordingMode, path: string, entries: Map<string, Recording>) {
    this.mode = mode;
    this.path = path;
    this.#entries = entries;
  }

  /** Empty recordings that `record` fills, to be written to `path`. */
  static recording(path: string): ModelRecordings {
    return new ModelRecordings('record', path, new Map());
  }

  /**
   * The recordings of a file to replay (`text` undefined: there is no file, so every model call misses). Throws
   * VALIDATION_FAILED naming the file and the field when the text is not `flowloom.recordings/v1`.
   */
  static replaying(path: string, text: string | undefined): ModelRecordings {
    return new ModelRecordings('replay', path, text === undefined ? new Map() : parseRecordings(text, path));
  }

  /** How many distinct requests are recorded. */
  get size(): number {
    return this.#entries.size;
  }

  /** The next recorded answer to a request (a copy). Throws RECORDING_NOT_FOUND when it has none. */
  replay<K extends keyof Calls>(kind: K, request: Calls[K]['request'], what: string): Calls[K]['result'] {
    const key = recordingKey(kind, request);
    const entry = this.#entries.get(key);
    if (!entry || entry.kind !== kind || entry.responses.length === 0) {
      throw new AppError(
        'RECORDING_NOT_FOUND',
        `no recorded answer to this ${what} call (request ${key}) in ${this.path}: run flowloom test --record to record it`,
        { details: [{ key, kind, recordings: this.path }] },
      );
    }
    const served = this.#served.get(key) ?? 0;
    this.#served.set(key, served + 1);
    return structuredClone(entry.responses[served % entry.responses.length]) as Calls[K]['result'];
  }

  /** Keeps a provider's answer to a request (a copy), after the answers already kept for it. */
  record<K extends keyof Calls>(kind: K, request: Calls[K]['request'], result: Calls[K]['result']): void {
    const key = recordingKey(kind, request);
    const entry = this.#entries.get(key);
    if (entry) (entry.responses as Calls[K]['result'][]).push(structuredClone(result));
    else {
      this.#entries.set(key, {
        kind,
        request: structuredClone(request),
        responses: [structuredClone(result)],
      } as Recording);
    }
  }

  /** The file's text: pretty, keys in sorted order, vectors on one line, so a new recording diffs as what changed. */
  serialize(): string {
    const recordings = Object.fromEntries(this.#entries);
    return `${stableJson({ format: RECORDINGS_FORMAT, recordings }, 2)}\n`;
  }
}

/** A chat model service that records or replays through the recordings `active()` returns (none: passes through). */
export function recordedLlm(inner: LlmService, active: () => ModelRecordings | undefined): LlmService {
  return {
    async chat(request, options) {
      const recordings = active();
      if (!recordings) return inner.chat(request, options);
      if (recordings.mode === 'record') {
        const result = stableToolCallIds(request, await inner.chat(request, options));
        recordings.record('chat', request, result);
        return result;
      }
      options.signal.throwIfAborted();
      const result = recordings.replay('chat', request, `${request.model} chat`);
      // A streamed call replays as a stream: the recorded text in word-sized chunks.
      if (options.onDelta) for (const piece of chunks(result.message.content ?? '')) options.onDelta(piece);
      return result;
    },
  };
}

/**
 * An embedding service that records or replays the provider's embeddings (`openai:<model>`) through the recordings
 * `active()` returns. The local embedder is computed here, never called, so it always passes through.
 */
export function recordedEmbeddings(
  inner: EmbeddingService,
  active: () => ModelRecordings | undefined,
): EmbeddingService {
  return {
    async embed(texts, options) {
      const recordings = active();
      const embedder = options.embedder?.trim() ?? '';
      if (!recordings || !embedder.startsWith('openai:')) return inner.embed(texts, options);
      const request: EmbeddingsRequest = { embedder, texts };
      if (recordings.mode === 'record') {
        const result = await inner.embed(texts, options);
        recordings.record('embeddings', request, result);
        return result;
      }
      options.signal.throwIfAborted();
      return recordings.replay('embeddings', request, `${embedder} embeddings`);
    },
  };
}

/**
 * The answer with its tool calls' ids replaced by `call_<request key>_<n>`. Providers make up a new id each time,
 * and the ids go into the next request (and so its key): with ids that follow from the request, recording the same
 * answers again writes the same file. The flow passes the ids on to the provider's next request unchanged, so they
 * still match up.
 */
function stableToolCallIds(request: ChatRequest, result: ChatResult): ChatResult {
  const calls = result.message.tool_calls;
  if (!calls || calls.length === 0) return result;
  const key = recordingKey('chat', request);
  const toolCalls = calls.map((call, index) => ({ ...call, id: `call_${key}_${index}` }));
  return { ...result, message: { ...result.message, tool_calls: toolCalls } };
}

/** Words with the whitespace after them, so the chunks join back into the exact text. */
function chunks(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

function invalid(path: string, field: string, message: string): AppError {
  return new AppError('VALIDATION_FAILED', `${path}: ${field}: ${message}`, {
    details: [{ field, message, file: path }],
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The entries of a recordings file, checked enough that replay cannot hand a node a malformed answer. */
function parseRecordings(text: string, path: string): Map<string, Recording> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw invalid(path, '(root)', `not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(parsed) || parsed.format !== RECORDINGS_FORMAT) {
    throw invalid(path, 'format', `must be "${RECORDINGS_FORMAT}"`);
  }
  if (!isObject(parsed.recordings)) throw invalid(path, 'recordings', 'must be an object of recordings by key');
  const entries = new Map<string, Recording>();
  for (const [key, entry] of Object.entries(parsed.recordings)) {
    const field = `recordings.${key}`;
    if (!isObject(entry)) throw invalid(path, field, 'must be an object');
    if (entry.kind !== 'chat' && entry.kind !== 'embeddings')
      throw invalid(path, `${field}.kind`, 'must be "chat" or "embeddings"');
    if (!isObject(entry.request)) throw invalid(path, `${field}.request`, 'must be an object');
    if (!Array.isArray(entry.responses) || entry.responses.length === 0)
      throw invalid(path, `${field}.responses`, 'must be a non-empty array');
    entry.responses.forEach((response, index) => {
      const at = `${field}.responses.${index}`;
      if (entry.kind === 'chat') {
        if (!isObject(response) || !isObject(response.message) || typeof response.message.role !== 'string')
          throw invalid(path, `${at}.message`, 'must be a chat message');
        if (!isObject(response.usage)) throw invalid(path, `${at}.usage`, 'must be {promptTokens, completionTokens}');
        if (typeof response.model !== 'string') throw invalid(path, `${at}.model`, 'must be a string');
      } else if (
        !isObject(response) ||
        !Array.isArray(response.vectors) ||
        !response.vectors.every((vector) => Array.isArray(vector) && vector.every((n) => typeof n === 'number'))
      ) {
        throw invalid(path, `${at}.vectors`, 'must be an array of number arrays');
      }
    });
    entries.set(key, entry as unknown as Recording);
  }
  return entries;
}
