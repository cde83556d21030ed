import type { ErrorBody } from './errors.js';
import type { Usage, Values } from './values.js';

/** Run lifecycle states (docs/contracts.md §3). */
export type RunStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

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
