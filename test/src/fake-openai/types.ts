import type { IncomingHttpHeaders } from 'node:http';
import type OpenAI from 'openai';
import type { GarbageKind } from './garbage.js';
import type { JsonSchema } from './json-schema-sample.js';

/** An error answer: an HTTP status in OpenAI's error JSON shape, `drop` (the socket closes without an answer) or
 * `cut` (a streamed answer starts, then the socket is destroyed; for plain requests the same as `drop`). */
export interface FakeError {
  status: number | 'drop' | 'cut';
  /** How many requests get this error before the reply is answered normally; default 1 (queue) / always (directive). */
  times?: number;
  message?: string;
  /** Sent as `retry-after-ms` and (rounded up to seconds) `retry-after` on 429 and 5xx answers; default 0. */
  retryAfterMs?: number;
}

/** A tool call the fake model makes. `arguments` may be an object (serialised as JSON) or a raw JSON string. */
export interface FakeToolCall {
  name: string;
  arguments?: Record<string, unknown> | string;
  id?: string;
}

/** One scripted answer. Unset fields fall back to the default behaviour. */
export interface FakeReply {
  /** The answer text (for `response_format` requests, the JSON text to answer). */
  text?: string;
  /** Tool calls to answer with (several = parallel tool calls); `finish_reason` becomes `tool_calls`. */
  toolCalls?: FakeToolCall[];
  error?: FakeError;
  /** Wait before answering (before the first byte). */
  latencyMs?: number;
  /** Wait between streamed chunks. */
  chunkDelayMs?: number;
  /** Never answer; the request ends only when the client aborts (or the server closes). */
  hang?: boolean;
  /** Streams: wait between the first chunk (headers and the assistant role) and the first token. Plain answers:
   * added to the latency. */
  firstTokenDelayMs?: number;
  /** Answer with status 200 as a broken provider or proxy would (see `GarbageKind`). */
  garbage?: GarbageKind;
  /** Answer this many bytes of text (`lorem ` repeated), streamed in 16 KiB chunks. */
  hugeBytes?: number;
}

/** One request as the fake received it. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The JSON body; for a file upload `{ purpose, filename, bytes }`. */
  body: unknown;
  /** ISO time the request arrived. */
  at: string;
  /** Set when the client went away before the answer was complete. */
  aborted: boolean;
}

/** How simulated fine-tuning jobs behave. */
export interface FineTuningSettings {
  /** How long a job stays in each of validating_files, queued and running; default 50 ms. */
  stepMs: number;
  /** Fewer examples in the training file fail the job while validating, as OpenAI does (10); default 1. */
  minExamples: number;
}

export interface FakeOpenAIOptions {
  /** Default 0 (a random free port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default latency of every chat and embeddings answer, in ms. */
  latencyMs?: number;
  /** When set, requests must carry `Authorization: Bearer <apiKey>` or get a 401. */
  apiKey?: string;
  /** Embedding dimensions when the request gives none; default 64. */
  embeddingDimensions?: number;
  fineTuning?: Partial<FineTuningSettings>;
}

export interface FakeOpenAI {
  /** The base URL to give the SDK, e.g. `http://127.0.0.1:41234/v1`. */
  readonly url: string;
  readonly port: number;
  /** Every `/v1` request received except model listings, in arrival order. */
  readonly requests: RecordedRequest[];
  /** How many `/v1` requests the client abandoned before their answer was complete. */
  readonly aborted: number;
  /** How many `/v1` requests are being answered right now; `maxInFlight` is the highest seen. */
  readonly inFlight: number;
  readonly maxInFlight: number;
  /** TCP connections accepted since the start or the last `reset()`. */
  readonly connections: number;
  /** Queues scripted answers, consumed in order by chat completion requests. */
  enqueue(...replies: FakeReply[]): void;
  /** Default latency for all models, or for one model when `model` is given. */
  setLatency(ms: number, model?: string): void;
  /** Changes how fine-tuning jobs created from now on behave. */
  setFineTuning(settings: Partial<FineTuningSettings>): void;
  /** Chat completion request bodies received so far. */
  chatRequests(): ChatBody[];
  /** Uploaded files (not deleted), oldest first. */
  files(): OpenAI.FileObject[];
  /** The bytes of an uploaded file as UTF-8 text, or undefined when there is no such file. */
  fileText(id: string): string | undefined;
  /** Fine-tuning jobs as they stand now, oldest first. */
  fineTuningJobs(): OpenAI.FineTuning.FineTuningJob[];
  /** Clears the queue, recorded requests, counters, latencies, directive error counts, files, fine-tuning jobs and
   * settings. */
  reset(): void;
  close(): Promise<void>;
}

/** The parts of a chat completion request body the fake reads. */
export interface ChatBody {
  model: string;
  messages: WireMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean } | null;
  tools?: { type: 'function'; function: { name: string; description?: string; parameters?: JsonSchema } }[];
  tool_choice?: 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } };
  response_format?: {
    type: 'text' | 'json_object' | 'json_schema';
    json_schema?: { name?: string; schema?: JsonSchema };
  };
  [key: string]: unknown;
}

export interface WireMessage {
  role: string;
  content?: string | { type: string; text?: string }[] | null;
  tool_calls?: { id: string; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
}
