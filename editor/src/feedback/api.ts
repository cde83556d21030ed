import type { Feedback } from '@flowloom/nodes/spec';
import { request } from '../api/http';

/** Feedback on a run (`@flowloom/nodes/spec`). */
export type { Feedback };

/**
 * The id of the editor's own feedback on a run (ids are per run): `editor`, or `editor.<node id>` for a span. Node ids
 * (at most 128 characters of `[A-Za-z0-9_.-]`) keep it within the runtime's 200.
 */
export function editorFeedbackId(nodeId?: string): string {
  return nodeId ? `editor.${nodeId}` : 'editor';
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
