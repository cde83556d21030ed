import type { RunSource, RunStatus, Usage, Values } from '@flowloom/nodes/spec';
import { request } from '../api/http';

/** Figures of one time bucket, or of the whole range (`GET /api/metrics`, docs/contracts.md §7). */
export interface MetricsFigures {
  runs: number;
  failed: number;
  latencyMs: { p50: number | null; p95: number | null; p99: number | null };
  ttftMs: { p50: number | null; p95: number | null };
  tokens: number;
  costUsd: number;
  feedback: { count: number; mean: number | null };
  evals: Record<string, number>;
}

export interface MetricsAnswer {
  from: string;
  to: string;
  bucket: string;
  buckets: (MetricsFigures & { at: string })[];
  totals: MetricsFigures;
}

export interface MetricsParams {
  flowId?: string;
  version?: number;
  source?: string;
  from: string;
  to: string;
  bucket: string;
}

/** A run as the history lists it. */
export interface HistoryRun {
  runId: string;
  flowId: string;
  status: RunStatus;
  inputs: Values;
  startedAt: string;
  durationMs?: number;
  costUsd?: number;
  usage?: Usage;
  source?: RunSource;
  publishedVersion?: number;
  feedback?: { count: number; mean: number };
}

export interface HistoryFilters {
  flowId?: string;
  source?: string;
  status?: RunStatus;
  version?: number;
  feedback?: 'positive' | 'negative' | 'any' | 'none';
  q?: string;
  before?: string;
  limit?: number;
}

function query(params: object): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') search.set(name, String(value));
  }
  return search.toString();
}

/** Monitoring's reads: metrics per bucket and the filtered run history. */
export const monitoringApi = {
  metrics: (params: MetricsParams) => request<MetricsAnswer>('GET', `/api/metrics?${query(params)}`),
  runs: (filters: HistoryFilters) =>
    request<{ runs: HistoryRun[] }>('GET', `/api/runs?${query(filters)}`).then((r) => r.runs),
};
