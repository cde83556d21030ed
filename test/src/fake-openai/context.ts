import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FakeError, FakeOpenAIOptions, FakeReply, RecordedRequest } from './types.js';

export interface QueueEntry {
  reply: FakeReply;
  errorsLeft: number;
}

/** One `/v1` request being answered: its record, and whether the client has gone away. */
export interface Tracked {
  record: RecordedRequest;
  isGone: () => boolean;
}

/** State and helpers the endpoint modules share; one per fake server. */
export interface FakeContext {
  readonly options: FakeOpenAIOptions;
  readonly requests: RecordedRequest[];
  readonly queue: QueueEntry[];
  /** How many times a directive error has been served, per message. */
  readonly directiveErrors: Map<string, number>;
  readonly openResponses: Set<ServerResponse>;
  /** `connections`: TCP connections accepted (a client that keeps its connections alive opens few). */
  readonly counters: { aborted: number; inFlight: number; maxInFlight: number; connections: number };
  /** Records one `/v1` request, counts it in flight and notices a client that goes away. */
  track(request: FastifyRequest, reply: FastifyReply, body?: unknown): Tracked;
  /** Destroys a response on purpose (`drop`, `cut`): not counted as a client abort. */
  destroy(res: ServerResponse): void;
  latencyFor(model: string): number;
  setLatency(ms: number, model?: string): void;
  /** A new id `<prefix><counter in base 36>`, padded to `length` characters after the prefix. */
  nextId(prefix: string, length: number): string;
  resetCounters(): void;
}

export function createContext(options: FakeOpenAIOptions): FakeContext {
  const modelLatency = new Map<string, number>();
  // Responses the fake itself destroyed: not counted as client aborts.
  const closedByServer = new WeakSet<ServerResponse>();
  let defaultLatency = options.latencyMs ?? 0;
  let idCounter = 0;
  const ctx: FakeContext = {
    options,
    requests: [],
    queue: [],
    directiveErrors: new Map(),
    openResponses: new Set(),
    counters: { aborted: 0, inFlight: 0, maxInFlight: 0, connections: 0 },
    track(request, reply, body = request.body) {
      const record: RecordedRequest = {
        method: request.method,
        path: request.url.split('?')[0] ?? request.url,
        headers: request.headers,
        body,
        at: new Date().toISOString(),
        aborted: false,
      };
      ctx.requests.push(record);
      const counters = ctx.counters;
      counters.inFlight++;
      counters.maxInFlight = Math.max(counters.maxInFlight, counters.inFlight);
      const res = reply.raw;
      ctx.openResponses.add(res);
      let gone = false;
      res.on('close', () => {
        counters.inFlight--;
        ctx.openResponses.delete(res);
        if (!res.writableFinished && !closedByServer.has(res)) {
          gone = true;
          record.aborted = true;
          counters.aborted++;
        }
      });
      return { record, isGone: () => gone || res.destroyed };
    },
    destroy(res) {
      closedByServer.add(res);
      res.destroy();
    },
    latencyFor(model) {
      return modelLatency.get(model) ?? defaultLatency;
    },
    setLatency(ms, model) {
      if (model === undefined) defaultLatency = ms;
      else modelLatency.set(model, ms);
    },
    nextId(prefix, length) {
      return `${prefix}${(++idCounter).toString(36).padStart(length, '0')}`;
    },
    resetCounters() {
      ctx.queue.length = 0;
      ctx.requests.length = 0;
      ctx.directiveErrors.clear();
      modelLatency.clear();
      defaultLatency = options.latencyMs ?? 0;
      ctx.counters.aborted = 0;
      ctx.counters.connections = 0;
      ctx.counters.maxInFlight = ctx.counters.inFlight;
    },
  };
  return ctx;
}

/** Waits `ms`, resolving early when the client goes away. */
export function wait(ms: number, res: ServerResponse): Promise<void> {
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

/** Writes to a raw response, waiting for `drain` when the socket's buffer is full (large answers). */
export function write(res: ServerResponse, data: string): Promise<void> | undefined {
  if (res.write(data)) return undefined;
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}

/** Sends an error in OpenAI's JSON shape. */
export function sendOpenAIError(
  reply: FastifyReply,
  status: number,
  message: string,
  {
    param = null,
    code = null,
    type = 'invalid_request_error',
  }: { param?: string | null; code?: string | null; type?: string } = {},
): FastifyReply {
  return reply.code(status).send({ error: { message, type, param, code } });
}

/** A 400 in OpenAI's shape, naming the parameter at fault. */
export function badRequest(reply: FastifyReply, message: string, param: string | null = null): FastifyReply {
  return sendOpenAIError(reply, 400, message, { param });
}

/** Answers a scripted `FakeError`. */
export function sendFakeError(ctx: FakeContext, reply: FastifyReply, error: FakeError): void {
  if (error.status === 'drop' || error.status === 'cut') {
    reply.hijack();
    ctx.destroy(reply.raw);
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
  void sendOpenAIError(reply, status, error.message ?? fallback, { type, code });
}
