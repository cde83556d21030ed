import { request } from '../api/http';

export type ExperimentStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface Target {
  flowId: string;
  version: 'draft' | number;
  flowVersion?: number | null;
}

export interface TargetSummary {
  target: number;
  flowId: string;
  version: 'draft' | number;
  done: number;
  total: number;
  passRate: number | null;
  /** Each evaluator's mean over finished cells (an error counts 0). */
  scores: Record<string, number>;
  /** How many finished cells each evaluator scored. */
  scored?: Record<string, number>;
  latencyMs: { p50: number | null; p95: number | null };
  tokens: number;
  costUsd: number;
  errors: number;
}

export interface Progress {
  done: number;
  total: number;
  errors: number;
}

export interface Experiment {
  experimentId: string;
  name?: string;
  status: ExperimentStatus;
  datasetId: string;
  split?: string;
  datasetRevision: number;
  targets: Target[];
  evaluators: { type: string; name?: string }[];
  concurrency: number;
  repetitions: number;
  progress: Progress;
  summary?: TargetSummary[];
  error?: { code: string; message: string };
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
}

export interface Verdict {
  score: number | null;
  pass: boolean;
  reason?: string;
  error?: { code: string; message: string };
  runId?: string;
}

export interface ResultCell {
  target: number;
  repetition: number;
  status: 'pending' | 'running' | 'done' | 'error';
  runId?: string;
  output?: unknown;
  scores?: Record<string, Verdict>;
  isPassed?: boolean;
  error?: { code: string; message: string };
  durationMs?: number;
}

export interface ResultRow {
  itemId: string;
  input: Record<string, unknown>;
  expected?: unknown;
  cells: ResultCell[];
}

export interface Comparison {
  baseline: number;
  candidate: number;
  evaluator: string | null;
  paired: number;
  unpaired: number;
  baselineMean: number | null;
  candidateMean: number | null;
  meanDelta: number | null;
  ci95: [number, number] | null;
  isSignificant: boolean;
  /** The fewest paired items that can be significant. */
  minPairs?: number;
  /** Why the difference is significant or not. */
  note?: string;
  wins: number;
  losses: number;
  ties: number;
  deltas: { itemId: string; baseline: number; candidate: number; delta: number }[];
  /** The next page of deltas. */
  cursor?: string;
}

export interface ExperimentRequest {
  name?: string;
  datasetId: string;
  split?: string;
  targets: { flowId: string; version: 'draft' | number }[];
  evaluators: Record<string, unknown>[];
  concurrency?: number;
  repetitions?: number;
}

const enc = encodeURIComponent;

export const experimentsApi = {
  list: () => request<{ experiments: Experiment[] }>('GET', '/api/experiments').then((r) => r.experiments),
  get: (id: string) => request<Experiment>('GET', `/api/experiments/${enc(id)}`),
  create: (body: ExperimentRequest) =>
    request<{ experimentId: string; status: ExperimentStatus }>('POST', '/api/experiments', body),
  results: (id: string, cursor?: string) =>
    request<{ rows: ResultRow[]; cursor?: string }>(
      'GET',
      `/api/experiments/${enc(id)}/results?limit=100${cursor ? `&cursor=${enc(cursor)}` : ''}`,
    ),
  compare: (id: string, baseline: number, candidate: number, evaluator?: string, cursor?: string) =>
    request<Comparison>(
      'GET',
      `/api/experiments/${enc(id)}/compare?baseline=${baseline}&candidate=${candidate}${evaluator ? `&evaluator=${enc(evaluator)}` : ''}${cursor ? `&cursor=${enc(cursor)}` : ''}`,
    ),
  cancel: (id: string) => request<Experiment>('POST', `/api/experiments/${enc(id)}/cancel`, {}),
  /** Published versions of a flow, newest first (to pick a target). */
  versions: (flowId: string) =>
    request<{ versions: { version: number; publishedAt: string; note?: string | null }[] }>(
      'GET',
      `/api/flows/${enc(flowId)}/published`,
    ).then((r) => r.versions),
};
