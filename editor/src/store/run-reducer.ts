import {
  type ErrorBody,
  type PauseReason,
  type RunStatus,
  type TraceEvent,
  toolOfSpan,
  type Usage,
  type Values,
} from '@flowloom/nodes/spec';

export type NodeRunStatus = 'idle' | 'queued' | 'running' | 'paused' | 'completed' | 'failed' | 'skipped' | 'cancelled';

export interface LogLine {
  at: string;
  message: string;
  level?: 'info' | 'warn' | 'error';
  data?: unknown;
}

/** What one node did in the current run, by node id. */
export interface NodeRun {
  status: NodeRunStatus;
  /** Streamed text so far (node.delta). */
  text: string;
  inputs?: Values;
  outputs?: Values;
  error?: ErrorBody;
  durationMs?: number;
  usage?: Usage;
  costUsd?: number;
  reason?: string;
  /** Completed with an earlier run's outputs (rerun from a node downstream of it). */
  isReused?: boolean;
  /** Completed with outputs the user pinned: the node did not execute. */
  isPinned?: boolean;
  /** Status `paused`: why it waits (a breakpoint, an approval); `inputs` are those it would run with. */
  pauseReason?: PauseReason;
  logs: LogLine[];
}

/** One span of the trace: a node execution, or a child (tool call, subflow run, map item). */
export interface Span {
  spanId: string;
  parentSpanId: string | null;
  nodeId?: string;
  name: string;
  status: NodeRunStatus;
  /** Milliseconds since the epoch. */
  start: number;
  end?: number;
  inputs?: Values;
  outputs?: Values;
  text: string;
  logs: LogLine[];
  usage?: Usage;
  costUsd?: number;
  model?: string;
  error?: ErrorBody;
  reason?: string;
  /** Completed with reused (`isReused`) or pinned (`isPinned`) outputs: the node did not execute. */
  isReused?: boolean;
  isPinned?: boolean;
}

export interface RunInfo {
  status: RunStatus | 'idle';
  start?: number;
  end?: number;
  inputs?: Values;
  outputs?: Values;
  error?: ErrorBody;
  usage?: Usage;
  costUsd?: number;
  durationMs?: number;
}

/**
 * The tools a run called, by name, in the order first called: its child spans named `tool <name>` (the engine names a
 * tool call's span so). Pure.
 */
export function toolNamesOf(spans: Readonly<Record<string, Span>>, order: readonly string[]): string[] {
  const names = new Set<string>();
  for (const id of order) {
    const span = spans[id];
    const tool = span && toolOfSpan(span.name, span.parentSpanId);
    if (tool) names.add(tool);
  }
  return [...names];
}

/** Whether a run has not ended yet: queued, running or paused. */
export function isRunLive(run: RunInfo): boolean {
  return run.status === 'running' || run.status === 'queued' || run.status === 'paused';
}

const idleRun = (): NodeRun => ({ status: 'idle', text: '', logs: [] });

/** Every node of the flow waiting for the run to reach it. */
export function queuedNodeRuns(nodeIds: readonly string[]): Record<string, NodeRun> {
  const out: Record<string, NodeRun> = {};
  for (const id of nodeIds) out[id] = { status: 'queued', text: '', logs: [] };
  return out;
}

/**
 * Whether an event speaks for its node's own status. A child span of a *different* node (a tool node called by
 * an agent) does; a child span of the same node (a map item, a retry) only feeds the trace.
 */
export function isNodeLevel(event: TraceEvent, spans: Readonly<Record<string, Span>>): boolean {
  if (!event.nodeId) return false;
  if (!event.parentSpanId) return true;
  return spans[event.parentSpanId]?.nodeId !== event.nodeId;
}

/** Node states after one event. Pure; replaces only the record of the node concerned. */
export function reduceNodeRuns(
  nodeRuns: Readonly<Record<string, NodeRun>>,
  event: TraceEvent,
  spans: Readonly<Record<string, Span>> = {},
): Record<string, NodeRun> {
  if (event.type === 'run.completed' || event.type === 'run.failed' || event.type === 'run.cancelled') {
    // Nodes the run never reached go back to idle; a cancelled run stops the ones still going.
    const out: Record<string, NodeRun> = {};
    for (const [id, run] of Object.entries(nodeRuns)) {
      if (run.status === 'queued') out[id] = { ...run, status: 'idle' };
      else if ((run.status === 'running' || run.status === 'paused') && event.type !== 'run.completed')
        out[id] = { ...run, status: 'cancelled' };
      else out[id] = run;
    }
    return out;
  }
  if (!isNodeLevel(event, spans)) return nodeRuns as Record<string, NodeRun>;
  const id = event.nodeId as string;
  const run = nodeRuns[id] ?? idleRun();
  let next: NodeRun;
  switch (event.type) {
    case 'node.started':
      next = { status: 'running', text: '', logs: [], inputs: event.data.inputs };
      break;
    case 'node.delta':
      next = { ...run, text: run.text + event.data.text };
      break;
    case 'node.log':
      next = { ...run, logs: [...run.logs, logLine(event)], ...(isRetry(event) && { text: '' }) };
      break;
    case 'node.completed':
      next = {
        ...run,
        status: 'completed',
        outputs: event.data.outputs,
        durationMs: event.data.durationMs,
        usage: event.data.usage,
        costUsd: event.data.costUsd,
        ...(event.data.reused && { isReused: true }),
        ...(event.data.pinned && { isPinned: true }),
      };
      break;
    case 'node.skipped':
      next = { ...run, status: 'skipped', reason: event.data.reason };
      break;
    case 'node.failed':
      next = { ...run, status: 'failed', error: event.data.error, durationMs: event.data.durationMs };
      break;
    case 'node.paused':
      next = { ...run, status: 'paused', inputs: event.data.inputs, pauseReason: event.data.reason };
      break;
    default:
      return nodeRuns as Record<string, NodeRun>;
  }
  return { ...nodeRuns, [id]: next };
}

