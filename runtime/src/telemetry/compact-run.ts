import type { TraceEvent, Usage } from '@flowloom/nodes';

// What the main thread hands the export worker per finished run: the events' timing and the few fields spans need,
// not their inputs and outputs (a structured clone of whole runs would cost the main thread more than it saves).

/** One trace event, reduced to what its span needs. */
export interface CompactEvent {
  type: TraceEvent['type'];
  at: string;
  nodeId?: string;
  spanId?: string;
  parentSpanId?: string | null;
  /** node.started: a child span's label. */
  name?: string;
  model?: string;
  usage?: Usage;
  costUsd?: number;
  durationMs?: number;
  reused?: boolean;
  error?: { code: string; message: string };
  reason?: string;
  message?: string;
  level?: string;
}

/** A finished run, ready to become spans. */
export interface CompactRun {
  runId: string;
  flowId: string;
  flowVersion: number | null;
  parentRunId?: string;
  /** The trace's id (of the run at the top of its nesting). */
  traceId: string;
  /** The OpenTelemetry span id of the span that started this run (a nested run), else undefined. */
  parent?: string;
  /** Node id → node type. */
  nodes: [string, string][];
  events: CompactEvent[];
}

/** 32-bit FNV-1a of a string with a seed, as 8 hex digits. */
function fnv(text: string, seed: number): string {
  let hash = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/**
 * The OpenTelemetry span id (16 hex digits) of a run's span (`spanId`, `s_…`), or of the run's own span (`''`):
 * derived, so the span of a caller is known before its run ends.
 */
export function otelSpanId(runId: string, spanId: string): string {
  const key = `${runId}/${spanId}`;
  return `${fnv(key, 0x811c9dc5)}${fnv(key, 0x01234567)}`;
}

/** The trace id (32 hex digits) of the runs under a top-level run: its 24 hex digits (time and random), then more. */
export function traceIdOf(rootRunId: string): string {
  const hex = /^r_([0-9a-f]{24})$/.exec(rootRunId)?.[1];
  return hex ? `${hex}${fnv(rootRunId, 0x9e3779b9)}` : `${otelSpanId(rootRunId, 'a')}${otelSpanId(rootRunId, 'b')}`;
}

/** The compact form of one event. */
export function compactEvent(event: TraceEvent): CompactEvent {
  const out: CompactEvent = { type: event.type, at: event.at };
  if (event.nodeId !== undefined) out.nodeId = event.nodeId;
  if (event.spanId !== undefined) out.spanId = event.spanId;
  if (event.parentSpanId) out.parentSpanId = event.parentSpanId;
  switch (event.type) {
    case 'node.started':
      if (event.data.name !== undefined) out.name = event.data.name;
      break;
    case 'node.completed':
      out.durationMs = event.data.durationMs;
      if (event.data.model) out.model = event.data.model;
      if (event.data.usage) out.usage = event.data.usage;
      if (event.data.costUsd !== undefined) out.costUsd = event.data.costUsd;
      if (event.data.reused) out.reused = true;
      break;
    case 'node.failed':
      out.error = { code: event.data.error.code, message: event.data.error.message };
      if (event.data.durationMs !== undefined) out.durationMs = event.data.durationMs;
      break;
    case 'node.skipped':
      out.reason = event.data.reason;
      break;
    case 'node.log':
      out.message = event.data.message;
      if (event.data.level) out.level = event.data.level;
      break;
    case 'run.completed':
      out.durationMs = event.data.durationMs;
      if (event.data.usage) out.usage = event.data.usage;
      if (event.data.costUsd !== undefined) out.costUsd = event.data.costUsd;
      break;
    case 'run.failed':
      out.error = { code: event.data.error.code, message: event.data.error.message };
      out.durationMs = event.data.durationMs;
      break;
    case 'run.cancelled':
      if (event.data.durationMs !== undefined) out.durationMs = event.data.durationMs;
      break;
    case 'node.paused':
      out.reason = event.data.reason;
      break;
    case 'run.paused':
      out.durationMs = event.data.durationMs;
      break;
    case 'run.resumed':
      out.reason = event.data.action;
      break;
  }
  return out;
}
