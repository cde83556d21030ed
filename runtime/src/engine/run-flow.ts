import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  AppError,
  addUsage,
  checkRunInputs,
  coerce,
  type ErrorBody,
  type FlowFile,
  findValueProblem,
  isAppError,
  type NodeContext,
  type NodeRegistry,
  type NodeServices,
  type PauseReason,
  pauseDecisions,
  pendingPauses,
  type ResumeDecision,
  type RunStatus,
  TOOL_SPAN_PREFIX,
  type ToolRef,
  type TraceEvent,
  toErrorBody,
  type Usage,
  type Values,
} from '@flowloom/nodes';
import { type ContextHost, RunContext, type UsageSink } from './node-context.js';
import { compileFlow, type Plan, type PlanNode } from './plan.js';
import { RunTrace } from './run-trace.js';

/** How a run is started. */
export interface RunOptions {
  registry: NodeRegistry;
  services: NodeServices;
  inputs: Values;
  /** Request values that are not flow inputs (e.g. `sessionId`), visible to nodes as `ctx.request`. */
  request?: { sessionId?: string; [key: string]: unknown };
  runId?: string;
  /** How many nodes may run at once (default 32). */
  concurrency?: number;
  /** Aborting it cancels the run (a parent run's signal, for subflows). */
  signal?: AbortSignal;
  /** A time limit for the whole run: past it the run is cancelled with RUN_TIMEOUT and `timeoutMessage`. */
  timeoutMs?: number;
  timeoutMessage?: string;
  /** Pass your own trace to subscribe before the first event. */
  trace?: RunTrace;
  /** Subflow nesting depth (0 for a top-level run). */
  depth?: number;
  /**
   * Outputs to reuse instead of executing, by node id (run-from-node: what completed upstream of the node to rerun,
   * input nodes aside, keeps its earlier outputs). See `reusableOutputs`.
   */
  reuse?: ReadonlyMap<string, Values>;
  /** The nodes of `reuse` whose outputs the user pinned (editor runs): their `node.completed` says `pinned: true`. */
  pinned?: ReadonlySet<string>;
  /**
   * Runs one node alone with these inputs: nothing upstream or downstream executes, the run's inputs are the node's
   * (`inputs` is not checked against the flow's input nodes) and its outputs are the node's. See `checkNodeAlone`.
   */
  alone?: { nodeId: string };
  /**
   * Nodes whose streamed text goes to a client that cannot take it back (the OpenAI-compatible stream): once such a
   * node has streamed text, a failure is final instead of retried. Every other consumer is told by the retry's
   * `node.log` (`data.retry`) that the span's text so far is discarded.
   */
  streamedToClient?: ReadonlySet<string>;
  /**
   * Called before every node execution and tool call; a throw fails that node with the error instead (the run
   * service counts a run tree's node executions against FLOWLOOM_MAX_NODE_RUNS here).
   */
  beforeNode?: (nodeId: string) => void;
  /**
   * Resuming a run after an earlier attempt stopped (a worker that died or handed it back): the top-level nodes that
   * attempt finished, by node id (see `resumedNodes`). They are not executed again and emit nothing: their events are
   * in the trace already, which must be passed (`trace`) holding the earlier attempt's events; `run.started` is not
   * emitted again and new spans continue the earlier numbering.
   */
  resume?: ReadonlyMap<string, ResumedNode>;
  /**
   * Whether the run may pause (docs/contracts.md §9): a top-level editor or published run executed by the process
   * that holds it. When false, breakpoints are ignored and approval nodes fail with APPROVAL_UNSUPPORTED.
   */
  canPause?: boolean;
  /** Nodes to pause before (editor breakpoints): `node.paused` with reason `breakpoint`. */
  breakpoints?: ReadonlySet<string>;
  /** How long a paused node waits by default before the run ends PAUSE_TIMEOUT (ms; default one hour). */
  pauseTimeoutMs?: number;
  /** The time earlier segments of a resumed paused run ran, pauses excluded: durations continue from it. */
  priorDurationMs?: number;
}

