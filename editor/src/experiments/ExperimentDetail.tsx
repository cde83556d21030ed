import { useCallback, useEffect, useId, useState } from 'react';
import { formatCost, formatMs, preview } from '../ui/format';
import { hrefOf } from '../ui/router';
import { useDocumentTitle } from '../ui/use-document-title';
import { type Comparison, type Experiment, experimentsApi, type Progress, type ResultRow } from './api';
import { targetLabel } from './ExperimentsPage';
import { watchExperiment } from './live';

const percent = (value: number | null) => (value === null ? '—' : `${Math.round(value * 100)} %`);
const score = (value: number | null | undefined) => (value === null || value === undefined ? '—' : value.toFixed(3));
const signed = (value: number) => `${value > 0 ? '+' : ''}${value.toFixed(3)}`;

/** One experiment: live progress, a summary per target, the comparison of two targets, and the results side by side. */
export function ExperimentDetail({ id }: { id: string }) {
  const [experiment, setExperiment] = useState<Experiment | null>(null);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [rows, setRows] = useState<ResultRow[]>([]);
  const [cursor, setCursor] = useState<string | undefined>();
  const [error, setError] = useState<string | null>(null);
  useDocumentTitle(experiment ? `Experiment ${experiment.name ?? id}` : 'Experiment');

  const reload = useCallback(async () => {
    try {
      const [next, page] = await Promise.all([experimentsApi.get(id), experimentsApi.results(id)]);
      setExperiment(next);
      setProgress(next.progress);
      setRows(page.rows);
      setCursor(page.cursor);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }, [id]);

  useEffect(() => {
    void reload();
    return watchExperiment(id, {
      progress: setProgress,
      completed: () => void reload(),
    });
  }, [id, reload]);

  const cancel = async () => {
    try {
      setExperiment(await experimentsApi.cancel(id));
      await reload();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };

  const more = async () => {
    const page = await experimentsApi.results(id, cursor);
    setRows((list) => [...list, ...page.rows]);
    setCursor(page.cursor);
  };

  if (!experiment) {
    return error ? (
      <div role="alert" className="callout callout-error">
        {error}
      </div>
    ) : (
      <p className="muted">Loading…</p>
    );
  }
  const shown = progress ?? experiment.progress;
  const isLive = experiment.status === 'running' || experiment.status === 'queued';
  return (
    <>
      <h1 data-testid="experiment-title">{experiment.name ?? experiment.experimentId}</h1>
      <p className="muted">
        Dataset <a href={hrefOf({ page: 'datasets', datasetId: experiment.datasetId })}>{experiment.datasetId}</a>
        {experiment.split ? `, split ${experiment.split}` : ''} at revision {experiment.datasetRevision} ·{' '}
        {experiment.targets.map(targetLabel).join(' vs ')} · {experiment.repetitions} repetition
        {experiment.repetitions > 1 ? 's' : ''}
      </p>
      <div className="progress-row">
        <span className={`pill status-${experiment.status}`} data-testid="experiment-status">
          {experiment.status}
        </span>
        <progress
          max={shown.total}
          value={shown.done}
          aria-label="Cells finished"
          aria-valuetext={`${shown.done} of ${shown.total} cells, ${shown.errors} errors`}
          data-testid="experiment-progress"
        />
        <span className="muted small" data-testid="experiment-progress-text">
          {shown.done} / {shown.total} cells{shown.errors > 0 ? ` · ${shown.errors} errors` : ''}
        </span>
        {isLive ? (
          <button
            type="button"
            className="btn btn-danger btn-sm"
            onClick={() => void cancel()}
            data-testid="experiment-cancel"
          >
            Cancel
          </button>
        ) : null}
      </div>
      {experiment.error ? (
        <div role="alert" className="callout callout-error">
          <strong>{experiment.error.code}</strong> {experiment.error.message}
        </div>
      ) : null}
      {error ? (
        <div role="alert" className="callout callout-error">
          {error}
        </div>
      ) : null}
      <h2>Summary</h2>
      <p className="muted small">
        Means are over finished cells; a cell an evaluator could not score (an error) counts 0, as in the comparison.
      </p>
      <div className="summary-grid" data-testid="experiment-summary">
        {(experiment.summary ?? []).map((s) => (
          <section key={s.target} className="summary-card" aria-label={`Target ${s.target + 1}: ${targetLabel(s)}`}>
            <h3>
              {s.target + 1}. {targetLabel(s)}
            </h3>
            <dl>
              <dt>Pass rate</dt>
              <dd data-testid={`summary-pass-${s.target}`}>{percent(s.passRate)}</dd>
              {Object.entries(s.scores).map(([name, value]) => (
                <FragmentRow
                  key={name}
                  label={`Mean ${name}`}
                  value={`${score(value)} · ${s.scored?.[name] ?? 0} of ${s.done} scored`}
                  testId={`summary-score-${s.target}-${name}`}
                />
              ))}
              <dt>Latency p50 / p95</dt>
              <dd>
                {formatMs(s.latencyMs.p50) || '—'} / {formatMs(s.latencyMs.p95) || '—'}
              </dd>
              <dt>Tokens</dt>
              <dd>{s.tokens.toLocaleString()}</dd>
              <dt>Cost</dt>
              <dd>{formatCost(s.costUsd) || '$0'}</dd>
              <dt>Errors</dt>
              <dd>{s.errors}</dd>
            </dl>
          </section>
        ))}
      </div>
      {experiment.targets.length > 1 && !isLive ? <CompareView experiment={experiment} /> : null}
      <h2>Results</h2>
      <ResultsTable experiment={experiment} rows={rows} />
      {cursor ? (
        <button type="button" className="btn" onClick={() => void more()}>
          Load more items
        </button>
      ) : null}
    </>
  );
}

function FragmentRow({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <>
      <dt>{label}</dt>
      <dd data-testid={testId}>{value}</dd>
    </>
  );
}

/** A link that opens a cell's run on the canvas (nothing before the cell has a run). */
function RunLink({ runId, itemId, target }: { runId?: string; itemId: string; target: Experiment['targets'][number] }) {
  if (!runId) return null;
  return (
    <a
      href={hrefOf({ page: 'editor', flowId: target.flowId, runId })}
      aria-label={`Open run of ${itemId} on ${targetLabel(target)}`}
    >
      Open run
    </a>
  );
}

function ResultsTable({ experiment, rows }: { experiment: Experiment; rows: ResultRow[] }) {
  return (
    <table className="data-table" data-testid="results-table">
      <caption>Each item’s output and scores per target, side by side</caption>
      <thead>
        <tr>
          <th scope="col">Item</th>
          <th scope="col">Input</th>
          <th scope="col">Expected</th>
          {experiment.targets.map((t, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: a target is its position in the experiment (cells name it so)
            <th scope="col" key={`${t.flowId}-${String(t.version)}-${i}`}>
              {i + 1}. {targetLabel(t)}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.itemId} data-testid={`result-row-${row.itemId}`}>
            <th scope="row">
              <code>{row.itemId}</code>
            </th>
            <td className="cell-text">{preview(row.input, 120)}</td>
            <td className="cell-text">{row.expected === undefined ? '—' : preview(row.expected, 120)}</td>
            {experiment.targets.map((target, t) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: a target is its position in the experiment (cells name it so)
              <td key={`${row.itemId}-${t}`} data-testid={`result-${row.itemId}-${t}`}>
                {row.cells
                  .filter((cell) => cell.target === t)
                  .map((cell) => (
                    <div key={cell.repetition}>
                      {cell.status === 'pending' ? (
                        <span className="muted">pending</span>
                      ) : cell.status === 'running' ? (
                        <span className="muted">
                          running <RunLink runId={cell.runId} itemId={row.itemId} target={target} />
                        </span>
                      ) : (
                        <>
                          <div className="cell-text">
                            {cell.status === 'error' && cell.output === undefined
                              ? cell.error?.message
                              : preview(cell.output, 160)}
                          </div>
                          <div className="verdicts">
                            <span className={cell.isPassed ? 'pass' : 'fail'}>
                              {cell.isPassed ? '✓ pass' : cell.status === 'error' ? '✗ error' : '✗ fail'}
                            </span>
                            {Object.entries(cell.scores ?? {}).map(([name, verdict]) => (
                              <span
                                key={name}
                                className="verdict"
                                title={verdict.error?.message ?? verdict.reason ?? ''}
                              >
                                {name} {verdict.score === null ? 'error' : verdict.score.toFixed(2)}
                              </span>
                            ))}
                            <RunLink runId={cell.runId} itemId={row.itemId} target={target} />
                          </div>
                        </>
                      )}
                    </div>
                  ))}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function CompareView({ experiment }: { experiment: Experiment }) {
  const [baseline, setBaseline] = useState(0);
  const [candidate, setCandidate] = useState(1);
  const [evaluator, setEvaluator] = useState('');
  const [comparison, setComparison] = useState<Comparison | null>(null);
  const [moreDeltas, setMoreDeltas] = useState<Comparison['deltas']>([]);
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const ids = useId();
  const names = Object.keys(experiment.summary?.[0]?.scores ?? {});
  useEffect(() => {
    experimentsApi
      .compare(experiment.experimentId, baseline, candidate, evaluator || undefined)
      .then((next) => {
        setComparison(next);
        setMoreDeltas([]);
        setCursor(next.cursor);
        setError(null);
      })
      .catch((err: Error) => setError(err.message));
  }, [experiment.experimentId, baseline, candidate, evaluator]);
  const loadMore = async () => {
    try {
      const next = await experimentsApi.compare(
        experiment.experimentId,
        baseline,
        candidate,
        evaluator || undefined,
        cursor,
      );
      setMoreDeltas((shown) => [...shown, ...next.deltas]);
      setCursor(next.cursor);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const pick = (value: number, set: (n: number) => void, id: string, label: string) => (
    <>
      <label htmlFor={id}>{label}</label>
      <select id={id} className="input input-sm" value={value} onChange={(e) => set(Number(e.target.value))}>
        {experiment.targets.map((t, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: a target is its position in the experiment (cells name it so)
          <option key={`${t.flowId}-${String(t.version)}-${i}`} value={i}>
            {i + 1}. {targetLabel(t)}
          </option>
        ))}
      </select>
    </>
  );
  return (
    <section aria-labelledby={`${ids}-title`} data-testid="compare-view">
      <h2 id={`${ids}-title`}>Comparison</h2>
      <div className="data-toolbar">
        {pick(baseline, setBaseline, `${ids}-baseline`, 'Baseline')}
        {pick(candidate, setCandidate, `${ids}-candidate`, 'Candidate')}
        <label htmlFor={`${ids}-evaluator`}>Score</label>
        <select
          id={`${ids}-evaluator`}
          className="input input-sm"
          value={evaluator}
          onChange={(e) => setEvaluator(e.target.value)}
        >
          <option value="">mean of all evaluators</option>
          {names.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      </div>
      {error ? (
        <div role="alert" className="callout callout-error">
          {error}
        </div>
      ) : null}
      {comparison && comparison.meanDelta !== null && comparison.ci95 ? (
        <>
          <p data-testid="compare-summary">
            Mean difference{' '}
            <strong className={comparison.meanDelta < 0 ? 'delta-neg' : 'delta-pos'}>
              {signed(comparison.meanDelta)}
            </strong>{' '}
            (95 % interval {signed(comparison.ci95[0])} to {signed(comparison.ci95[1])},{' '}
            {comparison.isSignificant ? 'a real difference' : 'not shown to be real'}) over {comparison.paired} items:{' '}
            {comparison.wins} better, {comparison.losses} worse, {comparison.ties} the same.
          </p>
          {comparison.note ? (
            <p className="muted" data-testid="compare-note">
              {comparison.note.charAt(0).toUpperCase() + comparison.note.slice(1)}.
            </p>
          ) : null}
          <table className="data-table" data-testid="compare-table">
            <caption>Per item, the largest regression first</caption>
            <thead>
              <tr>
                <th scope="col">Item</th>
                <th scope="col" className="num">
                  Baseline
                </th>
                <th scope="col" className="num">
                  Candidate
                </th>
                <th scope="col" className="num">
                  Difference
                </th>
              </tr>
            </thead>
            <tbody>
              {[...comparison.deltas, ...moreDeltas].map((d) => (
                <tr key={d.itemId}>
                  <th scope="row">
                    <code>{d.itemId}</code>
                  </th>
                  <td className="num">{d.baseline.toFixed(3)}</td>
                  <td className="num">{d.candidate.toFixed(3)}</td>
                  <td className={`num ${d.delta < 0 ? 'delta-neg' : d.delta > 0 ? 'delta-pos' : ''}`}>
                    {signed(d.delta)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {cursor ? (
            <button type="button" className="btn" onClick={() => void loadMore()}>
              More items
            </button>
          ) : null}
        </>
      ) : comparison ? (
        <p className="muted">No item has finished on both targets.</p>
      ) : null}
    </section>
  );
}
