import type {
  ExperimentComparison as Comparison,
  ExperimentView as Experiment,
  ExperimentRequest,
  ExperimentStatus,
  ExperimentResultRow as ResultRow,
} from '@flowloom/nodes/spec';
import { request } from '../api/http';

/** The experiment shapes are the API's (`@flowloom/nodes/spec`), under the names the editor uses. */
export type {
  EvalScore as Verdict,
  ExperimentProgress as Progress,
  ExperimentResultCell as ResultCell,
  ExperimentTarget as Target,
  TargetSummary,
} from '@flowloom/nodes/spec';
export type { Comparison, Experiment, ExperimentRequest, ExperimentStatus, ResultRow };

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