/** A node a paused run waits at (`RunResult.paused`). */
export interface PausedNode {
  nodeId: string;
  reason: PauseReason;
  /** `Date.now()` past which it waits no longer (the run ends PAUSE_TIMEOUT). */
  deadline: number;
}

/** How long a paused run waits by default (FLOWLOOM_PAUSE_TIMEOUT_MS). */
export const DEFAULT_PAUSE_TIMEOUT_MS = 3_600_000;

/** How a top-level node ended in an earlier attempt of the run (`RunOptions.resume`). */
export type ResumedNode =
  | { status: 'completed'; outputs: Values; usage?: Usage; costUsd?: number }
  | { status: 'skipped' }
  | { status: 'failed'; error: ErrorBody };

/**
 * The top-level nodes an earlier attempt finished, from its events: completed (with outputs and usage), skipped or
 * failed. Nodes that started and did not finish are absent: they run again.
 */
export function resumedNodes(events: readonly TraceEvent[]): Map<string, ResumedNode> {
  const nodes = new Map<string, ResumedNode>();
  for (const event of events) {
    if (!event.nodeId || event.parentSpanId) continue;
    if (event.type === 'node.completed') {
      const { outputs, usage, costUsd } = event.data;
      nodes.set(event.nodeId, {
        status: 'completed',
        outputs,
        ...(usage && { usage }),
        ...(costUsd !== undefined && { costUsd }),
      });
    } else if (event.type === 'node.skipped') nodes.set(event.nodeId, { status: 'skipped' });
    else if (event.type === 'node.failed') nodes.set(event.nodeId, { status: 'failed', error: event.data.error });
  }
  return nodes;
}

/** The highest span number (`s_<base 36>`) used by the events, so new spans of a resumed run do not repeat one. */
function lastSpanNumber(events: readonly TraceEvent[]): number {
  let last = 0;
  for (const event of events) {
    if (event.spanId?.startsWith('s_')) last = Math.max(last, Number.parseInt(event.spanId.slice(2), 36) || 0);
  }
  return last;
}

/** The outcome of a run, as the HTTP API answers it. */
export interface RunResult {
  runId: string;
  flowId: string;
  status: RunStatus;
  outputs: Values;
  error?: ErrorBody;
  startedAt: string;
  durationMs: number;
  usage?: Usage;
  costUsd?: number;
  /** Status `paused`: the nodes it waits at, each with its deadline. */
  paused?: PausedNode[];
}

/** A run in progress. */
export interface RunHandle {
  runId: string;
  flowId: string;
  trace: RunTrace;
  result: Promise<RunResult>;
  /**
   * Stops the run at once: nothing new starts, in-flight calls are aborted, one `run.cancelled` is emitted. An
   * AppError as `reason` (e.g. RUN_TIMEOUT) becomes the run's error; default RUN_CANCELLED.
   */
  cancel(reason?: unknown): void;
}

/** Calls tool nodes on behalf of a node (function-call): runs the tool node's `invoke` as a child span. */
export interface ToolInvoker {
  invoke(ref: ToolRef, args: Record<string, unknown>, caller: NodeContext): Promise<unknown>;
}

const DEFAULT_CONCURRENCY = 32;

/**
 * A new run id: `r_` and 24 hex digits, the first 12 the time in ms and the last 12 random. Time-ordered ids keep
 * every index keyed by run id (the runs, their events, published runs) appending at its end: random ids dirtied a
 * different page of each per run, several times the bytes written to SQLite's WAL for the same rows.
 */
export function newRunId(): string {
  const time = Date.now().toString(16).padStart(12, '0');
  return `r_${time}${randomUUID().slice(24)}`;
}

/**
 * Throws VALUE_TOO_DEEP when a value about to enter the trace (a node's outputs, a child span's inputs) nests deeper
 * than `MAX_VALUE_DEPTH`: storing or streaming it would overflow the stack (docs/contracts.md §2).
 */
function assertStorable(values: Values, what: 'input' | 'output'): void {
  for (const port in values) {
    const value = values[port];
    // Most ports carry text or numbers: nothing to walk (this runs for every node execution).
    if (value === null || typeof value !== 'object') continue;
    const found = findValueProblem(value, { prefix: port });
    if (found) throw new AppError('VALUE_TOO_DEEP', `${what} ${found.path} ${found.message}`);
  }
}

