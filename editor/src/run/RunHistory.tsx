import { useCallback, useEffect, useState } from 'react';
import { replayRun } from '../api/actions';
import { api, type RunSummary } from '../api/http';
import { AddToDataset } from '../datasets/AddToDataset';
import { FeedbackBar } from '../feedback/FeedbackBar';
import { useEditor } from '../store/index';
import { formatMs, timeAgo } from '../ui/format';
import './history.css';

/** Past runs of the flow (GET /api/runs?flowId=); any one replays onto the canvas. */
export function RunHistory() {
  const flowId = useEditor((s) => s.meta?.id);
  const runStatus = useEditor((s) => s.run.status);
  const currentRunId = useEditor((s) => s.runId);
  const [runs, setRuns] = useState<RunSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const refresh = useCallback(() => {
    if (!flowId) return;
    api
      .runs(flowId)
      .then((list) => {
        setRuns(list);
        setError(null);
      })
      .catch((err: Error) => setError(err.message));
  }, [flowId]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: refresh when a run ends.
  useEffect(refresh, [refresh, runStatus]);
  return (
    <div className="history" data-testid="run-history">
      <div className="history-head">
        <span className="muted small">{runs ? `${runs.length} recent runs` : 'Loading…'}</span>
        <button type="button" className="btn btn-ghost btn-sm" onClick={refresh}>
          Refresh
        </button>
      </div>
      {error ? <div className="callout callout-error">{error}</div> : null}
      {runs?.length === 0 ? <div className="muted small pad">No runs yet.</div> : null}
      <div className="history-list">
        {runs?.map((run) => (
          <div key={run.runId} className="history-entry">
            <button
              type="button"
              className={`history-item${run.runId === currentRunId ? ' is-current' : ''}`}
              onClick={() =>
                void replayRun(run.runId).catch((err: Error) => useEditor.getState().toast('error', err.message))
              }
              data-testid={`run-history-item-${run.runId}`}
            >
              <span className={`status-dot status-${run.status}`} />
              <span className="history-status">{run.status}</span>
              <code className="muted small">{run.runId}</code>
              <span className="spacer" />
              <span className="muted small">{formatMs(run.durationMs ?? undefined)}</span>
              <span className="muted small">{timeAgo(run.startedAt)}</span>
            </button>
            {run.runId === currentRunId ? (
              <div className="history-actions">
                <FeedbackBar runId={run.runId} label={`run ${run.runId}`} testId="history-feedback" />
                {run.status === 'completed' ? (
                  <AddToDataset runId={run.runId} expected="output" testId="history-to-dataset" />
                ) : null}
              </div>
            ) : null}
          </div>
        ))}
      </div>
    </div>
  );
}