/** A failed attempt about to be retried (`data.retry`): the text the span streamed so far is discarded. */
function isRetry(event: Extract<TraceEvent, { type: 'node.log' }>): boolean {
  const data = event.data.data as { retry?: { attempt?: unknown } } | null | undefined;
  return event.data.level === 'warn' && typeof data?.retry?.attempt === 'number';
}

function logLine(event: Extract<TraceEvent, { type: 'node.log' }>): LogLine {
  const line: LogLine = { at: event.at, message: event.data.message };
  if (event.data.level) line.level = event.data.level;
  if (event.data.data !== undefined) line.data = event.data.data;
  return line;
}

/** Spans after one event, and their order of appearance. Pure. */
export function reduceSpans(
  spans: Readonly<Record<string, Span>>,
  order: readonly string[],
  event: TraceEvent,
): { spans: Record<string, Span>; order: string[] } {
  const same = { spans: spans as Record<string, Span>, order: order as string[] };
  if (!event.spanId) return same;
  const at = Date.parse(event.at);
  const existing = spans[event.spanId];
  if (event.type === 'node.started' || !existing) {
    const name = event.type === 'node.started' && event.data.name ? event.data.name : (event.nodeId ?? event.spanId);
    const span: Span = {
      spanId: event.spanId,
      parentSpanId: event.parentSpanId ?? null,
      name,
      status: 'running',
      start: at,
      text: '',
      logs: [],
    };
    if (event.nodeId) span.nodeId = event.nodeId;
    if (event.type === 'node.started') span.inputs = event.data.inputs;
    const base = {
      spans: { ...spans, [span.spanId]: span },
      order: existing ? (order as string[]) : [...order, span.spanId],
    };
    return event.type === 'node.started' ? base : reduceSpans(base.spans, base.order, event);
  }
  let next: Span;
  switch (event.type) {
    case 'node.delta':
      next = { ...existing, text: existing.text + event.data.text };
      break;
    case 'node.log':
      next = { ...existing, logs: [...existing.logs, logLine(event)], ...(isRetry(event) && { text: '' }) };
      break;
    case 'node.completed':
      next = {
        ...existing,
        status: 'completed',
        end: at,
        outputs: event.data.outputs,
        usage: event.data.usage,
        costUsd: event.data.costUsd,
      };
      if (event.data.model) next.model = event.data.model;
      if (event.data.reused) next.isReused = true;
      if (event.data.pinned) next.isPinned = true;
      // The engine's own measure is more exact than the event timestamps; those are whole milliseconds, so round up
      // to stay within the span's true range and not jump ahead of a span that started in the same millisecond.
      next.start = Math.min(existing.start, Math.ceil(at - event.data.durationMs));
      break;
    case 'node.failed':
      next = { ...existing, status: 'failed', end: at, error: event.data.error };
      break;
    case 'node.skipped':
      next = { ...existing, status: 'skipped', end: at, reason: event.data.reason };
      break;
    case 'node.paused':
      // A mark where the run waited: the node's execution, once resumed, is a span of its own.
      next = { ...existing, status: 'paused', end: at, inputs: event.data.inputs, reason: event.data.reason };
      break;
    default:
      return same;
  }
  return { spans: { ...spans, [existing.spanId]: next }, order: order as string[] };
}

/** Run-level facts after one event. Pure. */
export function reduceRunInfo(info: RunInfo, event: TraceEvent): RunInfo {
  const at = Date.parse(event.at);
  switch (event.type) {
    case 'run.started':
      return { status: 'running', start: at, inputs: event.data.inputs };
    case 'run.completed':
      return {
        ...info,
        status: 'completed',
        end: at,
        outputs: event.data.outputs,
        durationMs: event.data.durationMs,
        usage: event.data.usage,
        costUsd: event.data.costUsd,
      };
    case 'run.failed':
      return { ...info, status: 'failed', end: at, error: event.data.error, durationMs: event.data.durationMs };
    case 'run.cancelled':
      return { ...info, status: 'cancelled', end: at, durationMs: event.data.durationMs };
    case 'run.paused':
      return { ...info, status: 'paused', durationMs: event.data.durationMs };
    case 'run.resumed':
      return { ...info, status: 'running' };
    default:
      return info.start === undefined ? { ...info, status: 'running', start: at } : info;
  }
}

/** Spans whose parent is not in the trace count as roots; children follow their parent, depth-first. */
export function spanTree(
  spans: Readonly<Record<string, Span>>,
  order: readonly string[],
): { span: Span; depth: number }[] {
  const children = new Map<string | null, Span[]>();
  for (const id of order) {
    const span = spans[id];
    if (!span) continue;
    const parent = span.parentSpanId && spans[span.parentSpanId] ? span.parentSpanId : null;
    children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  const out: { span: Span; depth: number }[] = [];
  const walk = (parent: string | null, depth: number) => {
    const list = [...(children.get(parent) ?? [])].sort((a, b) => a.start - b.start);
    for (const span of list) {
      out.push({ span, depth });
      walk(span.spanId, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}