/** Marker values that travel over edges instead of data. */
const SKIPPED = Symbol('skipped');
const FAILED = Symbol('failed');
type EdgeValue = unknown;

enum State {
  Waiting = 0,
  Queued = 1,
  Running = 2,
  Done = 3,
  Paused = 4,
}

interface NodeState {
  state: State;
  remaining: number;
  /** Per input port: the values arrived, in arrival order (single ports keep the first real value). */
  values: EdgeValue[][];
  skipped: number;
  failedFrom?: string;
  /** The node's resolved inputs and params, kept for tool invocation. */
  call?: { inputs: Values; params: Record<string, unknown> };
  spanId?: string;
  usage?: Usage;
  costUsd: number;
}

function msSince(t0: number): number {
  return Math.round((performance.now() - t0) * 1000) / 1000;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function isRetryable(err: unknown): boolean {
  return isAppError(err) && err.retryable;
}

/**
 * Starts a flow run. Throws FLOW_INVALID (every problem in details) or RUN_INPUT_INVALID synchronously, before any
 * event. A node starts as soon as all its inputs resolved; independent nodes run concurrently up to `concurrency`.
 */
export function startRun(flow: FlowFile, options: RunOptions): RunHandle {
  const plan = compileFlow(flow, options.registry);
  if (!options.alone) checkRunInputs(plan.inputs, options.inputs);
  const runId = options.runId ?? newRunId();
  const trace = options.trace ?? new RunTrace(runId, flow.id);
  return new Run(plan, options, runId, trace).start();
}

class Run implements ContextHost {
  readonly #plan: Plan;
  readonly #options: RunOptions;
  readonly #trace: RunTrace;
  readonly #controller = new AbortController();
  readonly #states: NodeState[];
  readonly #queue: PlanNode[] = [];
  readonly #concurrency: number;
  readonly services: NodeServices;
  readonly request: NodeContext['request'];
  readonly #outputs: Values = {};
  readonly #startedAt = new Date();
  readonly #t0 = performance.now();
  #queueHead = 0;
  #running = 0;
  #settled = 0;
  #spanCounter = 0;
  #firstError?: { nodeId: string; error: ErrorBody };
  #finished = false;
  #resolve!: (result: RunResult) => void;
  #detach?: () => void;
  #timer?: ReturnType<typeof setTimeout>;
  /** Nodes waiting in this segment of the run: once nothing else runs, the run pauses. */
  readonly #paused: PausedNode[] = [];
  /** Decisions on nodes an earlier segment paused at, by node id and reason (from the trace's `run.resumed`). */
  readonly #decisions: ReadonlyMap<string, Partial<Record<PauseReason, ResumeDecision>>>;
  /** `<nodeId> <reason>` of pauses an earlier segment announced: pausing there again emits nothing. */
  readonly #announced = new Set<string>();
  /** Set once a node resumed with `step` executes: every node after it pauses (reason `breakpoint`). */
  #isStepping = false;
  /**
   * Nodes an earlier segment paused at that nobody decided on yet, with the reason: they pause again (a node paused by
   * a `step` in an earlier segment is not stepped into again when that node is replayed from its events).
   */
  readonly #pending: ReadonlyMap<string, PauseReason>;

  constructor(
    plan: Plan,
    options: RunOptions,
    readonly runId: string,
    trace: RunTrace,
  ) {
    this.#plan = plan;
    this.#options = options;
    this.#trace = trace;
    this.#concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
    this.#states = plan.nodes.map((node) => ({
      state: State.Waiting,
      remaining: node.incoming,
      values: node.ports.map(() => []),
      skipped: 0,
      costUsd: 0,
    }));
    this.#spanCounter = options.resume ? lastSpanNumber(trace.events) : 0;
    this.#decisions = options.resume ? pauseDecisions(trace.events) : new Map();
    this.#pending = new Map(
      options.resume ? [...pendingPauses(trace.events)].map(([nodeId, { reason }]) => [nodeId, reason]) : [],
    );
    if (options.resume) {
      for (const event of trace.events)
        if (event.type === 'node.paused') this.#announced.add(`${event.nodeId} ${event.data.reason}`);
    }
    const tools: ToolInvoker = { invoke: (ref, args, caller) => this.#invokeTool(ref, args, caller) };
    this.services = { ...options.services, tools };
    this.request = { ...options.request, inputs: options.inputs, depth: options.depth ?? 0 };
  }

  get flowId(): string {
    return this.#plan.flow.id;
  }

  get trace(): RunTrace {
    return this.#trace;
  }

  get isFinished(): boolean {
    return this.#finished;
  }

  start(): RunHandle {
    const result = new Promise<RunResult>((resolve) => {
      this.#resolve = resolve;
    });
    const parent = this.#options.signal;
    if (parent) {
      // An AppError as the abort reason (e.g. RUN_TIMEOUT) becomes the cancelled run's error.
      if (parent.aborted) queueMicrotask(() => this.cancel(parent.reason));
      else {
        const onAbort = () => this.cancel(parent.reason);
        parent.addEventListener('abort', onAbort, { once: true });
        // Removed when the run ends: a parent running many subflows (map) must not keep every finished one alive.
        this.#detach = () => parent.removeEventListener('abort', onAbort);
      }
    }
    const { timeoutMs } = this.#options;
    if (timeoutMs !== undefined && timeoutMs > 0) {
      this.#timer = setTimeout(() => {
        const message = this.#options.timeoutMessage ?? `the run took longer than its limit of ${timeoutMs} ms`;
        this.cancel(new AppError('RUN_TIMEOUT', message));
      }, timeoutMs);
      // A pending time limit alone must not keep the process alive.
      this.#timer.unref();
    }
    if (this.#trace.events.length === 0) this.#trace.emit('run.started', { inputs: this.#options.inputs });
    const alone = this.#options.alone && this.#plan.byId.get(this.#options.alone.nodeId);
    if (alone) this.#ready(alone);
    else for (const node of this.#plan.nodes) if (node.incoming === 0) this.#ready(node);
    this.#checkDone();
    return {
      runId: this.runId,
      flowId: this.#plan.flow.id,
      trace: this.#trace,
      result,
      cancel: (reason) => this.cancel(reason),
    };
  }

  cancel(reason?: unknown): void {
    if (this.#finished) return;
    this.#end();
    const error = isAppError(reason) ? reason : new AppError('RUN_CANCELLED', 'the run was cancelled');
    this.#controller.abort(error);
    const durationMs = this.#elapsed();
    this.#trace.emit('run.cancelled', { durationMs });
    this.#resolve(this.#result('cancelled', durationMs, toErrorBody(error)));
  }

  /** Marks the run finished and lets go of what could still reach it: the parent's signal, the time limit. */
  #end(): void {
    this.#finished = true;
    this.#detach?.();
    clearTimeout(this.#timer);
  }

  #elapsed(): number {
    return msSince(this.#t0) + (this.#options.priorDurationMs ?? 0);
  }

  #ready(node: PlanNode): void {
    const state = this.#states[node.index] as NodeState;
    state.state = State.Queued;
    if (this.#running < this.#concurrency) this.#launch(node);
    else this.#queue.push(node);
  }

  #launch(node: PlanNode): void {
    this.#running++;
    (this.#states[node.index] as NodeState).state = State.Running;
    this.#execute(node).then(
      () => this.#afterNode(),
      () => this.#afterNode(),
    );
  }

  #afterNode(): void {
    this.#running--;
    while (this.#running < this.#concurrency && this.#queueHead < this.#queue.length && !this.#finished) {
      this.#launch(this.#queue[this.#queueHead++] as PlanNode);
    }
    this.#checkDone();
  }

  #gatherInputs(node: PlanNode, state: NodeState): Values | null {
    const inputs: Values = {};
    for (let i = 0; i < node.ports.length; i++) {
      const port = node.ports[i] as PlanNode['ports'][number];
      const arrived = (state.values[i] as EdgeValue[]).filter((v) => v !== SKIPPED);
      if (port.multiple) {
        if (port.edges > 0) inputs[port.name] = arrived;
      } else if (arrived.length > 0) {
        inputs[port.name] = arrived[0];
      } else if (port.edges > 0) {
        return null; // every edge into this port was a branch not taken
      }
    }
    return inputs;
  }

  async #execute(node: PlanNode): Promise<void> {
    const state = this.#states[node.index] as NodeState;
    const resumed = this.#options.resume?.get(node.id);
    if (resumed) {
      this.#settleResumed(node, state, resumed);
      return;
    }
    if (state.failedFrom !== undefined) {
      this.#fail(
        node,
        state,
        new AppError('UPSTREAM_FAILED', `not run: upstream node "${state.failedFrom}" failed`),
        0,
        true,
      );
      return;
    }
    const inputs = this.#options.alone ? this.#options.inputs : this.#gatherInputs(node, state);
    if (inputs === null || (node.incoming > 0 && state.skipped === node.incoming)) {
      this.#skip(node, state, 'a branch feeding it was not taken');
      return;
    }
    const decided = this.#decisions.get(node.id);
    let call = { inputs, params: node.params };
    // The inputs a person set on resuming replace the arrived ones (the latest decision's).
    const replaced = decided?.approval?.inputs ?? decided?.breakpoint?.inputs;
    if (replaced) call = { ...call, inputs: replaced };
    const decision = decided?.approval && { isApproved: decided.approval.action === 'approve' };
    if (decision && decided?.approval?.value !== undefined) Object.assign(decision, { value: decided.approval.value });
    const asks = !decision && node.definition.awaitApproval?.(call as never);
    if (this.#options.canPause) {
      const isPending = this.#pending.get(node.id) === 'breakpoint';
      if (!decided?.breakpoint && (this.#isStepping || isPending || this.#options.breakpoints?.has(node.id))) {
        this.#pause(node, state, 'breakpoint', call.inputs);
        return;
      }
      if (asks) {
        this.#pause(node, state, 'approval', call.inputs, asks.timeoutMs);
        return;
      }
    } else if (asks) {
      const message =
        'approval nodes pause only top-level editor and published runs executed in one process (not subflows, map items, tool flows, queued runs, experiments, flow tests or CLI runs)';
      this.#fail(node, state, new AppError('APPROVAL_UNSUPPORTED', message), 0, false);
      return;
    }
    if (decided?.breakpoint?.action === 'step') this.#isStepping = true;
    const spanId = this.#newSpanId();
    state.spanId = spanId;
    state.call = call;
    const span = { nodeId: node.id, spanId, parentSpanId: null };
    this.#trace.emit('node.started', { inputs: call.inputs }, span);
    const reused = this.#options.reuse?.get(node.id);
    if (reused) {
      const pinned = this.#options.pinned?.has(node.id) === true;
      this.#trace.emit(
        'node.completed',
        { outputs: reused, durationMs: 0, reused: true, ...(pinned && { pinned }) },
        span,
      );
      this.#complete(node, state, reused);
      return;
    }
    try {
      this.#options.beforeNode?.(node.id);
    } catch (err) {
      this.#fail(node, state, err, 0, false);
      return;
    }
    const t0 = performance.now();
    const { retries, retryBackoffMs, timeoutMs } = node.settings;
    const args = (decision ? { ...call, decision } : call) as never;
    for (let attempt = 0; ; attempt++) {
      const timeout = timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined;
      const signal = timeout ? AbortSignal.any([this.#controller.signal, timeout]) : this.#controller.signal;
      const ctx = new RunContext(this, node.id, spanId, null, signal, state);
      try {
        const outputs = await node.definition.execute(args, ctx);
        ctx.flush();
        if (this.#finished) return;
        assertStorable(outputs, 'output');
        // Before node.completed: outputs that cannot cross their edges fail the node here, once.
        const values = this.#edgeValues(node, outputs);
        const durationMs = msSince(t0);
        this.#trace.emit(
          'node.completed',
          {
            outputs,
            durationMs,
            ...(state.usage && { usage: state.usage, costUsd: state.costUsd }),
            ...(ctx.model && { model: ctx.model }),
          },
          span,
        );
        this.#complete(node, state, outputs, values);
        return;
      } catch (err) {
        ctx.flush();
        if (this.#finished) return;
        let error = err;
        if (timeout?.aborted && !this.#controller.signal.aborted) {
          error = new AppError('NODE_TIMEOUT', `node "${node.id}" timed out after ${timeoutMs} ms`, { cause: err });
        } else if (
          attempt < retries &&
          isRetryable(err) &&
          !(ctx.hasStreamed && this.#options.streamedToClient?.has(node.id))
        ) {
          const delay = Math.round(retryBackoffMs * 2 ** attempt * (0.8 + Math.random() * 0.4));
          // `retry` tells consumers that the text this span streamed so far is discarded: the next attempt streams
          // the node's text again from the start.
          this.#trace.emit(
            'node.log',
            {
              level: 'warn',
              message: `attempt ${attempt + 1} failed (${toErrorBody(err).code}); retrying in ${delay} ms`,
              data: { ...toErrorBody(err), retry: { attempt: attempt + 2, delayMs: delay } },
            },
            span,
          );
          try {
            await sleep(delay, this.#controller.signal);
          } catch {
            return; // cancelled while waiting
          }
          continue;
        }
        this.#fail(node, state, error, performance.now() - t0, false);
        return;
      }
    }
  }

  /** A node an earlier attempt finished: its outcome passes on downstream again, without executing or emitting. */
  #settleResumed(node: PlanNode, state: NodeState, resumed: ResumedNode): void {
    if (resumed.status === 'completed') {
      state.usage = resumed.usage;
      state.costUsd = resumed.costUsd ?? 0;
      this.#complete(node, state, resumed.outputs);
      return;
    }
    state.state = State.Done;
    this.#settled++;
    if (resumed.status === 'skipped') {
      for (const edge of node.out) this.#arrive(edge.target, edge.port, SKIPPED);
      return;
    }
    if (resumed.error.code !== 'UPSTREAM_FAILED') this.#firstError ??= { nodeId: node.id, error: resumed.error };
    for (const edge of node.out) this.#arrive(edge.target, edge.port, FAILED, node.id);
  }

  #complete(node: PlanNode, state: NodeState, outputs: Values, values = this.#edgeValues(node, outputs)): void {
    if (this.#options.alone) Object.assign(this.#outputs, outputs);
    else if (node.flowIO === 'output') this.#outputs[String(node.params.name)] = outputs.value;
    state.state = State.Done;
    this.#settled++;
    for (let i = 0; i < node.out.length; i++) {
      const edge = node.out[i] as PlanNode['out'][number];
      this.#arrive(edge.target, edge.port, values[i]);
    }
  }

  #newSpanId(): string {
    return `s_${(++this.#spanCounter).toString(36)}`;
  }

  /** A child span (tool call, map item, subflow run) under `parent`, for node `nodeId`. */
  async childSpan<T extends Values>(
    parent: RunContext,
    nodeId: string,
    name: string,
    inputs: Values,
    fn: (child: NodeContext) => Promise<T>,
  ): Promise<T> {
    const spanId = this.#newSpanId();
    const span = { nodeId, spanId, parentSpanId: parent.spanId };
    const sink: UsageSink = { costUsd: 0, parent: parent.sink };
    const child = new RunContext(this, nodeId, spanId, parent.spanId, parent.signal, sink);
    // Tool arguments come from a model: refused before they reach the trace.
    assertStorable(inputs, 'input');
    this.#trace.emit('node.started', { inputs, name }, span);
    const t0 = performance.now();
    try {
      const outputs = await fn(child);
      child.flush();
      assertStorable(outputs, 'output');
      this.#trace.emit(
        'node.completed',
        { outputs, durationMs: msSince(t0), ...(sink.usage && { usage: sink.usage, costUsd: sink.costUsd }) },
        span,
      );
      return outputs;
    } catch (err) {
      child.flush();
      this.#trace.emit('node.failed', { error: toErrorBody(err), durationMs: msSince(t0) }, span);
      throw err;
    }
  }

  async #invokeTool(ref: ToolRef, args: Record<string, unknown>, caller: NodeContext): Promise<unknown> {
    const toolNode = this.#plan.byId.get(ref.nodeId);
    const call = toolNode && (this.#states[toolNode.index] as NodeState).call;
    const invoke = toolNode?.definition.invoke;
    if (!toolNode || !call || !invoke || !(caller instanceof RunContext)) {
      throw new AppError('TOOL_FAILED', `tool "${ref.name}" has no node "${ref.nodeId}" that can answer it`);
    }
    this.#options.beforeNode?.(toolNode.id);
    // A child span of the caller whose events carry the tool node's id, so the tool lights up on the canvas too.
    const out = await this.childSpan(caller, toolNode.id, `${TOOL_SPAN_PREFIX}${ref.name}`, args, async (child) => ({
      result: await invoke({ ...args }, call as never, child),
    }));
    return out.result;
  }

  #skip(node: PlanNode, state: NodeState, reason: string): void {
    state.state = State.Done;
    this.#settled++;
    this.#trace.emit('node.skipped', { reason }, { nodeId: node.id, spanId: this.#newSpanId(), parentSpanId: null });
    for (const edge of node.out) this.#arrive(edge.target, edge.port, SKIPPED);
  }

  #fail(node: PlanNode, state: NodeState, err: unknown, ms: number, upstream: boolean): void {
    state.state = State.Done;
    this.#settled++;
    const error = toErrorBody(err);
    if (error.code === 'INTERNAL' && err instanceof Error) {
      // Unknown errors keep a generic public code, but the node's own message helps the author debug the flow.
      error.message = `${err.name}: ${err.message}`;
    }
    if (!upstream && !this.#firstError) this.#firstError = { nodeId: node.id, error };
    const spanId = state.spanId ?? this.#newSpanId();
    this.#trace.emit(
      'node.failed',
      { error, durationMs: Math.round(ms * 1000) / 1000 },
      { nodeId: node.id, spanId, parentSpanId: null },
    );
    for (const edge of node.out) this.#arrive(edge.target, edge.port, FAILED, node.id);
  }

  /** The value each outgoing edge carries (coerced to its target's type; SKIPPED for a branch not taken). Throws. */
  #edgeValues(node: PlanNode, outputs: Values): unknown[] {
    return node.out.map((edge) => {
      const value = outputs[edge.sourcePort];
      if (value === undefined && node.branching) return SKIPPED;
      return edge.fromType === edge.toType ? value : coerce(value, edge.fromType, edge.toType);
    });
  }

  #arrive(target: number, port: number, value: unknown, failedFrom?: string): void {
    if (this.#options.alone) return; // nothing downstream of a node run alone
    const state = this.#states[target] as NodeState;
    if (value === FAILED) state.failedFrom ??= failedFrom;
    else if (value === SKIPPED) {
      state.skipped++;
      (state.values[port] as EdgeValue[]).push(SKIPPED);
    } else (state.values[port] as EdgeValue[]).push(value);
    if (--state.remaining === 0 && !this.#finished) this.#ready(this.#plan.nodes[target] as PlanNode);
  }

  /** The node waits (announced once per node and reason): the run pauses once nothing else runs. */
  #pause(node: PlanNode, state: NodeState, reason: PauseReason, inputs: Values, timeoutMs?: number): void {
    state.state = State.Paused;
    let deadline = Date.now() + (timeoutMs ?? this.#options.pauseTimeoutMs ?? DEFAULT_PAUSE_TIMEOUT_MS);
    const key = `${node.id} ${reason}`;
    if (this.#announced.has(key)) {
      // Paused in an earlier segment: it waits since then.
      const earlier = this.#trace.events.findLast((e) => e.type === 'node.paused' && e.nodeId === node.id);
      if (earlier) deadline += Date.parse(earlier.at) - Date.now();
    } else {
      this.#announced.add(key);
      this.#trace.emit(
        'node.paused',
        { reason, inputs },
        { nodeId: node.id, spanId: this.#newSpanId(), parentSpanId: null },
      );
    }
    this.#paused.push({ nodeId: node.id, reason, deadline });
  }

  #checkDone(): void {
    if (this.#finished || this.#running > 0) return;
    if (this.#settled < (this.#options.alone ? 1 : this.#plan.nodes.length)) {
      // Nothing runs and nodes wait: the run pauses. (Without paused nodes every node settles in the end.)
      if (this.#paused.length > 0) this.#suspend();
      return;
    }
    this.#end();
    const durationMs = this.#elapsed();
    let usage: Usage | undefined;
    let costUsd = 0;
    for (const state of this.#states) {
      usage = addUsage(usage, state.usage);
      costUsd += state.costUsd;
    }
    if (this.#firstError) {
      const { nodeId, error } = this.#firstError;
      const runError: ErrorBody = {
        code: error.code,
        message: `node "${nodeId}" failed: ${error.message}`,
        details: [{ nodeId, ...error }],
      };
      this.#trace.emit('run.failed', { error: runError, durationMs });
      this.#resolve(this.#result('failed', durationMs, runError, usage, costUsd));
      return;
    }
    this.#trace.emit('run.completed', { outputs: this.#outputs, durationMs, ...(usage && { usage, costUsd }) });
    this.#resolve(this.#result('completed', durationMs, undefined, usage, costUsd));
  }

  /** Ends this segment of the run paused: `run.paused`, and the result names the nodes it waits at. */
  #suspend(): void {
    this.#end();
    const durationMs = this.#elapsed();
    const deadline = Math.min(...this.#paused.map((p) => p.deadline));
    const nodeIds = this.#paused.map((p) => p.nodeId);
    this.#trace.emit('run.paused', { nodeIds, deadline: new Date(deadline).toISOString(), durationMs });
    this.#resolve({ ...this.#result('paused', durationMs), paused: [...this.#paused] });
  }

  #result(status: RunStatus, durationMs: number, error?: ErrorBody, usage?: Usage, costUsd?: number): RunResult {
    if (status === 'cancelled' || status === 'paused') {
      for (const state of this.#states) {
        usage = addUsage(usage, state.usage);
        costUsd = (costUsd ?? 0) + state.costUsd;
      }
    }
    return {
      runId: this.runId,
      flowId: this.#plan.flow.id,
      status,
      outputs: this.#outputs,
      ...(error && { error }),
      startedAt: this.#startedAt.toISOString(),
      durationMs,
      ...(usage && { usage, costUsd }),
    };
  }
}

