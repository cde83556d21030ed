import { useEffect, useState } from 'react';
import { api } from '../api/http';
import { isFlowNode } from '../store/graph-types';
import { useEditor } from '../store/index';
import { timeAgo } from '../ui/format';
import { Modal } from '../ui/Modal';
import { type CompareRow, compareRuns, digestRun, type RunComparison } from './run-compare';
import './run-compare.css';

/** The label of a node on the canvas (its own, else its kind's title), with its id. */
function useNodeName(): (nodeId: string) => string {
  const nodes = useEditor((s) => s.nodes);
  const catalog = useEditor((s) => s.catalog);
  return (nodeId) => {
    const node = nodes.find((n) => n.id === nodeId);
    const name = node && isFlowNode(node) ? node.data.label || catalog[node.data.type]?.title : undefined;
    return name && name !== nodeId ? `${name} (${nodeId})` : nodeId;
  };
}

function Row({ row, heading }: { row: CompareRow; heading?: string }) {
  const cell = (text: string) =>
    row.isValue ? <pre className="compare-value">{text}</pre> : <span className="compare-fact">{text}</span>;
  return (
    <tr
      className={row.differs ? 'differs' : undefined}
      data-testid={`compare-row-${row.key}`}
      data-differs={row.differs}
    >
      <th scope="row">
        {heading ? <span className="sr-only">{heading}: </span> : null}
        {row.label}
        {row.differs ? <span className="compare-mark">differs</span> : null}
      </th>
      <td>{cell(row.a)}</td>
      <td>{cell(row.b)}</td>
    </tr>
  );
}

function Section({ title, rows, onlyDiffs }: { title: string; rows: CompareRow[]; onlyDiffs: boolean }) {
  const shown = onlyDiffs ? rows.filter((row) => row.differs) : rows;
  if (shown.length === 0) return null;
  return (
    <tbody>
      <tr className="compare-section">
        <th scope="rowgroup" colSpan={3}>
          {title}
        </th>
      </tr>
      {shown.map((row) => (
        <Row key={row.key} row={row} heading={title} />
      ))}
    </tbody>
  );
}

/**
 * Two runs of the flow side by side (the older as A): status, time, cost and tokens, their inputs and outputs, then
 * each node's status, outputs, time and cost. What differs is marked in words and colour; timings only when one is
 * clearly slower.
 */
export function RunCompare({ runIds, onClose }: { runIds: readonly [string, string]; onClose: () => void }) {
  const [comparison, setComparison] = useState<{ runs: string[]; started: string[]; result: RunComparison } | null>(
    null,
  );
  const [error, setError] = useState<string | null>(null);
  const [onlyDiffs, setOnlyDiffs] = useState(false);
  const nameOf = useNodeName();
  const [first, second] = runIds;

  useEffect(() => {
    let isCurrent = true;
    Promise.all([api.run(first), api.run(second)])
      .then((runs) => {
        if (!isCurrent) return;
        const [a, b] = runs[0].startedAt <= runs[1].startedAt ? runs : [runs[1], runs[0]];
        setComparison({
          runs: [a.runId, b.runId],
          started: [a.startedAt, b.startedAt],
          result: compareRuns(digestRun(a), digestRun(b)),
        });
      })
      .catch((err: Error) => isCurrent && setError(err.message));
    return () => {
      isCurrent = false;
    };
  }, [first, second]);

  const result = comparison?.result;
  return (
    <Modal title="Compare runs" onClose={onClose} testId="run-compare" className="compare-modal">
      {error ? <div className="callout callout-error">{error}</div> : null}
      {!comparison && !error ? <p className="muted">Loading both runs…</p> : null}
      {comparison && result ? (
        <>
          <div className="compare-head">
            <p data-testid="compare-count" role="status">
              {result.differences === 0
                ? 'No differences.'
                : `${result.differences} ${result.differences === 1 ? 'difference' : 'differences'}, marked “differs”.`}
            </p>
            <label className="check">
              <input
                type="checkbox"
                checked={onlyDiffs}
                onChange={(e) => setOnlyDiffs(e.target.checked)}
                data-testid="compare-only-diffs"
              />
              Only differences
            </label>
          </div>
          <table className="compare-table" data-testid="compare-table">
            <caption className="sr-only">The two runs side by side</caption>
            <thead>
              <tr>
                <td />
                {comparison.runs.map((runId, i) => (
                  <th scope="col" key={runId}>
                    {i === 0 ? 'A' : 'B'} <code>{runId}</code>{' '}
                    <span className="muted small">{timeAgo(comparison.started[i])}</span>
                  </th>
                ))}
              </tr>
            </thead>
            <Section title="Run" rows={result.summary} onlyDiffs={onlyDiffs} />
            <Section title="Inputs" rows={result.inputs} onlyDiffs={onlyDiffs} />
            <Section title="Outputs" rows={result.outputs} onlyDiffs={onlyDiffs} />
            {result.nodes.map((node) => (
              <Section key={node.nodeId} title={`Node ${nameOf(node.nodeId)}`} rows={node.rows} onlyDiffs={onlyDiffs} />
            ))}
          </table>
        </>
      ) : null}
    </Modal>
  );
}
