import {
  AppError,
  checkRunInputs,
  type ErrorBody,
  type FlowFile,
  type FlowRunner,
  findValueProblem,
  isAppError,
  isRunEnd,
  MAX_VALUE_DEPTH,
  type MemoryService,
  type NodeRegistry,
  type NodeServices,
  PRODUCTION_SOURCES,
  pendingPauses,
  RESUME_ACTIONS,
  type ResumeDecision,
  type RunOrigin,
  type RunSource,
  resolveInputs,
  type SandboxService,
  type TraceEvent,
  toErrorBody,
  type Values,
} from '@flowloom/nodes';
import {
  checkNodeAlone,
  checkPins,
  compileFlow,
  DEFAULT_PAUSE_TIMEOUT_MS,
  newRunId,
  type ResumedNode,
  type RunHandle,
  type RunResult,
  RunTrace,
  resumedNodes,
  reusableOutputs,
  startRun,
} from '../engine/index.js';
import type { EventRelay, EventStreams } from '../queue/event-streams.js';
import type { RedisConnections } from '../queue/redis.js';
import type { Channels, RunQueue } from '../queue/run-queue.js';
import type { RunEnd, RunRecord, Store } from '../store/types.js';
import { describeFlow } from './flow-describe.js';
import { decodeJob, encodeJob } from './run-job.js';

/** The attempt of a run executed by the process that started it (a queued run is claimed later: attempt 0 → 1). */
const FIRST_ATTEMPT = 1;

/** How deep subflows may nest before a run is refused (a flow calling itself, directly or not). */
export const MAX_SUBFLOW_DEPTH = 8;

/** Node executions of one root run, its child runs included, when FLOWLOOM_MAX_NODE_RUNS is unset. */
export const DEFAULT_MAX_NODE_RUNS = 10_000;

/**
 * What a root run and every run under it (subflow, map, tool-flow, at every depth) share: one budget of node
 * executions and one deadline, so a request cannot fan out without bound or outlive its time limit in child runs.
 */
interface RunTree {
  /** The root run: the sandbox queues the tree's scripts under its id (fair between trees). */
  readonly rootRunId: string;
  nodeRuns: number;
  readonly maxNodeRuns: number;
  /** `Date.now()` past which the tree's time limit is over; undefined: none. */
  readonly deadline?: number;
  readonly timeoutMessage: string;
  /** Cancels the root run with RUN_TIMEOUT (which cancels every run under it). */
  expire?: () => void;
  /**
   * The prefix of every chat memory session of the tree: `key:<id>:` for a run through a published endpoint, so a key
   * reads and writes only its own sessions, wherever a memory node takes its sessionId from.
   */
  readonly memoryScope?: string;
}

/**
 * The flows a run may call, frozen (a published version's bundle): the run's flow calls, at every depth, resolve here
 * and never to a draft.
 */
export interface FlowBundle {
  /** The frozen flow and the draft version it froze. Throws FLOW_NOT_FOUND for a flow outside the bundle. */
  resolve(flowId: string): { flow: FlowFile; version: number | null };
  /** Every flow it resolves (a queued run's job carries them to the worker); a bundle without it cannot be queued. */
  entries?(): BundleEntry[];
}

/** One flow of a bundle. */
export interface BundleEntry {
  flowId: string;
  flow: FlowFile;
  version: number | null;
}

/** The queue parts a run service uses in the `api` and `worker` roles (built by the kernel). */
export interface RunQueueParts {
  connections: RedisConnections;
  queue: RunQueue;
  streams: EventStreams;
  channels: Channels;
}

/** Set by `RunService.execute` once the run is going: what the worker that holds it may do to it. */
export interface ExecutionControl {
  /** Cancels the run (a cancel asked for through any API process). */
  cancel?: () => void;
  /** Stops the run without ending it: nothing more is recorded, and another attempt resumes it (worker shutdown). */
  handBack?: () => void;
}

/** How `execute` ended: the run's end is committed, it was handed back unfinished, or there was nothing to run. */
export type ExecutionOutcome = 'ended' | 'handed-back' | 'gone';

/** How long `cancel` waits, in the api role, for a worker to end the run before answering the row as it is. */
const REMOTE_CANCEL_WAIT_MS = 30_000;

export interface StartRunOptions {
  inputs: Values;
  /**
   * The run's id, made by the caller with `newRunId()` when it must record the run before it starts (an experiment
   * cell); default a new one.
   */
  runId?: string;
  /** Where the run's flow calls resolve (subflow, map, tool-flow, and theirs); unset: to the current drafts. */
  bundle?: FlowBundle;
  sessionId?: string;
  /** Subflow nesting: 0 for a top-level run. */
  depth?: number;
  /** A parent run's signal: aborting it cancels this run. */
  signal?: AbortSignal;
  /** A time limit for the run: past it the run is cancelled with RUN_TIMEOUT and `timeoutMessage`. */
  timeoutMs?: number;
  timeoutMessage?: string;
  parentRunId?: string;
  /** The span of the parent run that started this one (a subflow, map item or tool-flow call). */
  parentSpanId?: string;
  /** Where the run came from (docs/contracts.md §7); nested runs take their caller's. */
  source?: RunSource;
  /** Extra request values for `ctx.request`. */
  request?: Record<string, unknown>;
  /** Run-from-node: outputs to reuse instead of executing, by node id (see the engine's `reusableOutputs`). */
  reuse?: ReadonlyMap<string, Values>;
  /**
   * Editor runs: outputs the user pinned, by node id, already checked (`checkPins`). Pinned nodes do not execute (their
   * `node.completed` says `reused` and `pinned`); they win over `reuse`. Published runs never get any.
   */
  pins?: ReadonlyMap<string, Values>;
  /** Runs one node alone, `inputs` being its inputs (see `runNode`). */
  alone?: { nodeId: string };
  /** A rerun: the run it reruns and the node it reruns from (recorded as the run's `origin`). */
  rerunOf?: { runId: string; fromNode: string };
  /** Nodes not retried once they streamed text (see the engine's `RunOptions.streamedToClient`). */
  streamedToClient?: ReadonlySet<string>;
  /** The tree of a child run (set by the flow runner): its budget and deadline are its root's. */
  tree?: RunTree;
  /** Editor breakpoints: node ids the run pauses before (docs/contracts.md §9). Unknown ids are a 400. */
  breakpoints?: readonly string[];
}

/** Whether a run from `source` may pause (docs/contracts.md §9): editor runs and runs of published flows. */
function isPausableSource(source: RunSource | undefined): boolean {
  return source === 'editor' || (source !== undefined && PRODUCTION_SOURCES.includes(source));
}

/** How a paused run ends when nobody resumed it in time. */
function pauseTimeout(): AppError {
  return new AppError('PAUSE_TIMEOUT', 'nobody resumed the paused run before its time limit');
}

/** A mirrored run waited on for this long has its stored row looked at too (a run ended without a stream end). */
const END_ROW_CHECK_MS = 30_000;
/** How long `done` waits, at most, for a trace being read to catch up with an end that came by message. */
const TAIL_CATCH_UP_MS = 5_000;

/** What run watchers (`onRun`) learn of a run as it starts, besides its handle. */
export interface RunStartInfo {
  flow: FlowFile;
  flowVersion: number | null;
  parentRunId?: string;
  parentSpanId?: string;
  source?: RunSource;
}

/** A run watcher (`onRun`). */
export type RunListener = (handle: RunHandle, info: RunStartInfo) => void;

/** A run that started: the engine's handle, and `done`, which settles once its final state is stored. */
export interface StartedRun {
  handle: RunHandle;
  done: Promise<RunRecord>;
  /**
   * The api role: settles once the run's row and job are committed and its job is queued, so any process can find it
   * (an answer that names the run waits for it); rejects with QUEUE_UNAVAILABLE when it could not be queued (the run
   * then ends failed). Absent when the run executes here.
   */
  accepted?: Promise<void>;
  /**
   * A resumed run: the seq of the last event before the resume (its `run.paused`). What the resume answers starts
   * after it; the earlier segments are in the run's trace.
   */
  resumedAfterSeq?: number;
}

/** Where the run service reports what it cannot tell a caller (a run's end that could not be stored). */
export interface RunServiceLog {
  error(data: { err: unknown; runId: string }, message: string): void;
}

