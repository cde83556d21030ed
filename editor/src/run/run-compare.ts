import type { ErrorBody, RunStatus, TraceEvent, Usage, Values } from '@flowloom/nodes/spec';
import {
  type NodeRun,
  type RunInfo,
  reduceNodeRuns,
  reduceRunInfo,
  reduceSpans,
  type Span,
} from '../store/run-reducer';
import { formatCost, formatMs, formatTokens, pretty } from '../ui/format';

/** What one run was given and did, node by node: its events folded by the reducers the canvas uses. */
export interface RunDigest {
  runId: string;
  status: RunStatus | 'idle';
  startedAt?: string;
  inputs: Values;
  outputs?: Values;
  error?: ErrorBody;
  durationMs?: number;
  costUsd?: number;
  usage?: Usage;
  nodes: Record<string, NodeRun>;
  /** Node ids in the order the run reached them. */
  nodeOrder: string[];
}

/** A run as `GET /api/runs/:runId` answers it. */
export interface RunForDigest {
  runId: string;
  status: RunStatus;
  startedAt?: string;
  inputs?: Values;
  events?: readonly TraceEvent[];
}

/** Folds a run's events into its digest. Pure. */
export function digestRun(run: RunForDigest): RunDigest {
  let info: RunInfo = { status: 'idle' };
  let spans: Record<string, Span> = {};
  let order: string[] = [];
  let nodes: Record<string, NodeRun> = {};
  const nodeOrder: string[] = [];
  for (const event of [...(run.events ?? [])].sort((a, b) => a.seq - b.seq)) {
    const next = reduceSpans(spans, order, event);
    nodes = reduceNodeRuns(nodes, event, spans);
    spans = next.spans;
    order = next.order;
    info = reduceRunInfo(info, event);
    if (event.nodeId && nodes[event.nodeId] && !nodeOrder.includes(event.nodeId)) nodeOrder.push(event.nodeId);
  }
  return {
    runId: run.runId,
    // The stored status wins: a run whose end event was lost (a crash) is still told as it was recorded.
    status: run.status,
    ...(run.startedAt && { startedAt: run.startedAt }),
    inputs: run.inputs ?? info.inputs ?? {},
    ...(info.outputs && { outputs: info.outputs }),
    ...(info.error && { error: info.error }),
    ...(info.durationMs !== undefined && { durationMs: info.durationMs }),
    ...(info.costUsd !== undefined && { costUsd: info.costUsd }),
    ...(info.usage && { usage: info.usage }),
    nodes,
    nodeOrder,
  };
}

/** One line of a comparison: the same thing in run A and in run B, as shown, and whether they differ. */
export interface CompareRow {
  key: string;
  label: string;
  a: string;
  b: string;
  differs: boolean;
  /** Monospaced block (values), not a short fact. */
  isValue?: boolean;
}

export interface NodeComparison {
  nodeId: string;
  rows: CompareRow[];
  /** Some row of the node differs. */
  differs: boolean;
}

export interface RunComparison {
  summary: CompareRow[];
  inputs: CompareRow[];
  outputs: CompareRow[];
  nodes: NodeComparison[];
  /** How many rows differ, in all. */
  differences: number;
}

/**
 * Timings are marked as different when the slower is more than this much slower (and by at least `TIME_FLOOR_MS`):
 * two runs never take the same milliseconds, and a mark on every timing would hide the ones that matter.
 */
export const TIME_RATIO = 1.25;
export const TIME_FLOOR_MS = 50;

/** Whether two timings differ enough to mark. */
export function isTimeDifferent(a: number | undefined, b: number | undefined): boolean {
  if (a === undefined || b === undefined) return a !== b;
  const [low, high] = a < b ? [a, b] : [b, a];
  return high - low >= TIME_FLOOR_MS && high > low * TIME_RATIO;
}

/** JSON with sorted keys, so two equal values compare equal whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : 1)))
      : v,
  );
}

const shown = (value: unknown) => (value === undefined ? '—' : pretty(value));

function valueRow(key: string, label: string, a: unknown, b: unknown): CompareRow {
  return { key, label, a: shown(a), b: shown(b), differs: canonical(a) !== canonical(b), isValue: true };
}

function factRow(key: string, label: string, a: string, b: string, differs = a !== b): CompareRow {
  return { key, label, a: a || '—', b: b || '—', differs };
}

/** The values of both sides, by name, in A's order then B's extras. */
function valueRows(prefix: string, a: Values | undefined, b: Values | undefined): CompareRow[] {
  const names = [...new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})])];
  return names.map((name) => valueRow(`${prefix}:${name}`, name, a?.[name], b?.[name]));
}

function nodeStatus(run: NodeRun | undefined): string {
  if (!run) return 'not reached';
  if (run.status === 'failed' && run.error) return `failed: ${run.error.code}`;
  if (run.status === 'completed' && run.isReused) return 'completed (reused)';
  return run.status;
}

/** What a node gave: its outputs, its error, or why it was skipped. */
function nodeResult(run: NodeRun | undefined): unknown {
  if (!run) return undefined;
  if (run.error) return { error: run.error.code, message: run.error.message };
  if (run.status === 'skipped') return run.reason;
  return run.outputs;
}

/** Two runs side by side: the runs, their inputs and outputs, then each node's status, result, time and cost. Pure. */
export function compareRuns(a: RunDigest, b: RunDigest): RunComparison {
  const summary = [
    factRow('status', 'Status', a.status, b.status),
    factRow(
      'duration',
      'Duration',
      formatMs(a.durationMs),
      formatMs(b.durationMs),
      isTimeDifferent(a.durationMs, b.durationMs),
    ),
    factRow('cost', 'Cost', formatCost(a.costUsd), formatCost(b.costUsd)),
    factRow('tokens', 'Tokens', formatTokens(a.usage), formatTokens(b.usage)),
  ];
  const inputs = valueRows('input', a.inputs, b.inputs);
  const outputs = valueRows('output', a.outputs, b.outputs);
  if (a.error || b.error) outputs.push(valueRow('error', 'Error', a.error?.message, b.error?.message));
  const ids = [...new Set([...a.nodeOrder, ...b.nodeOrder])];
  const nodes = ids.map((nodeId): NodeComparison => {
    const [x, y] = [a.nodes[nodeId], b.nodes[nodeId]];
    const rows = [
      factRow(`${nodeId}:status`, 'Status', nodeStatus(x), nodeStatus(y)),
      valueRow(`${nodeId}:result`, x?.error || y?.error ? 'Result' : 'Outputs', nodeResult(x), nodeResult(y)),
      factRow(
        `${nodeId}:time`,
        'Time',
        formatMs(x?.durationMs),
        formatMs(y?.durationMs),
        isTimeDifferent(x?.durationMs, y?.durationMs),
      ),
      factRow(`${nodeId}:cost`, 'Cost', formatCost(x?.costUsd), formatCost(y?.costUsd)),
    ];
    return { nodeId, rows, differs: rows.some((row) => row.differs) };
  });
  const all = [...summary, ...inputs, ...outputs, ...nodes.flatMap((n) => n.rows)];
  return { summary, inputs, outputs, nodes, differences: all.filter((row) => row.differs).length };
}
