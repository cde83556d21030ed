import {
  AppError,
  type FlowFile,
  type FlowRunner,
  type NodeRegistry,
  type NodeServices,
  type SandboxService,
  type TraceEvent,
  type Values,
} from '@flowloom/nodes';
import { newRunId, type RunHandle, type RunResult, RunTrace, reusableOutputs, startRun } from '../engine/index.js';
import type { RunEnd, RunRecord, Store } from '../store/types.js';
import { describeFlow } from './flow-describe.js';

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
}

/**
 * The flows a run may call, frozen (a published version's bundle): the run's flow calls, at every depth, resolve here
 * and never to a draft.
 */
export interface FlowBundle {
  /** The frozen flow and the draft version it froze. Throws FLOW_NOT_FOUND for a flow outside the bundle. */
  resolve(flowId: string): { flow: FlowFile; version: number | null };
}

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
  /** Extra request values for `ctx.request`. */
  request?: Record<string, unknown>;
  /** Run-from-node: outputs to reuse instead of executing, by node id (see the engine's `reusableOutputs`). */
  reuse?: ReadonlyMap<string, Values>;
  /** Nodes not retried once they streamed text (see the engine's `RunOptions.streamedToClient`). */
  streamedToClient?: ReadonlySet<string>;
  /** The tree of a child run (set by the flow runner): its budget and deadline are its root's. */
  tree?: RunTree;
}

/** What run watchers (`onRun`) learn of a run as it starts, besides its handle. */
export interface RunStartInfo {
  flow: FlowFile;
  flowVersion: number | null;
  parentRunId?: string;
  parentSpanId?: string;
}

/** A run that started: the engine's handle, and `done`, which settles once its final state is stored. */
export interface StartedRun {
  handle: RunHandle;
  done: Promise<RunRecord>;
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
  readonly #live = new Map<string, { handle: RunHandle; record: RunRecord; done: Promise<RunRecord> }>();
  readonly #store: Store;
  readonly #nodes: NodeRegistry;
  readonly #services: NodeServices;
  readonly #log?: RunServiceLog;
  readonly #maxNodeRuns: number;
  readonly #listeners = new Set<(handle: RunHandle, info: RunStartInfo) => void>();
  /**
   * The parsed draft of each flow, keyed by its stored text: the engine caches compiled plans per flow object,
   * so handing it the same object for the same text skips validation and compilation on every run.
   */
  readonly #parsed = new Map<string, { text: string; flow: FlowFile; version: number }>();

  constructor(options: RunServiceOptions) {
    this.#store = options.store;
    this.#nodes = options.registry;
    this.#services = options.services;
    this.#log = options.log;
    this.#maxNodeRuns = options.maxNodeRuns ?? DEFAULT_MAX_NODE_RUNS;
  }