export interface RunServiceOptions {
  store: Store;
  /** Default: nothing is logged. */
  log?: RunServiceLog;
  /** Node executions of a root run, its child runs included (FLOWLOOM_MAX_NODE_RUNS; default 10,000). */
  maxNodeRuns?: number;
  registry: NodeRegistry;
  /** Services every run gets (llm, and vectors/embeddings when configured); `flows` is added per run. */
  services: NodeServices;
  /**
   * The run queue: with `isRemote` (the api role) runs are queued and watched through their event streams, never
   * executed here; without it (the worker role) `execute` runs queued runs, and runs started here run here.
   */
  queue?: RunQueueParts;
  isRemote?: boolean;
  /** How long a paused run waits for a decision before it ends PAUSE_TIMEOUT (FLOWLOOM_PAUSE_TIMEOUT_MS). */
  pauseTimeoutMs?: number;
}

/** A decision on a paused run (`POST /api/runs/:runId/resume`). */
export type ResumeRequest = ResumeDecision;

interface LiveRun {
  handle: RunHandle;
  record: RunRecord;
  done: Promise<RunRecord>;
  /** A run queued or watched by this api process: its trace mirrors the run's event stream. */
  isMirror?: boolean;
  /** Stops mirroring (stream tail). */
  detach?: () => void;
  /** A mirror: whether its trace reads the run's stream (someone watches it). */
  isTailing?: () => boolean;
}

/** Options of `#launch`: how a run that executes here is identified and recorded. */
interface Launch {
  runId: string;
  trace: RunTrace;
  attempt: number;
  record: RunRecord;
  /** Events already in the trace (an earlier attempt's): recorded before, not again. */
  priorCount: number;
  resume?: ReadonlyMap<string, ResumedNode>;
  relay?: EventRelay;
  /** Cleared when the run is handed back: nothing more is recorded. */
  recording: { isOn: boolean };
  /** The run's tree: its node budget and deadline (a root run's own, or its root's). */
  tree: RunTree;
  /** A paused run going on: what its earlier segments ran, pauses excluded. */
  priorDurationMs?: number;
  /** The flow's version, kept with a paused run's job. */
  flowVersion?: number | null;
}

/** A run as answered by `GET /api/runs/:runId`: the stored row (or live state) and every event so far. */
export interface RunDetail {
  run: RunRecord;
  events: TraceEvent[];
  isLive: boolean;
}

/**
 * Starts runs of stored or given flows, records them (row at start and end, events batched per tick) and keeps the
 * live ones findable. A run stays "live" here until its last event and final row are handed to the store, whose reads
 * flush what is queued first, so a reader that misses it here finds it complete in the store: nothing is lost or
 * repeated between the two.
 */
export class RunService {
  readonly #live = new Map<string, LiveRun>();
  readonly #store: Store;
  readonly #nodes: NodeRegistry;
  readonly #services: NodeServices;
  readonly #log?: RunServiceLog;
  readonly #maxNodeRuns: number;
  readonly #queue: RunQueueParts | undefined;
  readonly #isRemote: boolean;
  readonly #listeners = new Set<{ listener: RunListener; flowId?: string }>();
  /**
   * The parsed draft of each flow, keyed by its stored text: the engine caches compiled plans per flow object,
   * so handing it the same object for the same text skips validation and compilation on every run.
   */
  readonly #parsed = new Map<string, { text: string; flow: FlowFile; version: number }>();
  readonly #pauseTimeoutMs: number;
  /**
   * The traces of paused runs known here (paused here, or watched): watchers stay subscribed while the run waits and
   * get `run.resumed` and what follows on the same trace.
   */
  readonly #pausedTraces = new Map<string, RunTrace>();
  /** Paused runs' traces being read back from the store (`#pausedTrace`). */
  readonly #pausedReads = new Map<string, Promise<RunTrace>>();
  /** Pause deadlines: the run ends `cancelled` with PAUSE_TIMEOUT when its timer fires. */
  readonly #pauseTimers = new Map<string, ReturnType<typeof setTimeout>>();
  /** The api role: mirrored runs nobody watches, waiting on their end alone (`#awaitEnd`), with when they began to. */
  readonly #endWaits = new Map<string, { settle: (end?: TraceEvent) => void; since: number }>();
  /** Runs announced `ended` in this turn, whose last stream entry is read in one round trip. */
  readonly #endChecks = new Set<string>();
  #endSweep: ReturnType<typeof setInterval> | undefined;

