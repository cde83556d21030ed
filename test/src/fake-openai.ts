/**
 * A fake OpenAI-compatible server for tests and benchmarks: a real Fastify server speaking OpenAI's wire format
 * (chat completions plain and streamed, tool calls, `response_format`, embeddings, models, error answers), so
 * callers exercise the real `openai` SDK end to end. The only fake in the project's tests is the model itself.
 *
 * What it answers is deterministic and scriptable:
 * - By default a chat answer is `echo: <last user message>` (directives removed, whitespace collapsed).
 * - Programmatically, `fake.enqueue(reply)` queues answers consumed in order by chat requests.
 * - Inside the last user message, directives `[[name:arg]]` (documented on `parseDirectives`) control one request: `[[reply:text]]`, `[[latency:300]]`, `[[chunk-delay:20]]`, `[[error:429x2]]`,
 *   `[[tool:get_weather {"city":"Paris"}]]`, `[[hang]]`, `[[retry-after:100]]`.
 * Token usage is whitespace word counts; every request is recorded in `fake.requests`.
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { pathToFileURL } from 'node:url';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';

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
}

/** One request as the fake received it. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
  /** ISO time the request arrived. */
  at: string;
  /** Set when the client went away before the answer was complete. */
  aborted: boolean;
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
}

export interface FakeOpenAI {
  /** The base URL to give the SDK, e.g. `http://127.0.0.1:41234/v1`. */
  readonly url: string;
  readonly port: number;
  /** Every `/v1` chat and embeddings request received, in arrival order. */
  readonly requests: RecordedRequest[];
  /** How many `/v1` requests the client abandoned before their answer was complete. */
  readonly aborted: number;
  /** How many `/v1` requests are being answered right now; `maxInFlight` is the highest seen. */
  readonly inFlight: number;
  readonly maxInFlight: number;
  /** Queues scripted answers, consumed in order by chat completion requests. */
  enqueue(...replies: FakeReply[]): void;
  /** Default latency for all models, or for one model when `model` is given. */
  setLatency(ms: number, model?: string): void;
  /** Chat completion request bodies received so far. */
  chatRequests(): ChatBody[];
  /** Clears the queue, recorded requests, counters, latencies and directive error counts. */
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

interface WireMessage {
  role: string;
  content?: string | { type: string; text?: string }[] | null;
  tool_calls?: { id: string; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
}

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  default?: unknown;
};

/** Directives found in one message. */
export interface Directives {
  reply?: string;
  latencyMs?: number;
  chunkDelayMs?: number;
  error?: FakeError;
  retryAfterMs?: number;
  toolCalls: FakeToolCall[];
  hang: boolean;
}

const DIRECTIVE = /\[\[([a-z-]+)(?::((?:(?!\]\]).)*))?\]\]/gs;

/**
 * Reads `[[name:arg]]` directives from a message:
 * - `[[reply:TEXT]]`: answer exactly TEXT (may contain anything but `]]`).
 * - `[[latency:MS]]`: wait MS before answering. `[[chunk-delay:MS]]`: wait MS between streamed chunks.
 * - `[[error:STATUS]]` answers every such request with STATUS (e.g. 429, 500, 401); `[[error:STATUSxN]]` only
 *   the first N requests carrying the same message, then answers normally (retry tests). STATUS may be `drop`
 *   (close the socket) or `cut` (start the stream, then close the socket). `[[retry-after:MS]]` sets the
 *   `retry-after-ms` header of that error.
 * - `[[tool:NAME {json args}]]`: answer with a call of tool NAME (several = parallel calls). Without JSON the
 *   arguments are generated from the tool's parameter schema. Tool directives apply only while the conversation
 *   has no tool result after the last user message; once results are back, the answer is
 *   `tool results: <content> | <content>` (or the `[[reply:...]]` text).
 * - `[[hang]]`: never answer; the request ends only when the client aborts.
 */
