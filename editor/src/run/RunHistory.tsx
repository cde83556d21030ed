import { useCallback, useEffect, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { replayRun } from '../api/actions';
import { api, type RunSummary } from '../api/http';
import { AddToDataset } from '../datasets/AddToDataset';
import { FeedbackBar } from '../feedback/FeedbackBar';
import { originLabel } from '../pins/run-origin';
import { useEditor } from '../store/index';
import { formatMs, timeAgo } from '../ui/format';
import { RunCompare } from './RunCompare';
import './history.css';

/**
 * Past runs of the flow (GET /api/runs?flowId=); any one replays onto the canvas (and its inputs into the run form).
 * Two ticked runs open side by side in the comparison.
 */
export function RunHistory() {
  const flowId = useEditor((s) => s.meta?.id);
  const runStatus = useEditor((s) => s.run.status);
  const currentRunId = useEditor((s) => s.runId);
  const [runs, setRuns] = useState<RunSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  /** The runs ticked for comparison, the last two ticked. */
  const [picked, setPicked] = useState<string[]>([]);
  const [comparing, setComparing] = useState<readonly [string, string] | null>(null);
  const togglePick = (runId: string, isPicked: boolean) =>
    setPicked((list) =>
      isPicked ? [...list.filter((id) => id !== runId), runId].slice(-2) : list.filter((id) => id !== runId),
    );
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
        <span className="history-tools">
          <button
            type="button"
            className="btn btn-sm"
            aria-disabled={picked.length < 2}
            onClick={() => {
              const [a, b] = picked;
              if (a && b) setComparing([a, b]);
            }}
            data-testid="compare-runs"
          >
            {picked.length < 2 ? `Tick two runs to compare (${picked.length}/2)` : 'Compare the two runs'}
          </button>
          <button type="button" className="btn btn-ghost btn-sm" onClick={refresh}>
            Refresh
          </button>
        </span>
      </div>
      {comparing ? <RunCompare runIds={comparing} onClose={() => setComparing(null)} /> : null}
      {error ? <div className="callout callout-error">{error}</div> : null}
      {runs?.length === 0 ? <div className="muted small pad">No runs yet.</div> : null}
      <div className="history-list">
        {runs?.map((run) => (
          <div key={run.runId} className="history-entry">
            <div className="history-row">
              <input
                type="checkbox"
                className="history-pick"
                checked={picked.includes(run.runId)}
                onChange={(e) => togglePick(run.runId, e.target.checked)}
                aria-label={`Compare run ${run.runId}`}
                data-testid={`run-pick-${run.runId}`}
              />
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
                <OriginLabel run={run} />
                <span className="spacer" />
                <span className="muted small">{formatMs(run.durationMs ?? undefined)}</span>
                <span className="muted small">{timeAgo(run.startedAt)}</span>
              </button>
            </div>
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

/** "rerun from <node>", "node alone: <node>", "… pinned": how the run was asked for, when not as a plain run. */
function OriginLabel({ run }: { run: RunSummary }) {
  const labels = useEditor(
    useShallow((s) => {
      const ids = [run.origin?.node, run.origin?.fromNode, ...(run.origin?.pinned ?? [])];
      return Object.fromEntries(
        ids
          .filter((id): id is string => id !== undefined)
          .map((id) => {
            const node = s.nodes.find((n) => n.id === id);
            const label = (node?.data as { label?: string } | undefined)?.label;
            return [id, label || id];
          }),
      );
    }),
  );
  const text = originLabel(run.origin, (id) => labels[id] ?? id);
  return text ? (
    <span className="history-origin" data-testid={`run-origin-${run.runId}`}>
      {text}
    </span>
  ) : null;
}
