import type { ErrorBody } from './errors.js';
import type { Usage, Values } from './values.js';

/** Run lifecycle states (docs/contracts.md §3); `paused` is not final (§9). */
export type RunStatus = 'queued' | 'running' | 'paused' | 'completed' | 'failed' | 'cancelled';

/**
 * Where a run came from (docs/contracts.md §7): the editor, the published run endpoint (`api`), the OpenAI faces
 * (`openai`: chat completions and the Responses API), the chat widget, an experiment, a flow test or the CLI.
 */
export const RUN_SOURCES = ['editor', 'api', 'openai', 'widget', 'experiment', 'test', 'cli'] as const;

/** One of `RUN_SOURCES`. */
export type RunSource = (typeof RUN_SOURCES)[number];

/**
 * How an editor run was asked for, when not as a plain run (run history labels it): a rerun of `rerunOf` from
 * `fromNode`, one node run alone (`node`), and the nodes whose pinned outputs it used (`pinned`).
 */
export interface RunOrigin {
  rerunOf?: string;
  fromNode?: string;
  node?: string;
  pinned?: string[];
}

/** The sources of runs made by callers of published flows (monitoring keeps them apart from editor runs). */
export const PRODUCTION_SOURCES: readonly RunSource[] = ['api', 'openai', 'widget'];

/** One payload per trace event type; the envelope is docs/contracts.md §4. */
export interface TraceData {
  'run.started': { inputs: Values };
  /** `name` labels child spans (a tool call, a map item, a subflow run). */
  'node.started': { inputs: Values; name?: string; attempt?: number };
  'node.delta': { text: string };
  'node.log': { message: string; data?: unknown; level?: 'info' | 'warn' | 'error'; progress?: Progress };
  /**
   * `reused`: the outputs were taken from an earlier run (run-from-node) or pinned by the user (`pinned`, editor runs
   * only), the node did not execute.
   */
  'node.completed': {
    outputs: Values;
    durationMs: number;
    usage?: Usage;
    costUsd?: number;
    model?: string;
    reused?: boolean;
    pinned?: boolean;
  };
  'node.skipped': { reason: string };
  'node.failed': { error: ErrorBody; durationMs?: number };
  'run.completed': { outputs: Values; durationMs: number; usage?: Usage; costUsd?: number };
  'run.failed': { error: ErrorBody; durationMs: number };
  'run.cancelled': { durationMs?: number };
  /** The node waits before executing (docs/contracts.md §9): at a breakpoint or for an approval; `inputs` it would run with. */
  'node.paused': { reason: PauseReason; inputs: Values };
  /**
   * Nothing else runs: the run waits at `nodeIds` until resumed, at most until `deadline` (then it ends `cancelled`,
   * PAUSE_TIMEOUT). `durationMs`: the time it ran so far, pauses excluded.
   */
  'run.paused': { nodeIds: string[]; deadline: string; durationMs: number };
  /** What was decided on a paused node (`POST /api/runs/:runId/resume`); the run goes on from here. */
  'run.resumed': ResumeDecision;
}

/** Why a node paused: an editor breakpoint, or an approval node waiting for a person. */
export type PauseReason = 'breakpoint' | 'approval';

/** The actions a paused node takes: `continue`/`step` at a breakpoint, `approve`/`reject` at an approval. */
export const RESUME_ACTIONS = {
  breakpoint: ['continue', 'step'],
  approval: ['approve', 'reject'],
} as const satisfies Record<PauseReason, readonly string[]>;

/** One of the `RESUME_ACTIONS`. */
export type ResumeAction = (typeof RESUME_ACTIONS)[PauseReason][number];

/**
 * A decision on a paused node: `inputs` replace the node's inputs, `value` is what an approval node passes on instead
 * of its input (the approver's edit).
 */
export interface ResumeDecision {
  nodeId: string;
  action: ResumeAction;
  inputs?: Values;
  value?: unknown;
}

/** The reason a resume action answers (`continue` → breakpoint). */
export function reasonOfAction(action: ResumeAction): PauseReason {
  return (RESUME_ACTIONS.breakpoint as readonly string[]).includes(action) ? 'breakpoint' : 'approval';
}

/**
 * The top-level nodes a run waits at, from its events: each `node.paused` not yet answered by a `run.resumed` for
 * the same node and reason, with the reason and the inputs it paused with.
 */