export function parseDirectives(text: string): Directives {
  const found: Directives = { toolCalls: [], hang: false };
  for (const match of text.matchAll(DIRECTIVE)) {
    const name = match[1];
    const arg = (match[2] ?? '').trim();
    if (name === 'reply') found.reply = match[2] ?? '';
    else if (name === 'latency') found.latencyMs = toMs(arg);
    else if (name === 'chunk-delay') found.chunkDelayMs = toMs(arg);
    else if (name === 'retry-after') found.retryAfterMs = toMs(arg);
    else if (name === 'hang') found.hang = true;
    else if (name === 'error') {
      const parsed = /^(\d{3}|drop|cut)(?:x(\d+))?$/.exec(arg);
      if (parsed) {
        const status = parsed[1] === 'drop' || parsed[1] === 'cut' ? parsed[1] : Number(parsed[1]);
        found.error = parsed[2] ? { status, times: Number(parsed[2]) } : { status };
      }
    } else if (name === 'tool') {
      const space = arg.search(/\s/);
      const toolName = space < 0 ? arg : arg.slice(0, space);
      const json = space < 0 ? '' : arg.slice(space + 1).trim();
      found.toolCalls.push(json ? { name: toolName, arguments: json } : { name: toolName });
    }
  }
  if (found.error && found.retryAfterMs !== undefined) found.error.retryAfterMs = found.retryAfterMs;
  return found;
}

function toMs(arg: string): number {
  const ms = Number(arg);
  return Number.isFinite(ms) && ms >= 0 ? ms : 0;
}

/** Removes directives and collapses whitespace. */
export function stripDirectives(text: string): string {
  return text.replace(DIRECTIVE, ' ').replace(/\s+/g, ' ').trim();
}

/** Deterministic token count: whitespace-separated words. */
export function countTokens(text: string): number {
  const trimmed = text.trim();
  return trimmed === '' ? 0 : trimmed.split(/\s+/).length;
}

function contentText(content: WireMessage['content']): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part) => part.text ?? '').join(' ');
  return '';
}

/**
 * Deterministic embedding: words hashed into `dimensions` buckets (feature hashing), L2-normalised, so texts
 * sharing words are close (cosine) and retrieval tests behave sensibly without a model.
 */
export function fakeEmbedding(text: string, dimensions: number): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  for (const word of words) {
    let hash = 2166136261;
    for (let i = 0; i < word.length; i++) hash = Math.imul(hash ^ word.charCodeAt(i), 16777619);
    const bucket = (hash >>> 0) % dimensions;
    vector[bucket] = (vector[bucket] ?? 0) + ((hash >>> 31) & 1 ? -1 : 1);
  }
  if (words.length === 0) vector[0] = 1;
  const norm = Math.sqrt(vector.reduce((sum, v) => sum + v * v, 0)) || 1;
  return vector.map((v) => v / norm);
}

/** A value matching a JSON Schema, derived deterministically from `text`. */
function sampleFromSchema(schema: JsonSchema | undefined, text: string): unknown {
  if (!schema) return text;
  if (schema.const !== undefined) return schema.const;
  if (schema.enum && schema.enum.length > 0) return schema.enum[0];
  const variant = schema.anyOf?.[0] ?? schema.oneOf?.[0];
  if (variant) return sampleFromSchema(variant, text);
  const type = Array.isArray(schema.type) ? (schema.type.find((t) => t !== 'null') ?? 'null') : schema.type;
  switch (type) {
    case 'string':
      return text;
    case 'number':
    case 'integer':
      return countTokens(text);
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'array':
      return [sampleFromSchema(schema.items, text)];
    default: {
      const result: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(schema.properties ?? {})) result[key] = sampleFromSchema(value, text);
      return result;
    }
  }
}

const MODELS = ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini', 'text-embedding-3-small', 'text-embedding-3-large'];

interface Plan {
  text: string;
  toolCalls: { id: string; name: string; arguments: string }[];
  error?: FakeError;
  latencyMs: number;
  chunkDelayMs: number;
  hang: boolean;
}

interface QueueEntry {
  reply: FakeReply;
  errorsLeft: number;
}

