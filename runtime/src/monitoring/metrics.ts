import {
  AppError,
  type MetricsFigures,
  PRODUCTION_SOURCES,
  type RunSource,
  type MetricsAnswer as SpecMetricsAnswer,
} from '@flowloom/nodes';
import type { EvalSample, MetricsQuery, NodeSample, RunSample, Store } from '../store/types.js';

/** Bucket widths `GET /api/metrics` takes. */
export const BUCKETS = {
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
  '6h': 21_600_000,
  '1d': 86_400_000,
};
export type BucketName = keyof typeof BUCKETS;

/** The most buckets one answer holds (a week of hours, two days of 5-minute buckets...). */
export const MAX_BUCKETS = 1_000;

export interface MetricsBucket extends MetricsFigures {
  at: string;
}

export interface MetricsAnswer extends Omit<SpecMetricsAnswer, 'bucket'> {
  bucket: BucketName;
}

export interface MetricsRequest {
  flowId?: string;
  version?: number;
  nodeId?: string;
  sources?: readonly RunSource[];
  from?: string;
  to?: string;
  bucket?: BucketName;
}

/** `source=production,cli` → the sources it names (`production` = the published faces). */
export function parseSources(value: string | undefined): RunSource[] | undefined {
  if (value === undefined) return undefined;
  const sources = new Set<RunSource>();
  for (const name of value.split(',')) {
    if (name === 'production') for (const source of PRODUCTION_SOURCES) sources.add(source);
    else sources.add(name as RunSource);
  }
  return [...sources];
}

/** The value at quantile `q` of sorted numbers (nearest rank), null for none. */
export function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] as number;
}

interface Accumulator {
  runs: number;
  failed: number;
  latencies: number[];
  ttfts: number[];
  tokens: number;
  costUsd: number;
  feedbackCount: number;
  feedbackSum: number;
  /** By evaluator name: the scores given and their sum. */
  evals: Map<string, { count: number; sum: number }>;
}

function empty(): Accumulator {
  return {
    runs: 0,
    failed: 0,
    latencies: [],
    ttfts: [],
    tokens: 0,
    costUsd: 0,
    feedbackCount: 0,
    feedbackSum: 0,
    evals: new Map(),
  };
}

/** Each evaluator's mean score and how many scores it is of, by name in order. */
function evalFigures(acc: Accumulator): Pick<MetricsFigures, 'evals' | 'evalCounts'> {
  const evals: Record<string, number> = {};
  const evalCounts: Record<string, number> = {};
  for (const name of [...acc.evals.keys()].sort()) {
    const { count, sum } = acc.evals.get(name) as { count: number; sum: number };
    evals[name] = sum / count;
    evalCounts[name] = count;
  }
  return { evals, evalCounts };
}

function figures(acc: Accumulator): MetricsFigures {
  const latencies = acc.latencies.sort((a, b) => a - b);
  const ttfts = acc.ttfts.sort((a, b) => a - b);
  return {
    runs: acc.runs,
    failed: acc.failed,
    latencyMs: { p50: percentile(latencies, 0.5), p95: percentile(latencies, 0.95), p99: percentile(latencies, 0.99) },
    ttftMs: { p50: percentile(ttfts, 0.5), p95: percentile(ttfts, 0.95) },
    tokens: Math.round(acc.tokens),
    costUsd: Math.round(acc.costUsd * 1e8) / 1e8,
    feedback: { count: acc.feedbackCount, mean: acc.feedbackCount > 0 ? acc.feedbackSum / acc.feedbackCount : null },
    ...evalFigures(acc),
  };
}

function invalid(field: string, message: string): AppError {
  return new AppError('VALIDATION_FAILED', `${field} ${message}`, { details: [{ field, message }] });
}

function timeOf(field: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw invalid(field, 'must be an ISO date-time');
  return at;
}

/**
 * Metrics of top-level runs per time bucket (docs/contracts.md §7): of a flow, a published version, a node, and
 * the sources asked for, from `from` (default: 24 hours before `to`) to `to` (default: now). Each bucket counts the
 * runs (or the node's executions) that started in it: failures, latency and time-to-first-token percentiles, tokens,
 * cost, feedback, and the evaluators' scores of experiment runs (each evaluator's mean over the scores it gave, and
 * their count; none for a node's executions). Every bucket of the range is there, empty ones too, so charts have a
 * point per bucket.
 */
export async function computeMetrics(store: Store, request: MetricsRequest, now = Date.now()): Promise<MetricsAnswer> {
  const bucket = request.bucket ?? '1h';
  const width = BUCKETS[bucket];
  const to = timeOf('query.to', request.to, now);
  const from = timeOf('query.from', request.from, to - 86_400_000);
  if (from >= to) throw invalid('query.from', 'must be before query.to');
  // Buckets start on multiples of their width (UTC), so the same hour is the same bucket in every answer.
  const first = Math.floor(from / width) * width;
  const count = Math.ceil((to - first) / width);
  if (count > MAX_BUCKETS) {
    throw invalid('query.bucket', `makes ${count} buckets from query.from to query.to (at most ${MAX_BUCKETS})`);
  }
  const query: MetricsQuery = {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    ...(request.flowId !== undefined && { flowId: request.flowId }),
    ...(request.version !== undefined && { version: request.version }),
    ...(request.sources !== undefined && { sources: request.sources }),
  };
  const accumulators = Array.from({ length: count }, empty);
  const totals = empty();
  const add = (at: string, fill: (acc: Accumulator) => void) => {
    const index = Math.floor((Date.parse(at) - first) / width);
    const acc = accumulators[index];
    if (acc) fill(acc);
    fill(totals);
  };
  if (request.nodeId !== undefined) {
    const samples: NodeSample[] = await store.nodeSamples({ ...query, nodeId: request.nodeId });
    for (const sample of samples) {
      add(sample.at, (acc) => {
        acc.runs++;
        if (sample.failed) acc.failed++;
        if (sample.durationMs !== null) acc.latencies.push(sample.durationMs);
        acc.tokens += Number(sample.tokens) || 0;
        acc.costUsd += Number(sample.costUsd) || 0;
      });
    }
  } else {
    const [samples, scores]: [RunSample[], EvalSample[]] = await Promise.all([
      store.runSamples(query),
      store.evalSamples(query),
    ]);
    for (const sample of samples) {
      add(sample.startedAt, (acc) => {
        acc.runs++;
        if (sample.status === 'failed') acc.failed++;
        if (sample.durationMs !== null) acc.latencies.push(sample.durationMs);
        if (sample.ttftMs !== null) acc.ttfts.push(sample.ttftMs);
        acc.tokens += Number(sample.tokens) || 0;
        acc.costUsd += Number(sample.costUsd) || 0;
        acc.feedbackCount += Number(sample.feedbackCount);
        acc.feedbackSum += Number(sample.feedbackSum);
      });
    }
    for (const score of scores) {
      add(score.startedAt, (acc) => {
        const seen = acc.evals.get(score.name) ?? { count: 0, sum: 0 };
        acc.evals.set(score.name, { count: seen.count + Number(score.count), sum: seen.sum + Number(score.sum) });
      });
    }
  }
  return {
    from: query.from,
    to: query.to,
    bucket,
    buckets: accumulators.map((acc, i) => ({ at: new Date(first + i * width).toISOString(), ...figures(acc) })),
    totals: figures(totals),
  };
}