export function pendingPauses(
  events: readonly TraceEvent[],
): Map<string, { reason: PauseReason; inputs: Values; at: string }> {
  const pending = new Map<string, { reason: PauseReason; inputs: Values; at: string }>();
  for (const event of events) {
    if (event.type === 'node.paused' && event.nodeId && !event.parentSpanId)
      pending.set(event.nodeId, { reason: event.data.reason, inputs: event.data.inputs, at: event.at });
    else if (event.type === 'run.resumed') {
      const waiting = pending.get(event.data.nodeId);
      if (waiting?.reason === reasonOfAction(event.data.action)) pending.delete(event.data.nodeId);
    }
  }
  return pending;
}

/** The decisions taken on a run's paused nodes, by node id and reason (from its `run.resumed` events). */
export function pauseDecisions(
  events: readonly TraceEvent[],
): Map<string, Partial<Record<PauseReason, ResumeDecision>>> {
  const decisions = new Map<string, Partial<Record<PauseReason, ResumeDecision>>>();
  for (const event of events) {
    if (event.type !== 'run.resumed') continue;
    const { nodeId, action } = event.data;
    decisions.set(nodeId, { ...decisions.get(nodeId), [reasonOfAction(action)]: event.data });
  }
  return decisions;
}

/** The name of a tool call's child span is this prefix and the tool's name (`tool order_status`). */
export const TOOL_SPAN_PREFIX = 'tool ';

/** The tool a child span called, from the span's name; undefined for other spans (map items, subflow runs). */
export function toolOfSpan(name: string, parentSpanId: string | null | undefined): string | undefined {
  return parentSpanId && name.startsWith(TOOL_SPAN_PREFIX) ? name.slice(TOOL_SPAN_PREFIX.length) : undefined;
}

/**
 * The tools a run called, by name, once each, in the order first called: what a chat answer shows ("used tools").
 * Takes the run's trace events in `seq` order.
 */
export function toolsCalled(events: readonly TraceEvent[]): string[] {
  const names = new Set<string>();
  for (const event of events) {
    if (event.type !== 'node.started' || !event.data.name) continue;
    const tool = toolOfSpan(event.data.name, event.parentSpanId);
    if (tool) names.add(tool);
  }
  return [...names];
}

/** Progress of long work inside a node (ingestion, map). */
export interface Progress {
  done: number;
  total: number;
}

export type TraceType = keyof TraceData;

/** Fields every event carries. `spanId` is set on node events; child spans also carry `parentSpanId`. */
export interface TraceEnvelope {
  runId: string;
  seq: number;
  at: string;
  flowId: string;
  nodeId?: string;
  spanId?: string;
  parentSpanId?: string | null;
}

/** A trace event (docs/contracts.md §4). The same objects travel over socket.io, SSE and `GET /api/runs/:runId`. */
export type TraceEvent = { [T in TraceType]: TraceEnvelope & { type: T; data: TraceData[T] } }[TraceType];

/** Whether an event ends its run. */
export function isRunEnd(event: TraceEvent): boolean {
  return event.type === 'run.completed' || event.type === 'run.failed' || event.type === 'run.cancelled';
}

/**
 * The texts of the events encoded last (`eventJson`), the oldest dropped first. Everyone who sends an event as it is
 * emitted does so at once, before the next event is emitted (the store, SSE, the queue's relay, per-event
 * subscribers); a batched subscriber sends a turn's events at the end of the turn, and a process mirroring another's
 * run reads a batch of events before sending them on. This many covers both, without a timer, while a run's trace
 * (in memory for as long as the run lasts, hours when it waits on an approval) does not hold every event twice.
 */
const KEPT_TEXTS = 512;
/** And at most this many characters of them in all (the newest is kept whatever its size). */
const KEPT_CHARS = 4_000_000;
const texts = new Map<TraceEvent, string>();
let keptChars = 0;

/**
 * The JSON text of a trace event, encoded once however many send it as it is emitted: the store, every SSE stream,
 * the queue's event stream and every socket.io subscriber send these same bytes (a run with one subscriber encoded
 * each event three times). An event is not changed once emitted, and it is first encoded as it is emitted when the run
 * is stored, streamed or watched, so later changes to the objects it holds cannot reach the text.
 */
export function eventJson(event: TraceEvent): string {
  let json = texts.get(event);
  if (json === undefined) {
    json = JSON.stringify(event);
    rememberEventJson(event, json);
  }
  return json;
}

/**
 * Records the JSON text an event was parsed from (an event read from another process's stream), so that sending it
 * on does not encode it again. `json` must be the text `event` was parsed from.
 */
export function rememberEventJson(event: TraceEvent, json: string): void {
  if (texts.has(event)) return;
  texts.set(event, json);
  keptChars += json.length;
  while (texts.size > KEPT_TEXTS || (keptChars > KEPT_CHARS && texts.size > 1)) {
    const [oldest, text] = texts.entries().next().value as [TraceEvent, string];
    texts.delete(oldest);
    keptChars -= text.length;
  }
}
