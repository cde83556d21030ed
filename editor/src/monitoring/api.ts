import type { FineTuneJob, MetricsAnswer, RunSource, RunStatus, Usage, Values } from '@flowloom/nodes/spec';

export type { MetricsAnswer };

import { request } from '../api/http';
import { authHeaders } from '../auth/token';

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

/** A fine-tuning job started from Flowloom (`GET /api/fine-tunes`, `@flowloom/nodes/spec`). */
export type { FineTuneJob };

export interface FineTuneFilters {
  format: 'openai-sft' | 'openai-dpo';
  flowId?: string;
  minScore?: number;
  /** openai-dpo: pairs from this experiment (its better target against its worse, per item) instead of feedback. */
  experimentId?: string;
}

/** The counts an export reports in its headers. */
export interface ExportCounts {
  examples: number;
  tokens: number;
  runs: number;
}

/** Fine-tuning: the JSONL export (a file download), jobs. */
export const fineTuneApi = {
  /** Fetches the export and hands it to the browser as a download; answers its counts. */
  async download(filters: FineTuneFilters): Promise<ExportCounts> {
    const response = await fetch(`/api/runs/export?${query(filters)}`, { headers: authHeaders() });
    if (!response.ok) {
      const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
      throw new Error(body?.error?.message ?? `the export failed (HTTP ${response.status})`);
    }
    const blob = await response.blob();
    const url = URL.createObjectURL(blob);
    const link = document.createElement('a');
    link.href = url;
    link.download = `flowloom-${filters.experimentId ?? filters.flowId ?? 'runs'}-${filters.format}.jsonl`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    const header = (name: string) => Number(response.headers.get(name) ?? 0);
    return {
      examples: header('x-flowloom-examples'),
      tokens: header('x-flowloom-tokens'),
      runs: header('x-flowloom-runs'),
    };
  },
  jobs: () => request<{ jobs: FineTuneJob[] }>('GET', '/api/fine-tunes').then((r) => r.jobs),
  start: (body: FineTuneFilters & { model: string; suffix?: string }) =>
    request<FineTuneJob>('POST', '/api/fine-tunes', body),
};