/**
 * For run-from-node: the outputs an earlier run's top-level spans completed with, for every node that is neither
 * `fromNodeId`, nor downstream of it, nor an input node. Input nodes run again, so the new run's inputs reach the
 * chosen node (a reused node keeps the output it had); upstream nodes that did not complete before (failed, skipped)
 * run again too. Rerunning with them executes only those, the chosen node and what depends on it.
 */
export function reusableOutputs(
  flow: FlowFile,
  registry: NodeRegistry,
  events: readonly TraceEvent[],
  fromNodeId: string,
): Map<string, Values> {
  const plan = compileFlow(flow, registry);
  const start = plan.byId.get(fromNodeId);
  if (!start) throw new AppError('NOT_FOUND', `node "${fromNodeId}" is not in flow "${flow.id}"`, { status: 404 });
  const downstream = new Set<number>();
  const stack = [start.index];
  while (stack.length > 0) {
    const index = stack.pop() as number;
    if (downstream.has(index)) continue;
    downstream.add(index);
    for (const edge of (plan.nodes[index] as PlanNode).out) stack.push(edge.target);
  }
  const reuse = new Map<string, Values>();
  for (const event of events) {
    if (event.type !== 'node.completed' || event.parentSpanId || !event.nodeId) continue;
    const node = plan.byId.get(event.nodeId);
    if (node && !downstream.has(node.index) && node.flowIO !== 'input') reuse.set(event.nodeId, event.data.outputs);
  }
  return reuse;
}
