import { AppError, type ErrorBody, FLOW_ID_PATTERN, isRunEnd, type TraceEvent, toErrorBody } from '@flowloom/nodes';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { type Namespace, Server, type Socket } from 'socket.io';
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import type { RunHandle, RunTrace } from '../engine/index.js';
import { tokenMatches } from '../publishing/auth.js';
import { validationProblems } from '../schema-problems.js';
import { traceParser } from './trace-encoder.js';
import { CorkingWebSocketServer } from './ws-engine.js';

declare module 'fastify' {
  interface FastifyInstance {
    io: Server;
  }
}

/** The socket.io namespace of live traces (docs/contracts.md §4). */
export const TRACES_NAMESPACE = '/traces';

const RUN_ID_PATTERN = '^r_[A-Za-z0-9_-]{1,64}$';
const EXPERIMENT_ID_PATTERN = '^[A-Za-z0-9_.:-]{1,100}$';
/**
 * `subscribe` / `unsubscribe` payload: exactly one of runId or flowId. `batch: true` (an extension) switches the
 * connection to `traces` messages: arrays of events, in order, one message per server tick instead of one per event.
 * `afterSeq` (with runId) asks for the run's events with a greater seq only: -1 for all of them, or the last seq the
 * client has (after a reconnect).
 */