  constructor(options: RunServiceOptions) {
    this.#store = options.store;
    this.#nodes = options.registry;
    this.#services = options.services;
    this.#log = options.log;
    this.#maxNodeRuns = options.maxNodeRuns ?? DEFAULT_MAX_NODE_RUNS;
    this.#queue = options.queue;
    this.#isRemote = options.isRemote === true && options.queue !== undefined;
    this.#pauseTimeoutMs = options.pauseTimeoutMs ?? DEFAULT_PAUSE_TIMEOUT_MS;
    if (this.#isRemote && this.#queue) {
      // Runs started through another api process: flow subscriptions here watch them too.
      void this.#queue.channels
        .onStarted(({ runId, flowId, by }) => {
          // Its own announcements come back to this process too: the runs it started are known here already.
          if (by === this.#queue?.queue.id || this.#live.has(runId) || !this.#hasListenerFor(flowId)) return;
          this.#watchStarted(runId).catch(() => {});
        })
        .catch(() => {});
      // Runs whose end a worker relayed: the ones waited on here read their end from the stream.
      void this.#queue.channels
        .on('ended', (runId) => {
          if (this.#endWaits.has(runId)) this.#checkEnd(runId);
        })
        .catch(() => {});
    }
  }

  /**
   * The api role: how long a mirrored run waits on its `ended` message before its stream's last entry is read (and how
   * often that sweep runs). Tests change it.
   */
  static endSweepMs = 1_000;

  /** True when runs are queued for workers instead of executed here (the api role). */
  get isRemote(): boolean {
    return this.#isRemote;
  }

  /** Runs the saved draft of a flow. Throws FLOW_NOT_FOUND, FLOW_INVALID or RUN_INPUT_INVALID before starting. */
  async startSaved(flowId: string, options: StartRunOptions): Promise<StartedRun> {
    const { flow, version } = await this.savedFlow(flowId);
    if (options.pins) checkPins(flow, this.#nodes, Object.fromEntries(options.pins));
    return this.start(flow, options, version);
  }

  /** The saved draft of a flow, parsed once per stored text. Callers must not mutate it. Throws FLOW_NOT_FOUND. */
  async savedFlow(flowId: string): Promise<{ flow: FlowFile; version: number }> {
    const text = await this.#store.getFlowText(flowId);
    if (text === undefined) {
      this.#parsed.delete(flowId);
      throw new AppError('FLOW_NOT_FOUND', `flow "${flowId}" does not exist`);
    }
    const cached = this.#parsed.get(flowId);
    if (cached?.text === text) return cached;
    const stored = await this.#store.getFlow(flowId);
    if (!stored) throw new AppError('FLOW_NOT_FOUND', `flow "${flowId}" does not exist`);
    const entry = { text, flow: stored.flow, version: stored.version };
    this.#parsed.set(flowId, entry);
    return entry;
  }

  /**
   * Reruns the current draft of an earlier run's flow from one node: what completed upstream of it keeps the earlier
   * run's outputs, except input nodes (see `reusableOutputs`); the node and what depends on it run again. Inputs default
   * to the earlier run's. CONFLICT (409) while the earlier run is still live or paused.
   */
  async rerun(runId: string, fromNode: string, options: Partial<StartRunOptions> = {}): Promise<StartedRun> {
    const earlier = await this.get(runId);
    if (!earlier) throw new AppError('RUN_NOT_FOUND', `run "${runId}" does not exist`);
    if (earlier.isLive) throw new AppError('CONFLICT', `run "${runId}" is still running`, { status: 409 });
    // A paused run is not over either: it goes on once resumed.
    if (earlier.run.status === 'paused')
      throw new AppError('CONFLICT', `run "${runId}" is paused: resume or cancel it first`, {
        status: 409,
        details: [{ runId, status: 'paused' }],
      });
    const { flow, version } = await this.savedFlow(earlier.run.flowId);
    if (!flow.nodes.some((node) => node.id === fromNode)) {
      // A value of the request that names nothing: the caller's mistake (400), not a missing resource.
      const message = `node "${fromNode}" is not in flow "${flow.id}"`;
      throw new AppError('VALIDATION_FAILED', `body.fromNode: ${message}`, {
        details: [{ field: 'body.fromNode', message }],
      });
    }
    if (options.pins) checkPins(flow, this.#nodes, Object.fromEntries(options.pins));
    const reuse = reusableOutputs(flow, this.#nodes, earlier.events, fromNode);
    return this.start(
      flow,
      { ...options, inputs: options.inputs ?? earlier.run.inputs ?? {}, reuse, rerunOf: { runId, fromNode } },
      version,
    );
  }

  /**
   * Runs one node of the saved draft alone with the given inputs (nothing upstream or downstream executes), traced and
   * recorded like any run: its inputs are the node's and its outputs the node's. NOT_FOUND (404) naming an unknown node,
   * VALIDATION_FAILED (400) naming `body.inputs.<port>` for a port the node does not have or a missing required one.
   */
  async runNode(flowId: string, nodeId: string, options: StartRunOptions): Promise<StartedRun> {
    const { flow, version } = await this.savedFlow(flowId);
    checkNodeAlone(flow, this.#nodes, nodeId, options.inputs);
    return this.start(flow, { ...options, alone: { nodeId } }, version);
  }

  /**
   * Starts a run of a flow. Validation errors (FLOW_INVALID, RUN_INPUT_INVALID) are thrown synchronously and leave
   * nothing stored; so is STORE_UNAVAILABLE when the store knows its database is unreachable (nothing could be
   * recorded).
   */
  start(flow: FlowFile, options: StartRunOptions, flowVersion: number | null = flow.version ?? null): StartedRun {
    this.#store.assertAvailable();
    const depth = options.depth ?? 0;
    if (depth > MAX_SUBFLOW_DEPTH) {
      throw new AppError(
        'SUBFLOW_DEPTH_EXCEEDED',
        `subflows nest deeper than ${MAX_SUBFLOW_DEPTH} levels at flow "${flow.id}"`,
      );
    }
    checkBreakpoints(flow, options.breakpoints);
    if (this.#isRemote) return this.#enqueue(flow, options, flowVersion);
    const runId = options.runId ?? newRunId();
    const tree = options.tree ?? this.#newTree(runId, options);
    // A child run is refused before anything is stored once its tree is out of node executions or time. (The root's
    // timer cancels the tree, children included, through their signals; this holds when the timer is late, e.g. on
    // a busy event loop.)
    if (options.tree) checkTree(tree);
    const record: RunRecord = {
      runId,
      flowId: flow.id,
      flowVersion,
      status: 'running',
      inputs: options.inputs,
      startedAt: new Date().toISOString(),
      depth,
      attempt: FIRST_ATTEMPT,
      ...(options.sessionId !== undefined && { sessionId: options.sessionId }),
      ...(options.parentRunId !== undefined && { parentRunId: options.parentRunId }),
      ...(options.source !== undefined && { source: options.source }),
      ...originOf(options),
    };
    // A run executed here is its first attempt.
    const launch: Launch = {
      runId,
      trace: new RunTrace(runId, flow.id),
      attempt: FIRST_ATTEMPT,
      record,
      priorCount: 0,
      recording: { isOn: true },
      tree,
      flowVersion,
    };
    const started = this.#launch(flow, options, launch);
    this.#store.insertRun(record);
    this.#notify(started.handle, startInfo(flow, flowVersion, options));
    return started;
  }

  /** Starts the engine on a run whose row exists or is queued right after; its events go to the store (and stream). */
  #launch(flow: FlowFile, options: StartRunOptions, launch: Launch): StartedRun {
    const { runId, trace, attempt, record, priorCount, relay, recording, tree } = launch;
    const store = this.#store;
    const depth = options.depth ?? 0;
    let done: Promise<RunRecord> | undefined;
    // Subscribed before the first new event: every event is queued for the store, in order, with this attempt's
    // number (fencing); in a worker it is relayed to the run's stream too, the end only once the final row is stored.
    // An event that cannot be queued (never expected: values are checked where they enter) fails the run when it
    // ends, with the reason, instead of being lost without a word.
    const unstored: { err?: unknown; seq?: number } = {};
    // The first streamed text of any node is the run's time to first token (of this attempt).
    const t0 = performance.now();
    let ttftMs: number | undefined;
    // Until this segment ends: a paused run resumed in this process goes on on the same trace, with its own listener.
    const unsubscribe = trace.subscribe((event) => {
      if (event.seq < priorCount || !recording.isOn) return;
      if (ttftMs === undefined && event.type === 'node.delta') ttftMs = Math.round((performance.now() - t0) * 10) / 10;
      try {
        store.enqueueEvent(event, attempt);
      } catch (err) {
        if (unstored.err === undefined) Object.assign(unstored, { err, seq: event.seq });
      }
      if (!relay) return;
      if (isRunEnd(event))
        relay.end(
          event,
          Promise.resolve().then(() => done?.then(() => store.flush())),
        );
      else relay.push(event);
    });
    const handle = startRun(flow, {
      registry: this.#nodes,
      services: {
        ...this.#services,
        flows: this.#flowRunner(runId, depth, options.bundle, tree, options.source),
        ...(this.#services.sandbox && { sandbox: keyedSandbox(this.#services.sandbox, tree.rootRunId) }),
        ...(this.#services.memory &&
          tree.memoryScope !== undefined && { memory: scopedMemory(this.#services.memory, tree.memoryScope) }),
      },
      inputs: options.inputs,
      request: { ...options.request, ...(options.sessionId !== undefined && { sessionId: options.sessionId }) },
      runId,
      trace,
      depth,
      signal: options.signal,
      timeoutMs: options.timeoutMs,
      timeoutMessage: options.timeoutMessage,
      ...reuseOf(options),
      ...(options.alone && { alone: options.alone }),
      streamedToClient: options.streamedToClient,
      beforeNode: () => {
        checkTree(tree);
        tree.nodeRuns++;
      },
      resume: launch.resume,
      // Runs pause only where this process holds them from start to end (not nested, not queued), and only editor and
      // published runs: nobody could resume an experiment, a flow test or a CLI run, which would hang until the limit.
      canPause: depth === 0 && !this.#queue && isPausableSource(options.source),
      ...(options.breakpoints && { breakpoints: new Set(options.breakpoints) }),
      pauseTimeoutMs: this.#pauseTimeoutMs,
      ...(launch.priorDurationMs !== undefined && { priorDurationMs: launch.priorDurationMs }),
    });
    if (tree.rootRunId === runId && tree.deadline !== undefined) {
      tree.expire = () => handle.cancel(new AppError('RUN_TIMEOUT', tree.timeoutMessage));
    }
    done = handle.result.then(async (result) => {
      if (result.status === 'paused' && recording.isOn) await this.#suspend(flow, options, launch, result);
      return this.#finish(record, result, recording, unstored, ttftMs);
    });
    // Awaiters still see a failure to record the run; nobody awaiting must not crash the process.
    done.finally(unsubscribe).catch(() => {});
    this.#live.set(runId, { handle, record, done });
    return { handle, done };
  }

  /**
   * A run that paused: its job is stored (so any process, after a restart too, can go on with it), its trace kept for
   * watchers, and its deadline watched.
   */
  async #suspend(flow: FlowFile, options: StartRunOptions, launch: Launch, result: RunResult): Promise<void> {
    const { runId, trace, record } = launch;
    this.#pausedTraces.set(runId, trace);
    try {
      await this.#store.runJobs.put(runId, encodeJob(flow, launch.flowVersion ?? record.flowVersion, options, record));
    } catch (err) {
      // On Postgres the job stays queued in the store's batch and is written by a later commit; until then a restart
      // could not resume the run.
      this.#log?.error({ err, runId }, "the paused run's job is not stored yet: a restart now could not resume it");
    }
    this.#watchPause(runId, Math.min(...(result.paused ?? []).map((p) => p.deadline)));
  }

  /** Ends the run PAUSE_TIMEOUT at `deadline` (unless it goes on before). */
  #watchPause(runId: string, deadline: number): void {
    clearTimeout(this.#pauseTimers.get(runId));
    // setTimeout takes at most 2^31-1 ms: a later deadline is looked at again then.
    const wait = Math.min(Math.max(0, deadline - Date.now()), 2 ** 31 - 1);
    const timer = setTimeout(() => {
      this.#pauseTimers.delete(runId);
      if (Date.now() < deadline) return this.#watchPause(runId, deadline);
      this.#endPaused(runId, pauseTimeout()).catch((err: unknown) =>
        this.#log?.error({ err, runId }, 'the paused run could not be ended at its time limit'),
      );
    }, wait);
    // A pending deadline alone must not keep the process alive: a restart looks at it again (`watchPaused`).
    timer.unref();
    this.#pauseTimers.set(runId, timer);
  }

  /**
   * Watches the deadlines of every stored paused run (at startup: a paused run survives a restart); those past it end
   * PAUSE_TIMEOUT now. Answers how many runs are paused.
   */
  async watchPaused(): Promise<number> {
    const paused = await this.#store.listRuns({ status: 'paused', limit: 10_000 });
    for (const run of paused) {
      const events = await this.#store.getEvents(run.runId);
      const last = events.findLast((event) => event.type === 'run.paused');
      const deadline = last?.type === 'run.paused' ? Date.parse(last.data.deadline) : Date.now();
      this.#watchPause(run.runId, Number.isFinite(deadline) ? deadline : Date.now());
    }
    return paused.length;
  }

  /**
   * The trace of a paused run with every event so far (kept, or read back from the store). One per run: a watcher and
   * a resume that ask at once (after a restart) share the read, so the watcher follows the trace that goes on.
   */
  async #pausedTrace(runId: string, flowId: string): Promise<RunTrace> {
    const kept = this.#pausedTraces.get(runId);
    if (kept) return kept;
    let reading = this.#pausedReads.get(runId);
    if (!reading) {
      reading = this.#store
        .getEvents(runId)
        .then((events) => {
          const trace = RunTrace.of(runId, flowId, events);
          this.#pausedTraces.set(runId, trace);
          return trace;
        })
        .finally(() => this.#pausedReads.delete(runId));
      this.#pausedReads.set(runId, reading);
    }
    return reading;
  }

  /** Ends a paused run `cancelled` with `error` (PAUSE_TIMEOUT, RUN_CANCELLED). Undefined when it was not paused. */
  async #endPaused(runId: string, error: AppError): Promise<RunRecord | undefined> {
    const row = await this.#store.getRun(runId);
    if (row?.status !== 'paused') return undefined;
    const attempt = await this.#store.claimPausedRun(runId);
    if (attempt === undefined) return undefined;
    clearTimeout(this.#pauseTimers.get(runId));
    this.#pauseTimers.delete(runId);
    const trace = await this.#pausedTrace(runId, row.flowId);
    this.#pausedTraces.delete(runId);
    const durationMs = row.durationMs ?? 0;
    const event = trace.emit('run.cancelled', { durationMs });
    if (event) this.#store.enqueueEvent(event, attempt);
    const end: RunEnd = {
      status: 'cancelled',
      error: toErrorBody(error),
      endedAt: new Date().toISOString(),
      durationMs,
    };
    this.#store.finishRun(runId, attempt, end);
    await this.#store.flush();
    const record: RunRecord = { ...row, ...end, attempt };
    await this.#announceEnded(trace, record);
    return record;
  }

  /**
   * Tells run watchers (the OpenTelemetry export) of a paused run that ended without going on: they let go of it at
   * its pause, and take its whole trace, end included, now.
   */
  async #announceEnded(trace: RunTrace, record: RunRecord): Promise<void> {
    if (this.#listeners.size === 0) return;
    let job: ReturnType<typeof decodeJob>;
    try {
      const text = await this.#store.runJobs.get(record.runId);
      if (text === undefined) return;
      job = decodeJob(text);
    } catch {
      return;
    }
    const handle: RunHandle = {
      runId: record.runId,
      flowId: record.flowId,
      trace,
      result: Promise.resolve(resultOf(record)),
      cancel: () => {},
    };
    this.#notify(handle, startInfo(job.flow, job.flowVersion, { ...job.options, inputs: {} }));
  }

  /**
   * Goes on with a paused run (docs/contracts.md §9): records the decision on the node it waits at (`run.resumed`)
   * and runs it again from its events, so finished nodes are not executed again. `keyId`: a published caller, who may
   * resume only the runs its key made (others are RUN_NOT_FOUND). Throws RUN_NOT_PAUSED (409) when the run does not
   * wait at that node, VALIDATION_FAILED for an action that does not fit the pause or inputs the node cannot take.
   */
  async resume(runId: string, decision: ResumeRequest, caller: { keyId?: string } = {}): Promise<StartedRun> {
    // Just paused here (a watcher saw `run.paused`): its row says so once its end is queued, a moment later.
    const live = this.#live.get(runId);
    if (live && !live.isMirror && live.handle.trace.events.at(-1)?.type === 'run.paused')
      await live.done.catch(() => {});
    const row = await this.#store.getRun(runId);
    if (caller.keyId !== undefined && (await this.#store.published.getRun(runId))?.keyId !== caller.keyId)
      throw new AppError('RUN_NOT_FOUND', `run "${runId}" does not exist`);
    if (!row) throw new AppError('RUN_NOT_FOUND', `run "${runId}" does not exist`);
    const notPaused = (why: string) =>
      new AppError('RUN_NOT_PAUSED', `run "${runId}" ${why}`, {
        details: [{ runId, status: row.status, nodeId: decision.nodeId }],
      });
    if (row.status !== 'paused') throw notPaused(`is not paused (status ${row.status})`);
    const trace = await this.#pausedTrace(runId, row.flowId);
    // Past its time limit, before the timer fired: it ends as the timer would end it, and is not resumed.
    const paused = trace.events.findLast((event) => event.type === 'run.paused');
    if (paused?.type === 'run.paused' && Date.parse(paused.data.deadline) <= Date.now()) {
      await this.#endPaused(runId, pauseTimeout());
      throw new AppError('RUN_NOT_PAUSED', `run "${runId}" is not paused any more: its time limit passed`, {
        details: [{ runId, status: 'cancelled', nodeId: decision.nodeId }],
      });
    }
    const waiting = pendingPauses(trace.events).get(decision.nodeId);
    if (!waiting) throw notPaused(`is not paused at node "${decision.nodeId}"`);
    const allowed: readonly string[] = RESUME_ACTIONS[waiting.reason];
    if (!allowed.includes(decision.action)) {
      const message = `a ${waiting.reason} pause takes ${allowed.join(' or ')}, not "${decision.action}"`;
      throw new AppError('VALIDATION_FAILED', `body.action: ${message}`, {
        details: [{ field: 'body.action', message }],
      });
    }
    if (caller.keyId !== undefined && waiting.reason !== 'approval') throw notPaused('is not waiting for an approval');
    const jobText = await this.#store.runJobs.get(runId);
    if (jobText === undefined)
      throw new AppError('RUN_INTERRUPTED', `run "${runId}" has no stored job to go on with`, { status: 409 });
    const job = decodeJob(jobText);
    if (decision.inputs) checkNodeInputs(job.flow, this.#nodes, decision.nodeId, decision.inputs);
    // The approval's value goes on as the node's output: nested as deep as any value may be, no deeper.
    const tooDeep =
      decision.value === undefined
        ? undefined
        : findValueProblem(decision.value, { prefix: 'body.value', maxDepth: MAX_VALUE_DEPTH });
    if (tooDeep)
      throw new AppError('VALIDATION_FAILED', `${tooDeep.path} ${tooDeep.message}`, {
        details: [{ field: tooDeep.path, message: tooDeep.message }],
      });
    const attempt = await this.#store.claimPausedRun(runId);
    if (attempt === undefined) throw notPaused('is not paused any more (resumed or ended meanwhile)');
    clearTimeout(this.#pauseTimers.get(runId));
    this.#pauseTimers.delete(runId);
    this.#pausedTraces.delete(runId);
    const resumedAfterSeq = trace.events.length - 1;
    const resumed = trace.emit('run.resumed', {
      nodeId: decision.nodeId,
      action: decision.action,
      ...(decision.inputs && { inputs: decision.inputs }),
      ...(decision.value !== undefined && { value: decision.value }),
    });
    if (resumed) this.#store.enqueueEvent(resumed, attempt);
    const lastPause = trace.events.findLast((event) => event.type === 'run.paused');
    const priorDurationMs = lastPause?.type === 'run.paused' ? lastPause.data.durationMs : 0;
    const { options: jobOptions } = job;
    const options: StartRunOptions = {
      ...jobOptions,
      inputs: row.inputs,
      ...(row.sessionId !== undefined && { sessionId: row.sessionId }),
      ...(row.source !== undefined && { source: row.source }),
      // The run's own time limit counts the time it ran, not the time it waited.
      ...(jobOptions.timeoutMs !== undefined && { timeoutMs: Math.max(1, jobOptions.timeoutMs - priorDurationMs) }),
    };
    const tree = this.#newTree(runId, options);
    tree.nodeRuns = trace.events.filter((event) => event.type === 'node.started').length;
    const record: RunRecord = { ...row, status: 'running', attempt };
    delete record.endedAt;
    const started = this.#launch(job.flow, options, {
      runId,
      trace,
      attempt,
      record,
      priorCount: trace.events.length,
      resume: resumedNodes(trace.events),
      recording: { isOn: true },
      tree,
      priorDurationMs,
      flowVersion: job.flowVersion,
    });
    this.#notify(started.handle, startInfo(job.flow, job.flowVersion, options));
    return { ...started, resumedAfterSeq };
  }

  #notify(handle: RunHandle, info: RunStartInfo): void {
    for (const { listener, flowId } of this.#listeners) {
      if (flowId !== undefined && flowId !== handle.flowId) continue;
      try {
        listener(handle, info);
      } catch {
        // A faulty watcher (e.g. a socket going away) must not fail a run that has started.
      }
    }
  }

  /**
   * The api role: a run another api process announced, for the flow subscriptions here. Its flow comes from its job
   * (what the worker runs), so watchers learn what they learn of a run started here.
   */
  async #watchStarted(runId: string): Promise<void> {
    const [trace, job] = await Promise.all([this.watch(runId), this.#store.runJobs.get(runId)]);
    if (job === undefined) return;
    // A fast run may have ended before the announcement got here, or while its job was read: the watchers get it
    // whole, from the store.
    const handle = (trace && this.#live.get(runId)?.handle) ?? (await this.#endedHandle(runId));
    if (!handle) return;
    const { flow, flowVersion, run } = decodeJob(job);
    this.#notify(handle, {
      flow,
      flowVersion,
      ...(run?.parentRunId !== undefined && { parentRunId: run.parentRunId }),
      ...(run?.source !== undefined && { source: run.source }),
    });
  }

  /** A handle on a run that has ended, its trace closed and read from the store; undefined while it has not ended. */
  async #endedHandle(runId: string): Promise<RunHandle | undefined> {
    const [row, events] = await Promise.all([this.#store.getRun(runId), this.#store.getEvents(runId)]);
    if (!row || row.status === 'queued' || row.status === 'running' || row.status === 'paused') return undefined;
    const trace = RunTrace.of(runId, row.flowId, events);
    if (!trace.closed) return undefined;
    return { runId, flowId: row.flowId, trace, result: Promise.resolve(resultOf(row)), cancel: () => {} };
  }

  #hasListenerFor(flowId: string): boolean {
    for (const entry of this.#listeners) if (entry.flowId === undefined || entry.flowId === flowId) return true;
    return false;
  }

  /**
   * The api role: validates the run as `start` does (FLOW_INVALID, RUN_INPUT_INVALID thrown here, nothing stored),
   * refuses it with QUEUE_UNAVAILABLE while Redis is down, stores its row (`queued`, attempt 0) and job, then queues it;
   * the handle's trace mirrors the run's event stream, and `done` settles once the stream carries the end.
   */
  #enqueue(flow: FlowFile, options: StartRunOptions, flowVersion: number | null): StartedRun {
    const parts = this.#queue as RunQueueParts;
    parts.connections.assertAvailable();
    const plan = compileFlow(flow, this.#nodes);
    if (!options.alone) checkRunInputs(plan.inputs, options.inputs);
    const runId = options.runId ?? newRunId();
    const record: RunRecord = {
      runId,
      flowId: flow.id,
      flowVersion,
      status: 'queued',
      inputs: options.inputs,
      startedAt: new Date().toISOString(),
      depth: options.depth ?? 0,
      attempt: 0,
      ...(options.sessionId !== undefined && { sessionId: options.sessionId }),
      ...(options.parentRunId !== undefined && { parentRunId: options.parentRunId }),
      ...(options.source !== undefined && { source: options.source }),
      ...originOf(options),
    };
    const job = encodeJob(flow, flowVersion, options, record);
    const trace = new RunTrace(runId, flow.id);
    this.#store.insertRun(record);
    const live = this.#mirror(record, trace);
    const store = this.#store;
    const accepted = (async () => {
      await Promise.all([store.runJobs.put(runId, job), store.flush()]);
      try {
        await parts.queue.enqueue(runId, job);
      } catch (err) {
        if (isAppError(err)) throw err;
        throw new AppError('QUEUE_UNAVAILABLE', 'the run queue (Redis) did not take the run; try again shortly', {
          status: 503,
          cause: err,
        });
      }
      await parts.queue.announce(runId, flow.id).catch(() => {});
    })();
    accepted.catch((err: unknown) => this.#failQueued(record, trace, err));
    options.signal?.addEventListener('abort', () => void this.cancel(runId).catch(() => {}), { once: true });
    if (options.timeoutMs !== undefined) {
      // The worker ends the run at its limit; should no worker be there to do it, cancelling it from here makes the
      // next worker that claims it end it at once: what waits on it here never waits without a bound.
      const watchdog = setTimeout(() => {
        if (!trace.closed) void this.cancel(runId).catch(() => {});
      }, options.timeoutMs + REMOTE_CANCEL_WAIT_MS);
      watchdog.unref();
      live.done.finally(() => clearTimeout(watchdog)).catch(() => {});
    }
    this.#notify(live.handle, startInfo(flow, flowVersion, options));
    return { handle: live.handle, done: live.done, accepted };
  }

  /** A queued run that could not be queued ends failed here (nothing else will run it). */
  #failQueued(record: RunRecord, trace: RunTrace, err: unknown): void {
    const error: ErrorBody =
      (err as { code?: string })?.code === 'QUEUE_UNAVAILABLE'
        ? toErrorBody(err)
        : {
            code: 'QUEUE_UNAVAILABLE',
            message: `the run could not be queued: ${err instanceof Error ? err.message : String(err)}`,
          };
    const endedAt = new Date().toISOString();
    const event = trace.emit('run.failed', { error, durationMs: 0 });
    if (event) this.#store.enqueueEvent(event, 0);
    this.#store.finishRun(record.runId, 0, { status: 'failed', error, endedAt, durationMs: 0 });
  }

  /**
   * Waits on the end of a mirrored run without reading its stream as it goes: a worker publishes the run id on the
   * `ended` channel once it relayed the end, and the stream's last entry is read then. A message missed (a
   * reconnecting subscriber, a worker of an older version) is covered by a sweep that reads the last entry of every
   * run waited on for `endSweepMs` or more, every `endSweepMs`.
   */
  #awaitEnd(runId: string, settle: (end?: TraceEvent) => void): void {
    this.#endWaits.set(runId, { settle, since: performance.now() });
    const every = RunService.endSweepMs;
    this.#endSweep ??= setInterval(() => {
      if (this.#endWaits.size === 0) {
        clearInterval(this.#endSweep);
        this.#endSweep = undefined;
        return;
      }
      const now = performance.now();
      for (const [id, wait] of this.#endWaits) {
        if (wait.since > now - every) continue;
        this.#checkEnd(id);
        // A run ended in the store with no end on its stream (a nested run interrupted by the sweeper, a stream that
        // expired): its row settles it.
        if (wait.since <= now - END_ROW_CHECK_MS) {
          this.#store.getRun(id).then(
            (row) => {
              if (row && row.status !== 'queued' && row.status !== 'running') this.#endWaits.get(id)?.settle();
            },
            () => {},
          );
        }
      }
    }, every);
    this.#endSweep.unref();
  }

  /** Reads the last stream entry of the run (with the others asked for in this turn): its end settles its wait. */
  #checkEnd(runId: string): void {
    if (this.#endChecks.size === 0) {
      setImmediate(() => {
        const runIds = [...this.#endChecks];
        this.#endChecks.clear();
        (this.#queue as RunQueueParts).streams.lastEvents(runIds).then(
          (ends) => {
            for (const [i, end] of ends.entries()) {
              if (end && isRunEnd(end)) this.#endWaits.get(runIds[i] as string)?.settle(end);
            }
          },
          () => {
            // Redis is down: the sweep asks again.
          },
        );
      });
    }
    this.#endChecks.add(runId);
  }

  /**
   * Mirrors a queued or running run in this api process: `done` settles with the stored row once the end arrives (a
   * worker relays the end only after the final row is committed). The trace takes the run's stream from the entry
   * after the last event it holds, from its first subscriber on: until someone watches it, only the run's end is
   * waited for (the `ended` channel, `#awaitEnd`), which spares reading and decoding every event of a run that a JSON
   * request started.
   */
  #mirror(record: RunRecord, trace: RunTrace): LiveRun {
    const parts = this.#queue as RunQueueParts;
    const { runId } = record;
    let onEnd!: (end?: TraceEvent) => void;
    const ended = new Promise<TraceEvent | undefined>((resolve) => {
      onEnd = resolve;
    });
    let onClosed!: () => void;
    const closed = new Promise<void>((resolve) => {
      onClosed = resolve;
    });
    // The end from the stream, or one emitted here (a run that could not be queued ends failed here, not on a stream).
    trace.subscribe((event) => {
      if (!isRunEnd(event)) return;
      onEnd(event);
      onClosed();
    });
    let stopTail: (() => void) | undefined;
    let isDetached = false;
    const tail = () => {
      if (stopTail || isDetached || trace.closed) return;
      this.#endWaits.delete(runId);
      stopTail = parts.streams.tail(runId, trace.events.length - 1, (events) => {
        for (const event of events) trace.append(event);
        // A trace watched after the run ended here still gets the rest of the stream, then stops reading.
        if (trace.closed) stopTail?.();
      });
    };
    const detach = () => {
      isDetached = true;
      stopTail?.();
      this.#endWaits.delete(runId);
    };
    this.#awaitEnd(runId, onEnd);
    trace.whenWatched(tail);
    const done = ended.then(async (end) => {
      this.#endWaits.delete(runId);
      // A trace someone watches is whole before `done` settles, as it was when every mirror read its stream.
      if (stopTail && !trace.closed) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([closed, new Promise((resolve) => (timer = setTimeout(resolve, TAIL_CATCH_UP_MS)))]);
        clearTimeout(timer);
      }
      if (trace.closed) stopTail?.();
      // The end event holds the final state, but a cancelled run's error (e.g. RUN_TIMEOUT) is only in its row.
      if (end?.type === 'run.completed' || end?.type === 'run.failed')
        return { ...record, ...endOf(end), durationMs: Math.round(endOf(end).durationMs) } as RunRecord;
      try {
        const row = await this.#store.getRun(runId);
        if (row && row.status !== 'queued' && row.status !== 'running') return row;
      } catch {
        // The store is down: answer from the end event.
      }
      return { ...record, ...endOf(end) };
    });
    done
      .finally(() => {
        if (this.#live.get(runId)?.done === done) this.#live.delete(runId);
      })
      .catch(() => {});
    const handle: RunHandle = {
      runId,
      flowId: record.flowId,
      trace,
      result: done.then(resultOf),
      cancel: () => void this.cancel(runId).catch(() => {}),
    };
    const live: LiveRun = { handle, record, done, isMirror: true, detach, isTailing: () => stopTail !== undefined };
    this.#live.set(runId, live);
    return live;
  }

  /**
   * The trace of a run that is going, for a watcher (socket.io): a live run of this process, or in the api role a run
   * queued or running anywhere, mirrored from its stream (its past events read before this answers). Undefined once
   * the run has ended (the store has it all then) or when it is unknown.
   */
  async watch(runId: string): Promise<RunTrace | undefined> {
    const live = this.#live.get(runId);
    if (live) return live.handle.trace;
    const kept = this.#pausedTraces.get(runId);
    if (kept) return kept;
    if (!this.#isRemote) {
      // A paused run goes on later on this trace: watchers stay subscribed across the pause.
      const row = await this.#store.getRun(runId);
      return row?.status === 'paused' ? await this.#pausedTrace(runId, row.flowId) : undefined;
    }
    const row = await this.#store.getRun(runId);
    if (!row || (row.status !== 'queued' && row.status !== 'running')) return undefined;
    const trace = new RunTrace(runId, row.flowId);
    const past = await (this.#queue as RunQueueParts).streams.read(runId);
    const again = this.#live.get(runId);
    if (again) return again.handle.trace;
    for (const event of past) trace.append(event);
    this.#mirror(row, trace);
    return trace;
  }

  /**
   * The worker role: claims a queued run (its attempt goes up by one, fencing out any earlier holder) and executes it
   * here. A run an earlier attempt began resumes: the events that attempt recorded (in the store, or relayed to the
   * stream only) are brought together first, its finished nodes are not executed again, and new events continue its
   * seq. Resolves once the run's end is committed, or it was handed back, or there was nothing to run. `queuedJob`
   * is the job as the queue carried it (else it is read from the store).
   */
  async execute(runId: string, control: ExecutionControl = {}, queuedJob?: string): Promise<ExecutionOutcome> {
    const parts = this.#queue;
    if (!parts) throw new AppError('INTERNAL', 'execute needs the run queue');
    const store = this.#store;
    const [attempt, jobText] = await Promise.all([store.claimRun(runId), queuedJob ?? store.runJobs.get(runId)]);
    if (attempt === undefined) return 'gone';
    const relay = await parts.streams.relay(runId, attempt);
    if (!relay) return 'gone';
    const job = jobText === undefined ? undefined : decodeJob(jobText);
    // The first attempt has no earlier events to read back, and its job holds the row as it was queued.
    const isFirst = attempt === 1;
    const [row, stored, streamed] = await Promise.all([
      isFirst && job?.run ? job.run : store.getRun(runId),
      isFirst ? [] : store.getEvents(runId),
      isFirst ? [] : parts.streams.read(runId),
    ]);
    if (!row) return 'gone';
    // Both logs are prefixes of one log (seq from 0, gap-free): the longer one is the log so far.
    const prior = streamed.length > stored.length ? streamed : stored;
    for (const event of prior.slice(stored.length)) store.enqueueEvent(event, attempt);
    for (const event of prior.slice(streamed.length)) relay.push(event);
    const last = prior.at(-1);
    const record: RunRecord = { ...row, status: 'running', attempt };
    if (last && isRunEnd(last)) {
      // The earlier attempt ended the run but its final row was not written: write it from the end event.
      store.finishRun(runId, attempt, { ...endOf(last), endedAt: last.at });
      await store.flush();
      await relay.drain();
      return 'ended';
    }
    if (job === undefined) {
      const error: ErrorBody = { code: 'RUN_INTERRUPTED', message: 'the run has no stored job to execute' };
      const trace = RunTrace.of(runId, row.flowId, prior);
      const event = trace.emit('run.failed', { error, durationMs: 0 });
      if (event) {
        store.enqueueEvent(event, attempt);
        store.finishRun(runId, attempt, { status: 'failed', error, endedAt: event.at, durationMs: 0 });
        await store.flush();
        relay.end(event, Promise.resolve());
      }
      await relay.drain();
      return 'ended';
    }
    const { flow, options: jobOptions } = job;
    const trace = RunTrace.of(runId, row.flowId, prior);
    const recording = { isOn: true };
    const options: StartRunOptions = {
      ...jobOptions,
      inputs: row.inputs,
      depth: row.depth,
      ...(row.sessionId !== undefined && { sessionId: row.sessionId }),
      ...(row.parentRunId !== undefined && { parentRunId: row.parentRunId }),
      // Its child runs (subflows, map items, tool flows) take its source, as they do where a run starts.
      ...(row.source !== undefined && { source: row.source }),
    };
    // A resumed run keeps its tree: one deadline from its first attempt's start (the engine's timer gets what is left
    // of it), and the node executions earlier attempts began count against its budget.
    const tree = this.#newTree(runId, options, prior);
    const engineOptions: StartRunOptions =
      prior.length > 0 && tree.deadline !== undefined
        ? { ...options, timeoutMs: Math.max(1, tree.deadline - Date.now()), timeoutMessage: tree.timeoutMessage }
        : options;
    const started = this.#launch(flow, engineOptions, {
      runId,
      trace,
      attempt,
      record,
      priorCount: prior.length,
      ...(prior.length > 0 && { resume: resumedNodes(prior) }),
      relay,
      recording,
      tree,
    });
    this.#notify(started.handle, startInfo(flow, row.flowVersion, options));
    let isHandedBack = false;
    control.cancel = () => started.handle.cancel();
    control.handBack = () => {
      isHandedBack = true;
      recording.isOn = false;
      started.handle.cancel();
    };
    if (relay.isCancelRequested) started.handle.cancel();
    try {
      await started.done;
    } finally {
      await store.flush().catch(() => {});
      await relay.drain();
      // The store has every event either way; the run's stream may lack some, which its live readers then miss.
      if (relay.lastError !== undefined)
        this.#log?.error(
          { err: relay.lastError, runId },
          "some of the run's events could not be relayed to its stream",
        );
    }
    return isHandedBack ? 'handed-back' : 'ended';
  }

  /**
   * Queues a run's final state (unless the run was handed back: then nothing more is recorded). It never fails
   * silently: an end that cannot be stored (an event that could not be queued, or the end itself) is stored as
   * `failed` with the reason instead, and logged; only a store that refuses even that rejects `done` (the run still
   * leaves the live set, so nothing waits on it forever).
   */
  #finish(
    record: RunRecord,
    result: RunResult,
    recording: { isOn: boolean },
    unstored: { err?: unknown; seq?: number },
    ttftMs?: number,
  ): RunRecord {
    const endedAt = new Date().toISOString();
    let end: RunEnd = {
      status: result.status,
      outputs: result.outputs,
      ...(result.error && { error: result.error }),
      ...(result.usage && { usage: result.usage }),
      ...(result.costUsd !== undefined && { costUsd: result.costUsd }),
      endedAt,
      durationMs: result.durationMs,
      ...(ttftMs !== undefined && { ttftMs }),
    };
    try {
      if (recording.isOn) {
        if (unstored.err !== undefined) {
          this.#log?.error(
            { err: unstored.err, runId: record.runId },
            `event ${unstored.seq} of the run was not stored`,
          );
          end = unstorableEnd(end, `its event ${unstored.seq} could not be stored`, unstored.err);
        }
        try {
          this.#store.finishRun(record.runId, record.attempt, end);
        } catch (err) {
          this.#log?.error({ err, runId: record.runId }, "the run's final state could not be stored");
          end = unstorableEnd(end, 'its final state could not be stored', err);
          this.#store.finishRun(record.runId, record.attempt, end);
        }
      }
    } finally {
      this.#live.delete(record.runId);
    }
    return { ...record, ...end, durationMs: Math.round(result.durationMs) };
  }

  /**
   * The tree of a root run: a fresh budget, and its own time limit as the deadline of every run under it. A run a
   * worker resumes passes the events earlier attempts recorded (`prior`): the deadline counts from its `run.started`
   * and the node executions they began (`node.started`, tool calls included) are used already. (Those of child runs
   * an earlier attempt started are not counted: their logs are their own.)
   */
  #newTree(rootRunId: string, options: StartRunOptions, prior: readonly TraceEvent[] = []): RunTree {
    const { timeoutMs } = options;
    const first = prior[0];
    const startedAt = first?.type === 'run.started' ? Date.parse(first.at) : Number.NaN;
    const from = Number.isFinite(startedAt) ? startedAt : Date.now();
    const keyId = (options.request?.published as { keyId?: unknown } | undefined)?.keyId;
    return {
      rootRunId,
      ...(typeof keyId === 'string' && { memoryScope: `key:${keyId}:` }),
      nodeRuns: prior.filter((event) => event.type === 'node.started').length,
      maxNodeRuns: this.#maxNodeRuns,
      ...(timeoutMs !== undefined && timeoutMs > 0 && { deadline: from + timeoutMs }),
      // The engine's own message for its timer, so both ends of the limit say the same.
      timeoutMessage: options.timeoutMessage ?? `the run took longer than its limit of ${timeoutMs} ms`,
    };
  }

  /**
   * `ctx.services.flows` of one run: runs a flow one level deeper, cancelled with its caller. The flow is the
   * bundle's frozen copy when the run has a bundle (passed on to the nested run), else the saved draft.
   */
  #flowRunner(
    parentRunId: string,
    depth: number,
    bundle: FlowBundle | undefined,
    tree: RunTree,
    source: RunSource | undefined,
  ): FlowRunner {
    const resolve = async (flowId: string) => (bundle ? bundle.resolve(flowId) : await this.savedFlow(flowId));
    return {
      run: async (flowId, inputs, { signal, request, onUsage, parentSpanId }) => {
        const sessionId = typeof request?.sessionId === 'string' ? request.sessionId : undefined;
        const { flow, version } = await resolve(flowId);
        const { done } = this.start(
          flow,
          {
            inputs,
            signal,
            depth: depth + 1,
            parentRunId,
            tree,
            ...(parentSpanId !== undefined && { parentSpanId }),
            ...(source !== undefined && { source }),
            ...(bundle && { bundle }),
            ...(sessionId !== undefined && { sessionId }),
          },
          version,
        );
        const run = await done;
        // The nested run's model usage counts on the calling node too, so a flow's cost includes its subflows'.
        if (run.usage && onUsage) onUsage(run.usage, run.costUsd ?? 0);
        if (run.status === 'completed') return run.outputs ?? {};
        if (run.error)
          throw new AppError(run.error.code, `subflow "${flowId}" (${run.runId}): ${run.error.message}`, {
            details: run.error.details,
          });
        throw new AppError('RUN_CANCELLED', `subflow "${flowId}" (${run.runId}) was cancelled`);
      },
      describe: async (flowId) => describeFlow((await resolve(flowId)).flow, this.#nodes),
    };
  }

  /**
   * Ends a run nothing will finish (a nested run whose worker died; its parent has ended): claims it, closes its log
   * with `run.failed` RUN_INTERRUPTED and writes its final row.
   */
  async interrupt(runId: string): Promise<void> {
    const attempt = await this.#store.claimRun(runId);
    if (attempt === undefined) return;
    const [row, events] = await Promise.all([this.#store.getRun(runId), this.#store.getEvents(runId)]);
    if (!row) return;
    const trace = RunTrace.of(runId, row.flowId, events);
    const error: ErrorBody = { code: 'RUN_INTERRUPTED', message: 'the process running it stopped' };
    const event = trace.emit('run.failed', { error, durationMs: 0 });
    if (event) this.#store.enqueueEvent(event, attempt);
    this.#store.finishRun(runId, attempt, {
      status: 'failed',
      error,
      endedAt: new Date().toISOString(),
      durationMs: Math.max(0, Date.now() - Date.parse(row.startedAt)),
    });
    await this.#store.flush();
  }

  /** The trace of a run still live in this process (or being written), else undefined. */
  liveTrace(runId: string): RunTrace | undefined {
    return this.#live.get(runId)?.handle.trace;
  }

  /** The live handles of one flow's runs. */
  liveRuns(flowId?: string): RunHandle[] {
    return [...this.#live.values()].map((l) => l.handle).filter((h) => flowId === undefined || h.flowId === flowId);
  }

  /** One run and every event so far, from memory when live, else from the store. */
  async get(runId: string): Promise<RunDetail | undefined> {
    const live = this.#live.get(runId);
    if (live && !live.isMirror) return { run: live.record, events: [...live.handle.trace.events], isLive: true };
    const [run, events] = await Promise.all([this.#store.getRun(runId), this.#store.getEvents(runId)]);
    if (!run) return undefined;
    const isLive = run.status === 'queued' || run.status === 'running';
    if (!this.#isRemote || !isLive) return { run, events, isLive: false };
    // Going on a worker: the stream (or this process's mirror of it, once it reads the stream) may be ahead of the store.
    const streamed = live?.isTailing?.()
      ? [...live.handle.trace.events]
      : await (this.#queue as RunQueueParts).streams.read(runId);
    return { run, events: streamed.length > events.length ? streamed : events, isLive: true };
  }

  /**
   * The stored events of a run that is not live here, after `afterSeq`. Throws RUN_NOT_FOUND for an unknown run. (A
   * run leaves the live set only once its last event is queued, and the store's reads see what is queued.)
   */
  async storedEvents(runId: string, afterSeq = -1): Promise<TraceEvent[]> {
    const [run, events] = await Promise.all([this.#store.getRun(runId), this.#store.getEvents(runId, afterSeq)]);
    if (!run) throw new AppError('RUN_NOT_FOUND', `run "${runId}" does not exist`);
    return events;
  }

  /** Cancels a live run and waits until its final state is stored. */
  async cancel(runId: string): Promise<RunRecord> {
    if (this.#isRemote) await this.watch(runId);
    const live = this.#live.get(runId);
    if (!live) {
      const run = await this.#store.getRun(runId);
      if (!run) throw new AppError('RUN_NOT_FOUND', `run "${runId}" does not exist`);
      if (run.status === 'paused') {
        const ended = await this.#endPaused(runId, new AppError('RUN_CANCELLED', 'the run was cancelled'));
        if (ended) return ended;
      }
      throw new AppError('RUN_NOT_RUNNING', `run "${runId}" is not running (status ${run.status})`, {
        details: [{ runId, status: run.status }],
      });
    }
    if (live.isMirror) return this.#cancelRemote(runId, live);
    live.handle.cancel();
    return live.done;
  }

  /** Asks the worker holding the run (or the one that claims it next) to cancel it, and waits for the end a while. */
  async #cancelRemote(runId: string, live: LiveRun): Promise<RunRecord> {
    await (this.#queue as RunQueueParts).queue.requestCancel(runId);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), REMOTE_CANCEL_WAIT_MS);
    });
    try {
      return (await Promise.race([live.done, late])) ?? (await this.#store.getRun(runId)) ?? live.record;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Called with every run started from now on (of one flow when `flowId` is given), as it starts (its first events
   * may be in its trace already: `trace.subscribe` replays them): in the worker role, the queued runs it executes; in
   * the api role, runs started through other api processes too. Returns the unsubscribe function.
   */
  onRun(listener: RunListener, flowId?: string): () => void {
    const entry = { listener, ...(flowId !== undefined && { flowId }) };
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  /** Cancels every live run and waits for their final states to be stored (shutdown). */
  async cancelAll(): Promise<void> {
    // Paused runs stay paused (stored): the next process watches their deadlines.
    for (const timer of this.#pauseTimers.values()) clearTimeout(timer);
    this.#pauseTimers.clear();
    // Runs queued for workers go on without this process: stop mirroring them only.
    for (const live of this.#live.values()) live.detach?.();
    clearInterval(this.#endSweep);
    this.#endSweep = undefined;
    const pending = [...this.#live.values()].filter((live) => !live.isMirror);
    for (const live of pending) live.handle.cancel();
    await Promise.allSettled(pending.map((live) => live.done));
  }
}

/** How a run was asked for, recorded with it (run history labels reruns, nodes run alone and pinned runs). */
function originOf(options: StartRunOptions): { origin?: RunOrigin } {
  const origin: RunOrigin = {
    ...(options.rerunOf && { rerunOf: options.rerunOf.runId, fromNode: options.rerunOf.fromNode }),
    ...(options.alone && { node: options.alone.nodeId }),
    ...(options.pins && options.pins.size > 0 && { pinned: [...options.pins.keys()] }),
  };
  return Object.keys(origin).length > 0 ? { origin } : {};
}

/** The engine's `reuse` and `pinned` of a run: its run-from-node outputs, with the user's pins over them. */
function reuseOf(options: StartRunOptions): { reuse?: ReadonlyMap<string, Values>; pinned?: ReadonlySet<string> } {
  const { reuse, pins } = options;
  if (!pins || pins.size === 0) return reuse ? { reuse } : {};
  return { reuse: new Map([...(reuse ?? []), ...pins]), pinned: new Set(pins.keys()) };
}

/** Throws VALIDATION_FAILED naming `body.breakpoints[i]` for a breakpoint at a node the flow does not have. */
function checkBreakpoints(flow: FlowFile, breakpoints: readonly string[] | undefined): void {
  if (!breakpoints?.length) return;
  const ids = new Set(flow.nodes.map((node) => node.id));
  const details = breakpoints.flatMap((nodeId, i) =>
    ids.has(nodeId)
      ? []
      : [{ field: `body.breakpoints[${i}]`, message: `node "${nodeId}" is not in flow "${flow.id}"` }],
  );
  if (details.length > 0)
    throw new AppError('VALIDATION_FAILED', details.map((d) => `${d.field}: ${d.message}`).join('; '), { details });
}

/**
 * Throws VALIDATION_FAILED naming `body.inputs.<port>` for inputs a paused node cannot take: a port it does not have,
 * a required one missing, a value of the wrong type (checked like run inputs).
 */
function checkNodeInputs(flow: FlowFile, registry: NodeRegistry, nodeId: string, inputs: Values): void {
  const node = flow.nodes.find((n) => n.id === nodeId);
  const kind = node && registry.get(node.type);
  if (!node || !kind) return;
  try {
    checkRunInputs(
      resolveInputs(kind.spec, node.params).map((port) => ({
        nodeId,
        name: port.name,
        dataType: port.dataType,
        required: port.required === true,
      })),
      inputs,
    );
  } catch (err) {
    if (!isAppError(err)) throw err;
    const problems = (err.details ?? []) as { input: string; message: string }[];
    const details = problems.map((p) => ({ field: `body.inputs.${p.input}`, message: p.message }));
    throw new AppError('VALIDATION_FAILED', details.map((d) => `${d.field}: ${d.message}`).join('; '), { details });
  }
}

/** A run's end replaced by `failed` with INTERNAL and the reason: what is stored when the real end cannot be. */
function unstorableEnd(end: RunEnd, why: string, err: unknown): RunEnd {
  const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return {
    status: 'failed',
    outputs: {},
    error: { code: 'INTERNAL', message: `the run ended ${end.status}, but ${why} (${reason})` },
    ...(end.usage && { usage: end.usage }),
    ...(end.costUsd !== undefined && { costUsd: end.costUsd }),
    endedAt: end.endedAt,
    durationMs: end.durationMs,
  };
}

/** The sandbox as one run tree sees it: its scripts are queued under the root run's id (fair between trees). */
/**
 * Chat memory within one scope: a session id is taken as it is when it is already in the scope (the run request's,
 * which the published endpoint scoped), and put in it otherwise (one a memory node got on its `sessionId` input).
 */
function scopedMemory(memory: MemoryService, scope: string): MemoryService {
  const scoped = (sessionId: string) => (sessionId.startsWith(scope) ? sessionId : `${scope}${sessionId}`);
  return {
    read: (sessionId, options) => memory.read(scoped(sessionId), options),
    append: (sessionId, messages, options) => memory.append(scoped(sessionId), messages, options),
  };
}

function keyedSandbox(sandbox: SandboxService, key: string): SandboxService {
  return { run: (code, args, options) => sandbox.run(code, args, { ...options, key }) };
}

/**
 * Throws RUN_NODE_LIMIT once a tree has used its node executions, and RUN_TIMEOUT once it is past its deadline (then
 * cancelling the root run, so the whole tree ends `cancelled` with RUN_TIMEOUT at once).
 */
function checkTree(tree: RunTree): void {
  if (tree.nodeRuns >= tree.maxNodeRuns) {
    throw new AppError(
      'RUN_NODE_LIMIT',
      `the run reached its limit of ${tree.maxNodeRuns} node executions, its child runs included (FLOWLOOM_MAX_NODE_RUNS)`,
    );
  }
  if (tree.deadline !== undefined && Date.now() >= tree.deadline) {
    tree.expire?.();
    throw new AppError('RUN_TIMEOUT', tree.timeoutMessage);
  }
}

/** What `onRun` watchers learn of a run as it starts. */
function startInfo(flow: FlowFile, flowVersion: number | null, options: StartRunOptions): RunStartInfo {
  return {
    flow,
    flowVersion,
    ...(options.parentRunId !== undefined && { parentRunId: options.parentRunId }),
    ...(options.parentSpanId !== undefined && { parentSpanId: options.parentSpanId }),
    ...(options.source !== undefined && { source: options.source }),
  };
}

/** A run's final state from its end event (when the stored row cannot be read). */
function endOf(event: TraceEvent | undefined): Omit<RunEnd, 'endedAt'> & { endedAt?: string } {
  if (!event) return { status: 'failed', durationMs: 0 };
  const durationMs = (event.data as { durationMs?: number }).durationMs ?? 0;
  if (event.type === 'run.completed') {
    const { outputs, usage, costUsd } = event.data;
    return {
      status: 'completed',
      outputs,
      ...(usage && { usage }),
      ...(costUsd !== undefined && { costUsd }),
      durationMs,
      endedAt: event.at,
    };
  }
  if (event.type === 'run.failed') return { status: 'failed', error: event.data.error, durationMs, endedAt: event.at };
  return { status: 'cancelled', durationMs, endedAt: event.at };
}

/** The engine's result shape of a stored run (a mirrored run's handle). */
function resultOf(run: RunRecord): RunResult {
  return {
    runId: run.runId,
    flowId: run.flowId,
    status: run.status,
    outputs: run.outputs ?? {},
    ...(run.error && { error: run.error }),
    startedAt: run.startedAt,
    durationMs: run.durationMs ?? 0,
    ...(run.usage && { usage: run.usage }),
    ...(run.costUsd !== undefined && { costUsd: run.costUsd }),
  };
}