/** Starts the fake on 127.0.0.1 (port 0 by default) and resolves once it listens. */
export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: 64 * 1024 * 1024, forceCloseConnections: true });
  const requests: RecordedRequest[] = [];
  const queue: QueueEntry[] = [];
  const modelLatency = new Map<string, number>();
  const directiveErrors = new Map<string, number>();
  const openResponses = new Set<ServerResponse>();
  // Responses the fake itself destroyed (`drop`, `cut`): not counted as client aborts.
  const closedByServer = new WeakSet<ServerResponse>();
  let defaultLatency = options.latencyMs ?? 0;
  let aborted = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let idCounter = 0;
  const dimensionsDefault = options.embeddingDimensions ?? 64;

  /** Tracks one `/v1` request: counts it in flight, notices a client that goes away. Returns `isGone()`. */
  function track(request: FastifyRequest, reply: FastifyReply): { record: RecordedRequest; isGone: () => boolean } {
    const record: RecordedRequest = {
      method: request.method,
      path: request.url.split('?')[0] ?? request.url,
      headers: request.headers,
      body: request.body,
      at: new Date().toISOString(),
      aborted: false,
    };
    requests.push(record);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const res = reply.raw;
    openResponses.add(res);
    let gone = false;
    res.on('close', () => {
      inFlight--;
      openResponses.delete(res);
      if (!res.writableFinished && !closedByServer.has(res)) {
        gone = true;
        record.aborted = true;
        aborted++;
      }
    });
    return { record, isGone: () => gone || res.destroyed };
  }

  /** Waits `ms`, resolving early when the client goes away. */
  function wait(ms: number, res: ServerResponse): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        res.off('close', done);
        resolve();
      }
      res.once('close', done);
    });
  }

  function sendError(reply: FastifyReply, error: FakeError): void {
    if (error.status === 'drop' || error.status === 'cut') {
      reply.hijack();
      closedByServer.add(reply.raw);
      reply.raw.destroy();
      return;
    }
    const status = error.status;
    const retryAfterMs = error.retryAfterMs ?? 0;
    const [type, code, fallback] =
      status === 429
        ? ['requests', 'rate_limit_exceeded', 'Rate limit reached for requests (fake).']
        : status === 401
          ? ['invalid_request_error', 'invalid_api_key', 'Incorrect API key provided (fake).']
          : status >= 500
            ? ['server_error', null, 'The server had an error while processing your request (fake).']
            : ['invalid_request_error', null, `Request failed with status ${status} (fake).`];
    if (status === 429 || status >= 500) {
      reply.header('retry-after', String(Math.ceil(retryAfterMs / 1000)));
      reply.header('retry-after-ms', String(retryAfterMs));
    }
    void reply.code(status).send({ error: { message: error.message ?? fallback, type, param: null, code } });
  }

  function badRequest(reply: FastifyReply, message: string, param: string | null = null) {
    return reply.code(400).send({ error: { message, type: 'invalid_request_error', param, code: null } });
  }

  function checkAuth(request: FastifyRequest, reply: FastifyReply): boolean {
    if (options.apiKey === undefined) return true;
    if (request.headers.authorization === `Bearer ${options.apiKey}`) return true;
    sendError(reply, { status: 401 });
    return false;
  }

  function latencyFor(model: string): number {
    return modelLatency.get(model) ?? defaultLatency;
  }

  /** Decides the answer to a chat request: queue first, then directives, then the default echo. */
  function plan(body: ChatBody): Plan {
    const messages = body.messages;
    let lastUser = -1;
    for (let i = messages.length - 1; i >= 0; i--) {
      if (messages[i]?.role === 'user') {
        lastUser = i;
        break;
      }
    }
    const userText = lastUser >= 0 ? contentText(messages[lastUser]?.content) : '';
    const directives = parseDirectives(userText);
    const toolResults = messages.slice(lastUser + 1).filter((m) => m.role === 'tool');
    const echo = stripDirectives(userText);

    const result: Plan = {
      text: '',
      toolCalls: [],
      latencyMs: directives.latencyMs ?? latencyFor(body.model),
      chunkDelayMs: directives.chunkDelayMs ?? 0,
      hang: directives.hang,
    };

    let scripted: FakeReply | undefined;
    const head = queue[0];
    if (head) {
      if (head.errorsLeft > 0) {
        head.errorsLeft--;
        scripted = { ...head.reply };
      } else {
        queue.shift();
        scripted = { ...head.reply, error: undefined };
      }
    } else if (directives.error) {
      const times = directives.error.times;
      const served = directiveErrors.get(userText) ?? 0;
      if (times === undefined || served < times) {
        directiveErrors.set(userText, served + 1);
        result.error = directives.error;
      }
    }

    if (scripted) {
      if (scripted.error) result.error = scripted.error;
      if (scripted.latencyMs !== undefined) result.latencyMs = scripted.latencyMs;
      if (scripted.chunkDelayMs !== undefined) result.chunkDelayMs = scripted.chunkDelayMs;
      if (scripted.hang) result.hang = true;
    }

    const toolByName = new Map((body.tools ?? []).map((tool) => [tool.function.name, tool.function]));
    const makeCall = (call: FakeToolCall) => {
      const args =
        call.arguments === undefined
          ? JSON.stringify(sampleFromSchema(toolByName.get(call.name)?.parameters ?? { type: 'object' }, echo))
          : typeof call.arguments === 'string'
            ? call.arguments
            : JSON.stringify(call.arguments);
      return { id: call.id ?? `call_${(++idCounter).toString(36).padStart(8, '0')}`, name: call.name, arguments: args };
    };

    if (scripted && (scripted.text !== undefined || scripted.toolCalls)) {
      result.text = scripted.text ?? '';
      result.toolCalls = (scripted.toolCalls ?? []).map(makeCall);
      return result;
    }
    const forced = typeof body.tool_choice === 'object' ? body.tool_choice.function.name : undefined;
    if (toolResults.length === 0 && (directives.toolCalls.length > 0 || forced)) {
      const calls = directives.toolCalls.length > 0 ? directives.toolCalls : [{ name: forced as string }];
      result.toolCalls = calls.map(makeCall);
      return result;
    }
    if (directives.reply !== undefined) result.text = directives.reply;
    else if (toolResults.length > 0)
      result.text = `tool results: ${toolResults.map((m) => contentText(m.content)).join(' | ')}`;
    else if (body.response_format?.type === 'json_schema') {
      result.text = JSON.stringify(sampleFromSchema(body.response_format.json_schema?.schema, echo));
    } else if (body.response_format?.type === 'json_object') result.text = JSON.stringify({ echo });
    else result.text = `echo: ${echo}`;
    return result;
  }

  function usageOf(body: ChatBody, answer: Plan) {
    let prompt = 0;
    for (const message of body.messages) {
      prompt += countTokens(contentText(message.content));
      for (const call of message.tool_calls ?? [])
        prompt += countTokens(`${call.function.name} ${call.function.arguments}`);
    }
    let completion = countTokens(answer.text);
    for (const call of answer.toolCalls) completion += countTokens(`${call.name} ${call.arguments}`);
    return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  }

  app.addHook('onRequest', async (request, reply) => {
    if (request.url.startsWith('/v1/') && !checkAuth(request, reply)) return reply;
  });

  app.get('/v1/models', async () => ({
    object: 'list',
    data: MODELS.map((id) => ({ id, object: 'model', created: 1700000000, owned_by: 'flowloom-fake' })),
  }));

  app.get<{ Params: { id: string } }>('/v1/models/:id', async (request) => ({
    id: request.params.id,
    object: 'model',
    created: 1700000000,
    owned_by: 'flowloom-fake',
  }));

  app.post('/v1/chat/completions', async (request, reply) => {
    const body = request.body as ChatBody | undefined;
    const { isGone } = track(request, reply);
    if (!body || typeof body !== 'object') return badRequest(reply, 'Request body must be a JSON object.');
    if (typeof body.model !== 'string' || body.model === '') return badRequest(reply, 'model is required.', 'model');
    if (!Array.isArray(body.messages) || body.messages.length === 0) {
      return badRequest(reply, 'messages must be a non-empty array.', 'messages');
    }
    const answer = plan(body);
    const res = reply.raw;
    await wait(answer.latencyMs, res);
    if (answer.hang) {
      reply.hijack();
      await new Promise<void>((resolve) => res.once('close', () => resolve()));
      return;
    }
    if (isGone()) {
      reply.hijack();
      return;
    }
    if (answer.error && answer.error.status !== 'cut') return sendError(reply, answer.error);

    const id = `chatcmpl-${(++idCounter).toString(36).padStart(10, '0')}`;
    const created = Math.floor(Date.now() / 1000);
    const usage = usageOf(body, answer);
    const finishReason = answer.toolCalls.length > 0 ? 'tool_calls' : 'stop';

    if (!body.stream) {
      if (answer.error) return sendError(reply, answer.error);
      return {
        id,
        object: 'chat.completion',
        created,
        model: body.model,
        system_fingerprint: 'fp_fake',
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: answer.toolCalls.length > 0 && answer.text === '' ? null : answer.text,
              refusal: null,
              ...(answer.toolCalls.length > 0
                ? {
                    tool_calls: answer.toolCalls.map((call) => ({
                      id: call.id,
                      type: 'function',
                      function: { name: call.name, arguments: call.arguments },
                    })),
                  }
                : {}),
            },
            logprobs: null,
            finish_reason: finishReason,
          },
        ],
        usage,
      };
    }

    const includeUsage = body.stream_options?.include_usage === true;
    const base = { id, object: 'chat.completion.chunk', created, model: body.model, system_fingerprint: 'fp_fake' };
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...(includeUsage ? { usage: null } : {}),
    });
    const chunks: unknown[] = [chunk({ role: 'assistant', content: '', refusal: null })];
    // Words with their trailing whitespace, so the chunks concatenate back to the exact text.
    for (const piece of answer.text.match(/\S+\s*|\s+/g) ?? []) chunks.push(chunk({ content: piece }));
    answer.toolCalls.forEach((call, index) => {
      chunks.push(
        chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] }),
      );
      for (let at = 0; at < call.arguments.length; at += 8) {
        chunks.push(chunk({ tool_calls: [{ index, function: { arguments: call.arguments.slice(at, at + 8) } }] }));
      }
    });
    chunks.push(chunk({}, finishReason));
    if (includeUsage) chunks.push({ ...base, choices: [], usage });

    reply.hijack();
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    const cutAt = answer.error?.status === 'cut' ? Math.max(1, Math.floor(chunks.length / 2)) : -1;
    for (let i = 0; i < chunks.length; i++) {
      if (isGone()) return;
      if (i === cutAt) {
        closedByServer.add(res);
        // Let the chunks written so far leave the (corked) socket before it is destroyed.
        await new Promise((resolve) => setImmediate(resolve));
        res.destroy();
        return;
      }
      if (i > 0 && answer.chunkDelayMs > 0) await wait(answer.chunkDelayMs, res);
      if (isGone()) return;
      res.write(`data: ${JSON.stringify(chunks[i])}\n\n`);
    }
    res.end('data: [DONE]\n\n');
  });

  app.post('/v1/embeddings', async (request, reply) => {
    const body = request.body as
      | { model?: unknown; input?: unknown; dimensions?: unknown; encoding_format?: unknown }
      | undefined;
    const { isGone } = track(request, reply);
    if (!body || typeof body.model !== 'string') return badRequest(reply, 'model is required.', 'model');
    const input = typeof body.input === 'string' ? [body.input] : body.input;
    if (!Array.isArray(input) || input.length === 0 || !input.every((text) => typeof text === 'string')) {
      return badRequest(reply, 'input must be a string or a non-empty array of strings.', 'input');
    }
    const dimensions = typeof body.dimensions === 'number' && body.dimensions > 0 ? body.dimensions : dimensionsDefault;
    const directives = parseDirectives(input.join('\n'));
    await wait(directives.latencyMs ?? latencyFor(body.model), reply.raw);
    if (isGone()) {
      reply.hijack();
      return;
    }
    if (directives.error) {
      const key = `embeddings:${input.join('\n')}`;
      const served = directiveErrors.get(key) ?? 0;
      if (directives.error.times === undefined || served < directives.error.times) {
        directiveErrors.set(key, served + 1);
        return sendError(reply, directives.error);
      }
    }
    const base64 = body.encoding_format === 'base64';
    const tokens = input.reduce((sum, text) => sum + countTokens(text), 0);
    return {
      object: 'list',
      model: body.model,
      data: input.map((text, index) => {
        const vector = fakeEmbedding(text, dimensions);
        return {
          object: 'embedding',
          index,
          embedding: base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector,
        };
      }),
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    };
  });

  // Control endpoints for a fake running in another process (Playwright, benchmarks).
  app.get('/_fake/state', async () => ({
    requests: requests.length,
    aborted,
    inFlight,
    maxInFlight,
    queued: queue.length,
  }));
  app.get('/_fake/requests', async () => ({ requests }));
  app.post('/_fake/reset', async () => {
    fake.reset();
    return { ok: true };
  });
  app.post('/_fake/enqueue', async (request) => {
    const body = request.body as { replies?: FakeReply[] } | FakeReply;
    const replies = 'replies' in body && Array.isArray(body.replies) ? body.replies : [body as FakeReply];
    fake.enqueue(...replies);
    return { queued: queue.length };
  });
  app.post('/_fake/latency', async (request) => {
    const body = request.body as { ms: number; model?: string };
    fake.setLatency(Number(body.ms) || 0, body.model);
    return { ok: true };
  });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      error: {
        message: `Unknown request URL: ${request.method} ${request.url}`,
        type: 'invalid_request_error',
        param: null,
        code: 'unknown_url',
      },
    }),
  );
  app.setErrorHandler((err: { statusCode?: number; message: string }, _request, reply) =>
    reply.code(err.statusCode && err.statusCode < 500 ? err.statusCode : 500).send({
      error: { message: err.message, type: 'invalid_request_error', param: null, code: null },
    }),
  );

  await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const host = options.host ?? '127.0.0.1';

  const fake: FakeOpenAI = {
    url: `http://${host}:${port}/v1`,
    port,
    requests,
    get aborted() {
      return aborted;
    },
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    enqueue(...replies) {
      for (const reply of replies) queue.push({ reply, errorsLeft: reply.error ? (reply.error.times ?? 1) : 0 });
    },
    setLatency(ms, model) {
      if (model === undefined) defaultLatency = ms;
      else modelLatency.set(model, ms);
    },
    chatRequests() {
      return requests.filter((r) => r.path === '/v1/chat/completions').map((r) => r.body as ChatBody);
    },
    reset() {
      queue.length = 0;
      requests.length = 0;
      directiveErrors.clear();
      modelLatency.clear();
      defaultLatency = options.latencyMs ?? 0;
      aborted = 0;
      maxInFlight = inFlight;
    },
    async close() {
      for (const res of openResponses) res.destroy();
      await app.close();
    },
  };
  return fake;
}

function argValue(args: string[], name: string): string | undefined {
  const index = args.indexOf(name);
  if (index >= 0) return args[index + 1];
  const inline = args.find((arg) => arg.startsWith(`${name}=`));
  return inline?.slice(name.length + 1);
}

// Standalone: `node test/dist/fake-openai.js [--port N] [--host H] [--latency MS] [--api-key KEY]` prints the
// base URL on stdout and serves until SIGTERM/SIGINT.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const port = Number(argValue(args, '--port') ?? process.env.FAKE_OPENAI_PORT ?? 0);
  const latency = Number(argValue(args, '--latency') ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535 || !Number.isFinite(latency)) {
    process.stderr.write('usage: fake-openai [--port N] [--host H] [--latency MS] [--api-key KEY]\n');
    process.exit(2);
  }
  const fake = await startFakeOpenAI({
    port,
    host: argValue(args, '--host'),
    latencyMs: latency,
    apiKey: argValue(args, '--api-key'),
  });
  process.stdout.write(`${fake.url}\n`);
  const stop = () => {
    void fake.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