export const SubscribePayload = Type.Union([
  Type.Object(
    {
      runId: Type.String({ pattern: RUN_ID_PATTERN }),
      afterSeq: Type.Optional(Type.Integer({ minimum: -1 })),
      batch: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    { flowId: Type.String({ pattern: FLOW_ID_PATTERN }), batch: Type.Optional(Type.Boolean()) },
    { additionalProperties: false },
  ),
  Type.Object(
    { experimentId: Type.String({ pattern: EXPERIMENT_ID_PATTERN }), batch: Type.Optional(Type.Boolean()) },
    { additionalProperties: false },
  ),
]);
const checkPayload = Compile(SubscribePayload);

export type Ack = { ok: true } | { ok: false; error: ErrorBody };
type AckFn = (answer: Ack) => void;

type Target = ({ runId: string; afterSeq?: number } | { flowId: string } | { experimentId: string }) & {
  batch?: boolean;
};

function parsePayload(payload: unknown): Target {
  if (checkPayload.Check(payload)) return payload as Target;
  const details = validationProblems('payload', checkPayload.Errors(payload));
  throw new AppError(
    'VALIDATION_FAILED',
    'subscribe takes {runId: "r_...", afterSeq?}, {flowId: "<flow id>"} or {experimentId: "<experiment id>"}',
    {
      details,
    },
  );
}

interface RunSubscription {
  stop: () => void;
  /** Subscribed by runId (kept when a flow subscription ends). */
  isExplicit: boolean;
  trace: RunTrace;
  /** The run's events up to this seq are sent, or were not asked for (`afterSeq`). */
  sentSeq: number;
}

/** A flow one can watch: it has a draft, a published version (a draft may be deleted) or a live run. */
async function flowExists(app: FastifyInstance, flowId: string): Promise<boolean> {
  const { store, published, runs } = app.runtime;
  if (runs.liveRuns(flowId).length > 0 || published.cachedLatest(flowId)) return true;
  return (await store.getFlowText(flowId)) !== undefined || (await published.latest(flowId)) !== undefined;
}

/** One client's subscriptions; every run is delivered at most once however it was subscribed. */
class Subscriber {
  readonly #runs = new Map<string, RunSubscription>();
  readonly #flows = new Map<string, () => void>();
  readonly #experiments = new Map<string, () => void>();
  /** Batch mode: events wait in `#buffer` and go out as one `traces` message per tick. */
  #isBatched = false;
  #buffer: TraceEvent[] = [];
  #isFlushScheduled = false;

  constructor(
    readonly socket: Socket,
    readonly app: FastifyInstance,
  ) {}

  #send = (event: TraceEvent): void => {
    if (this.#isBatched) {
      this.#buffer.push(event);
      if (!this.#isFlushScheduled) {
        this.#isFlushScheduled = true;
        setImmediate(this.#flush);
      }
    } else {
      this.socket.emit('trace', event);
    }
    if (isRunEnd(event)) this.#runs.get(event.runId)?.stop();
  };

  #flush = (): void => {
    this.#isFlushScheduled = false;
    if (this.#buffer.length === 0) return;
    const events = this.#buffer;
    this.#buffer = [];
    this.socket.emit('traces', events);
  };

  #attach(handle: Pick<RunHandle, 'runId'> & { trace: RunTrace }, isExplicit: boolean, afterSeq = -1): void {
    const existing = this.#runs.get(handle.runId);
    if (existing) {
      existing.isExplicit ||= isExplicit;
      return;
    }
    const entry: RunSubscription = { stop: () => {}, isExplicit, trace: handle.trace, sentSeq: afterSeq };
    this.#runs.set(handle.runId, entry);
    let unsubscribe: (() => void) | undefined;
    let isStopped = false;
    entry.stop = () => {
      isStopped = true;
      unsubscribe?.();
      if (this.#runs.get(handle.runId) === entry) this.#runs.delete(handle.runId);
    };
    // Replays past events from memory, then live ones: emit is synchronous, so nothing falls between the two.
    unsubscribe = handle.trace.subscribe((event) => {
      if (event.seq <= entry.sentSeq) return;
      entry.sentSeq = event.seq;
      this.#send(event);
    });
    if (isStopped) unsubscribe();
  }

  async subscribe(payload: unknown): Promise<void> {
    const target = parsePayload(payload);
    if (target.batch) this.#isBatched = true;
    await this.#subscribe(target);
    // Replayed events go out before the ack, so a client that has the ack has the past.
    this.#flush();
  }

  async #subscribe(target: Target): Promise<void> {
    if ('experimentId' in target) {
      await this.#watchExperiment(target.experimentId);
      return;
    }
    if ('flowId' in target) {
      if (this.#flows.has(target.flowId)) return;
      if (!(await flowExists(this.app, target.flowId)))
        throw new AppError('FLOW_NOT_FOUND', `flow "${target.flowId}" does not exist`);
      for (const handle of this.app.runtime.runs.liveRuns(target.flowId)) this.#attach(handle, false);
      this.#flows.set(
        target.flowId,
        this.app.runtime.runs.onRun((handle) => this.#attach(handle, false), target.flowId),
      );
      return;
    }
    const { runId, afterSeq } = target;
    const existing = this.#runs.get(runId);
    if (existing) {
      existing.isExplicit = true;
      if (afterSeq === undefined) return;
      // Already coming (through a flow subscription): the client asks again for what it has not kept. What was sent
      // goes again from memory; later events keep coming once, through the one listener.
      for (const event of existing.trace.events) {
        if (event.seq > afterSeq && event.seq <= existing.sentSeq) this.#send(event);
      }
      existing.sentSeq = Math.max(existing.sentSeq, afterSeq);
      return;
    }
    // Live here, or (api role) going on a worker: mirrored from its event stream, past events read first.
    const trace = await this.app.runtime.runs.watch(runId);
    if (trace) {
      this.#attach({ runId, trace }, true, afterSeq);
      return;
    }
    // Finished: its whole log is in the store (a run leaves the live set only after its last event is queued, and
    // the store's reads see what is queued). Throws RUN_NOT_FOUND.
    const { runs } = this.app.runtime;
    const after = await runs.storedEvents(runId, afterSeq ?? -1);
    // A client at or past the last seq still gets the end: a run recovered after a crash ends at the seq after the
    // last stored event, which a client that saw later events live (lost with the last group commit) has passed.
    if (after.length === 0) {
      const end = (await runs.storedEvents(runId)).at(-1);
      if (end && isRunEnd(end)) after.push(end);
    }
    for (const event of after) this.#send(event);
  }

  /**
   * An experiment's progress (`experiment.progress`) as it goes, starting with where it is now, and its end
   * (`experiment.completed`, once). Throws EXPERIMENT_NOT_FOUND.
   */
  async #watchExperiment(experimentId: string): Promise<void> {
    if (this.#experiments.has(experimentId)) return;
    const { experiments } = this.app.runtime;
    let hasEnded = false;
    // Listening before reading the state: nothing falls between the two.
    const stop = experiments.onEvent((event) => {
      if (event.experimentId !== experimentId || hasEnded) return;
      const { type, ...data } = event;
      if (type === 'experiment.completed') hasEnded = true;
      this.socket.emit(type, data);
    });
    this.#experiments.set(experimentId, stop);
    try {
      const { status, progress } = await experiments.watchState(experimentId);
      if (hasEnded) return;
      this.socket.emit('experiment.progress', { experimentId, ...progress });
      if (status !== 'queued' && status !== 'running') {
        hasEnded = true;
        this.socket.emit('experiment.completed', { experimentId, status, progress });
      }
    } catch (err) {
      stop();
      this.#experiments.delete(experimentId);
      throw err;
    }
  }

  unsubscribe(payload: unknown): void {
    const target = parsePayload(payload);
    if ('experimentId' in target) {
      this.#experiments.get(target.experimentId)?.();
      this.#experiments.delete(target.experimentId);
      return;
    }
    if ('flowId' in target) {
      this.#flows.get(target.flowId)?.();
      this.#flows.delete(target.flowId);
      for (const [runId, entry] of this.#runs) {
        const trace = this.app.runtime.runs.liveTrace(runId);
        if (!entry.isExplicit && trace?.flowId === target.flowId) entry.stop();
      }
      return;
    }
    this.#runs.get(target.runId)?.stop();
  }

  close(): void {
    this.#buffer = [];
    for (const stop of this.#flows.values()) stop();
    this.#flows.clear();
    for (const stop of this.#experiments.values()) stop();
    this.#experiments.clear();
    for (const entry of [...this.#runs.values()]) entry.stop();
  }
}

async function answer(ack: unknown, fn: () => void | Promise<void>): Promise<void> {
  let result: Ack;
  try {
    await fn();
    result = { ok: true };
  } catch (err) {
    result = { ok: false, error: toErrorBody(err) };
  }
  if (typeof ack === 'function') (ack as AckFn)(result);
}

/**
 * socket.io on the app's HTTP server, namespace `/traces`: `subscribe`/`unsubscribe` with `{runId}` or `{flowId}`,
 * acknowledged with `{ok: true}` or `{ok: false, error}`; events arrive as `trace` messages. A run subscription first
 * replays the run's past events (memory for live runs, the store for finished ones), in order, then live ones;
 * with `afterSeq` only those with a greater seq, even when a flow subscription has sent them already (a finished run
 * whose last seq is at or below `afterSeq` sends its end event still). A flow
 * subscription delivers every event of the flow's live runs and of every run started later. Each event reaches a
 * socket once per subscription request, in seq order. The ack comes after the replay, so when it arrives every past
 * event is already delivered.
 */
export const traces = fp(
  async (app: FastifyInstance, options: { adminToken?: string }) => {
    const queue = app.runtime.queue;
    // Loaded by the api role only (the embedded default never holds it).
    const createAdapter = queue && (await import('@socket.io/redis-streams-adapter')).createAdapter;
    const io = new Server(app.server, {
      serveClient: false,
      cors: { origin: false },
      // One write per tick for a connection's frames instead of one per frame (per-event `trace` messages).
      wsEngine: CorkingWebSocketServer,
      // Trace messages written from each event's JSON text, encoded once for the store, SSE and every subscriber.
      parser: traceParser,
      // Between api processes (FLOWLOOM_ROLE=api): broadcasts and rooms reach the sockets of every process.
      ...(queue &&
        createAdapter && {
          adapter: createAdapter(queue.connections.open({ maxRetriesPerRequest: null }), {
            streamName: queue.keys.socketIo,
            maxLen: 10_000,
          }),
        }),
    });
    const namespace: Namespace = io.of(TRACES_NAMESPACE);
    const token = options.adminToken;
    if (token) {
      // The handshake's auth.token must match FLOWLOOM_ADMIN_TOKEN (checked in constant time).
      namespace.use((socket, next) => {
        if (tokenMatches((socket.handshake.auth as { token?: unknown } | undefined)?.token, token)) return next();
        const error = new Error('unauthorized: pass the admin token as auth.token') as Error & { data: ErrorBody };
        error.data = { code: 'UNAUTHORIZED', message: 'pass the admin token as auth.token' };
        next(error);
      });
    }
    namespace.on('connection', (socket) => {
      const subscriber = new Subscriber(socket, app);
      // A socket's requests are handled one after the other, in the order sent, even when one waits for the store.
      let queue = Promise.resolve();
      const inTurn = (fn: () => Promise<void>) => {
        queue = queue.then(fn);
      };
      socket.on('subscribe', (payload: unknown, ack: unknown) =>
        inTurn(() => answer(ack, () => subscriber.subscribe(payload))),
      );
      socket.on('unsubscribe', (payload: unknown, ack: unknown) =>
        inTurn(() => answer(ack, () => subscriber.unsubscribe(payload))),
      );
      socket.on('disconnect', () => inTurn(async () => subscriber.close()));
    });
    app.decorate('io', io);
    // Close client connections without closing the HTTP server, which Fastify closes itself.
    app.addHook('preClose', async () => {
      namespace.disconnectSockets(true);
      io.engine.close();
    });
  },
  { name: 'flowloom-traces' },
);
