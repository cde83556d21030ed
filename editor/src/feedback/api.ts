import { request } from '../api/http';

export interface Feedback {
  id: string;
  runId: string;
  key: string;
  score: number | null;
  comment?: string;
  correction?: unknown;
  nodeId?: string;
  source: string;
  createdAt: string;
  updatedAt: string;
}

export interface FeedbackBody {
  id: string;
  score: number | null;
  comment?: string;
  correction?: unknown;
  nodeId?: string;
}

export const feedbackApi = {
  /** Gives (or, same id, replaces) feedback on a run; `score: null` withdraws it. */
  give: (runId: string, body: FeedbackBody) =>
    request<{ feedback: Feedback }>('POST', `/api/runs/${encodeURIComponent(runId)}/feedback`, {
      ...body,
      source: 'editor',
    }).then((r) => r.feedback),
  /** The feedback a run has (not withdrawn). */
  list: (runId: string) =>
    request<{ feedback: Feedback[] }>('GET', `/api/runs/${encodeURIComponent(runId)}`).then((r) => r.feedback),
};