  /** Runs the saved draft of a flow. Throws FLOW_NOT_FOUND, FLOW_INVALID or RUN_INPUT_INVALID before starting. */
  async startSaved(flowId: string, options: StartRunOptions): Promise<StartedRun> {
    const { flow, version } = await this.savedFlow(flowId);
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
   * to the earlier run's. CONFLICT (409) while the earlier run is still live.
   */
  async rerun(runId: string, fromNode: string, options: Partial<StartRunOptions> = {}): Promise<StartedRun> {
    const earlier = await this.get(runId);
    if (!earlier) throw new AppError('RUN_NOT_FOUND', `run "${runId}" does not exist`);
    if (earlier.isLive) throw new AppError('CONFLICT', `run "${runId}" is still running`, { status: 409 });
    const { flow, version } = await this.savedFlow(earlier.run.flowId);
    if (!flow.nodes.some((node) => node.id === fromNode)) {
      // A value of the request that names nothing: the caller's mistake (400), not a missing resource.
      const message = `node "${fromNode}" is not in flow "${flow.id}"`;
      throw new AppError('VALIDATION_FAILED', `body.fromNode: ${message}`, {
        details: [{ field: 'body.fromNode', message }],
      });
    }
    const reuse = reusableOutputs(flow, this.#nodes, earlier.events, fromNode);
    return this.start(flow, { ...options, inputs: options.inputs ?? earlier.run.inputs ?? {}, reuse }, version);
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
    const runId = options.runId ?? newRunId();
    const tree = options.tree ?? this.#newTree(runId, options);
    // A child run is refused before anything is stored once its tree is out of node executions or time. (The root's
    // timer cancels the tree, children included, through their signals; this holds when the timer is late, e.g. on
    // a busy event loop.)
    if (options.tree) checkTree(tree);
    const trace = new RunTrace(runId, flow.id);
    const store = this.#store;
    // Subscribed before the first event: every event is queued for the store, in order. A run executed here is its
    // first attempt. An event that cannot be queued (never expected: values are checked where they enter) fails the
    // run when it ends, with the reason, instead of being lost without a word.
    const unstored: { err?: unknown; seq?: number } = {};
    trace.subscribe((event) => {
      try {
        store.enqueueEvent(event, FIRST_ATTEMPT);
      } catch (err) {
        if (unstored.err === undefined) Object.assign(unstored, { err, seq: event.seq });
      }
    });
    const handle = startRun(flow, {
      registry: this.#nodes,
      services: {
        ...this.#services,
        flows: this.#flowRunner(runId, depth, options.bundle, tree),
        ...(this.#services.sandbox && { sandbox: keyedSandbox(this.#services.sandbox, tree.rootRunId) }),
      },
      inputs: options.inputs,
      request: { ...options.request, ...(options.sessionId !== undefined && { sessionId: options.sessionId }) },
      runId,
      trace,
      depth,
      signal: options.signal,
      timeoutMs: options.timeoutMs,
      timeoutMessage: options.timeoutMessage,
      reuse: options.reuse,
      streamedToClient: options.streamedToClient,
      beforeNode: () => {
        checkTree(tree);
        tree.nodeRuns++;
      },
    });
    if (!options.tree && tree.deadline !== undefined) {
      tree.expire = () => handle.cancel(new AppError('RUN_TIMEOUT', tree.timeoutMessage));
    }
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
    };
    store.insertRun(record);
    const done = handle.result.then((result) => this.#finish(record, result, unstored));
    // Awaiters still see a failure to record the run; nobody awaiting must not crash the process.
    done.catch(() => {});
    this.#live.set(runId, { handle, record, done });
    const info: RunStartInfo = {
      flow,
      flowVersion,
      ...(options.parentRunId !== undefined && { parentRunId: options.parentRunId }),
      ...(options.parentSpanId !== undefined && { parentSpanId: options.parentSpanId }),
    };
    for (const listener of this.#listeners) {
      try {
        listener(handle, info);
      } catch {
        // A faulty watcher (e.g. a socket going away) must not fail a run that has started.
      }
    }
    return { handle, done };
  }

  /**
   * Queues a run's final state. It never fails silently: an end that cannot be stored (an event that could not be
   * queued, or the end itself) is stored as `failed` with the reason instead, and logged; only a store that refuses
   * even that rejects `done` (the run still leaves the live set, so nothing waits on it forever).
   */
  #finish(record: RunRecord, result: RunResult, unstored: { err?: unknown; seq?: number }): RunRecord {
    const endedAt = new Date().toISOString();
    let end: RunEnd = {
      status: result.status,
      outputs: result.outputs,
      ...(result.error && { error: result.error }),
      ...(result.usage && { usage: result.usage }),
      ...(result.costUsd !== undefined && { costUsd: result.costUsd }),
      endedAt,
      durationMs: result.durationMs,
    };
    try {
      if (unstored.err !== undefined) {
        this.#log?.error({ err: unstored.err, runId: record.runId }, `event ${unstored.seq} of the run was not stored`);
        end = unstorableEnd(end, `its event ${unstored.seq} could not be stored`, unstored.err);
      }
      try {
        this.#store.finishRun(record.runId, record.attempt, end);
      } catch (err) {
        this.#log?.error({ err, runId: record.runId }, "the run's final state could not be stored");
        end = unstorableEnd(end, 'its final state could not be stored', err);
        this.#store.finishRun(record.runId, record.attempt, end);
      }
    } finally {
      this.#live.delete(record.runId);
    }
    return { ...record, ...end, durationMs: Math.round(result.durationMs) };
  }

  /**
   * `ctx.services.flows` of one run: runs a flow one level deeper, cancelled with its caller. The flow is the
   * bundle's frozen copy when the run has a bundle (passed on to the nested run), else the saved draft.
   */
  /** The tree of a root run: a fresh budget, and its own time limit as the deadline of every run under it. */
  #newTree(rootRunId: string, options: StartRunOptions): RunTree {
    const { timeoutMs } = options;
    return {
      rootRunId,
      nodeRuns: 0,
      maxNodeRuns: this.#maxNodeRuns,
      ...(timeoutMs !== undefined && timeoutMs > 0 && { deadline: Date.now() + timeoutMs }),
      // The engine's own message for its timer, so both ends of the limit say the same.
      timeoutMessage: options.timeoutMessage ?? `the run took longer than its limit of ${timeoutMs} ms`,
    };
  }

  #flowRunner(parentRunId: string, depth: number, bundle: FlowBundle | undefined, tree: RunTree): FlowRunner {
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
    if (live) return { run: live.record, events: [...live.handle.trace.events], isLive: true };
    const [run, events] = await Promise.all([this.#store.getRun(runId), this.#store.getEvents(runId)]);
    return run && { run, events, isLive: false };
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
    const live = this.#live.get(runId);
    if (!live) {
      const run = await this.#store.getRun(runId);
      if (!run) throw new AppError('RUN_NOT_FOUND', `run "${runId}" does not exist`);
      throw new AppError('RUN_NOT_RUNNING', `run "${runId}" is not running (status ${run.status})`, {
        details: [{ runId, status: run.status }],
      });
    }
    live.handle.cancel();
    return live.done;
  }

  /**
   * Called with every run started from now on, as it starts (its first events may be in its trace already:
   * `trace.subscribe` replays them). Returns the unsubscribe function.
   */
  onRun(listener: (handle: RunHandle, info: RunStartInfo) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Cancels every live run and waits for their final states to be stored (shutdown). */
  async cancelAll(): Promise<void> {
    const pending = [...this.#live.values()];
    for (const live of pending) live.handle.cancel();
    await Promise.allSettled(pending.map((live) => live.done));
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
