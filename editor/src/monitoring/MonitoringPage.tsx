import type { RunStatus } from '@flowloom/nodes/spec';
import { type FormEvent, useCallback, useEffect, useMemo, useState } from 'react';
import { api, type FlowSummary } from '../api/http';
import { publishApi } from '../publish/api';
import { formatCost, formatMs, preview, timeAgo } from '../ui/format';
import { useDocumentTitle } from '../ui/use-document-title';
import { type HistoryFilters, type HistoryRun, type MetricsAnswer, monitoringApi } from './api';
import { FineTuning } from './FineTuning';
import { type ChartSeries, MetricsChart } from './MetricsChart';
import { SelectField } from './SelectField';
import '../publish/publish.css';
import '../ui/page.css';
import './monitoring.css';

const RANGES = {
  '1h': { label: 'Last hour', ms: 3_600_000, bucket: '1m' },
  '24h': { label: 'Last 24 hours', ms: 86_400_000, bucket: '1h' },
  '7d': { label: 'Last 7 days', ms: 7 * 86_400_000, bucket: '6h' },
  '30d': { label: 'Last 30 days', ms: 30 * 86_400_000, bucket: '1d' },
} as const;
type RangeName = keyof typeof RANGES;

const PRODUCTION = '#7c5cff';
const EDITOR = '#22d3ee';
const FAILED = '#f87171';
const PAGE = 25;

const count = (v: number) => (Number.isInteger(v) ? v.toLocaleString() : v.toFixed(1));
const ms = (v: number) => formatMs(v) || '0 ms';
const dollars = (v: number) => formatCost(v) || '$0';
const score = (v: number) => v.toFixed(2);

/** The figures of runs over one range: production (published faces), the editor's own, and experiments'. */
interface Metrics {
  production: MetricsAnswer;
  editor: MetricsAnswer;
  /** Experiment runs: their evaluation scores. */
  experiments: MetricsAnswer;
}

/** Line colours of the evaluators' series, in turn. */
const EVAL_COLORS = ['#a3e635', '#f472b6', '#fbbf24', '#60a5fa', '#c084fc', '#2dd4bf'];

/**
 * Production health at a glance: runs, failures, latency, time to first token, cost and feedback per time bucket,
 * callers' runs (`api`, `openai`, `widget`) apart from the editor's, and the run history with filters.
 */
export function MonitoringPage({ flowId }: { flowId?: string }) {
  useDocumentTitle('Monitoring');
  const [flows, setFlows] = useState<FlowSummary[]>([]);
  const [range, setRange] = useState<RangeName>('24h');
  const [versions, setVersions] = useState<number[]>([]);
  const [version, setVersion] = useState<number | undefined>(undefined);
  const [metrics, setMetrics] = useState<Metrics | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api.flows().then(setFlows, (err: unknown) => setError(String(err instanceof Error ? err.message : err)));
  }, []);

  useEffect(() => {
    setVersion(undefined);
    setVersions([]);
    if (!flowId) return;
    publishApi.versions(flowId).then(
      (answer) => setVersions(answer.versions.map((v) => v.version)),
      () => setVersions([]),
    );
  }, [flowId]);

  const load = useCallback(async () => {
    const to = new Date();
    const { ms: span, bucket } = RANGES[range];
    const from = new Date(to.getTime() - span);
    const base = { flowId, from: from.toISOString(), to: to.toISOString(), bucket };
    const [production, editor, experiments] = await Promise.all([
      monitoringApi.metrics({ ...base, source: 'production', version }),
      monitoringApi.metrics({ ...base, source: 'editor' }),
      monitoringApi.metrics({ ...base, source: 'experiment' }),
    ]);
    setMetrics({ production, editor, experiments });
  }, [flowId, range, version]);

  useEffect(() => {
    setError(null);
    load().catch((err: unknown) => setError(String(err instanceof Error ? err.message : err)));
  }, [load]);

  const selectFlow = (id: string) => {
    window.location.hash = id ? `#/monitoring/${encodeURIComponent(id)}` : '#/monitoring';
  };

  return (
    <div className="flows-page" data-testid="monitoring-page">
      <header className="flows-header">
        <a className="brand" href="#/" aria-label="Flowloom: back to flows">
          <span className="brand-mark" aria-hidden />
          <span className="brand-name">Flowloom</span>
        </a>
        <span className="crumb-sep">/</span>
        <span className="keys-crumb">Monitoring</span>
        <span className="spacer" />
        {flowId && (
          <a className="btn btn-ghost" href={`#/flows/${encodeURIComponent(flowId)}`}>
            Open {flowId}
          </a>
        )}
        <a className="btn btn-ghost" href="#/">
          ← Flows
        </a>
      </header>
      <main className="monitoring-main">
        <h1>Monitoring</h1>
        <form className="monitoring-controls" onSubmit={(e) => e.preventDefault()} aria-label="What to show">
          <SelectField
            label="Flow"
            value={flowId ?? ''}
            onChange={selectFlow}
            options={[['', 'All flows'], ...flows.map((flow) => [flow.id, `${flow.name} (${flow.id})`] as const)]}
            testId="monitoring-flow"
          />
          <SelectField
            label="Range"
            value={range}
            onChange={(value) => setRange(value as RangeName)}
            options={Object.entries(RANGES).map(([name, r]) => [name, r.label] as const)}
            testId="monitoring-range"
          />
          <SelectField
            label="Published version"
            value={version === undefined ? '' : String(version)}
            onChange={(value) => setVersion(value === '' ? undefined : Number(value))}
            options={[['', 'Every version'], ...versions.map((v) => [String(v), `v${v}`] as const)]}
            disabled={versions.length === 0}
            testId="monitoring-version"
          />
          <button type="button" className="btn" onClick={() => void load()} data-testid="monitoring-refresh">
            Refresh
          </button>
        </form>
        {error && (
          <div role="alert" className="callout callout-error">
            {error}
          </div>
        )}
        {metrics && <Overview metrics={metrics} />}
        <History flowId={flowId} />
        <FineTuning flowId={flowId} />
      </main>
    </div>
  );
}

function Tile({ label, value, hint, testId }: { label: string; value: string; hint?: string; testId: string }) {
  return (
    <div className="metric-tile" data-testid={testId}>
      <div className="metric-label">{label}</div>
      <div className="metric-value">{value}</div>
      {hint && <div className="metric-hint muted">{hint}</div>}
    </div>
  );
}

function Overview({ metrics }: { metrics: Metrics }) {
  const { production, editor, experiments } = metrics;
  const p = production.totals;
  const times = useMemo(() => production.buckets.map((b) => Date.parse(b.at)), [production]);
  const runs: ChartSeries[] = useMemo(
    () => [
      { label: 'Production runs', color: PRODUCTION, values: production.buckets.map((b) => b.runs) },
      { label: 'Editor runs', color: EDITOR, values: editor.buckets.map((b) => b.runs) },
      { label: 'Production failures', color: FAILED, values: production.buckets.map((b) => b.failed) },
    ],
    [production, editor],
  );
  const latency: ChartSeries[] = useMemo(
    () => [
      { label: 'p50', color: PRODUCTION, values: production.buckets.map((b) => b.latencyMs.p50) },
      { label: 'p95', color: '#fbbf24', values: production.buckets.map((b) => b.latencyMs.p95) },
      { label: 'p99', color: FAILED, values: production.buckets.map((b) => b.latencyMs.p99) },
      { label: 'First token p50', color: '#34d399', values: production.buckets.map((b) => b.ttftMs.p50), dash: [6, 4] },
    ],
    [production],
  );
  const cost: ChartSeries[] = useMemo(
    () => [
      { label: 'Production cost', color: PRODUCTION, values: production.buckets.map((b) => b.costUsd) },
      { label: 'Editor cost', color: EDITOR, values: editor.buckets.map((b) => b.costUsd) },
    ],
    [production, editor],
  );
  const feedback: ChartSeries[] = useMemo(
    () => [
      {
        label: 'Production feedback (mean)',
        color: PRODUCTION,
        values: production.buckets.map((b) => b.feedback.mean),
      },
      { label: 'Editor feedback (mean)', color: EDITOR, values: editor.buckets.map((b) => b.feedback.mean) },
    ],
    [production, editor],
  );
  // One line per evaluator the experiments' runs were scored by (each bucket's mean; none where none was scored).
  const evals: ChartSeries[] = useMemo(
    () =>
      Object.keys(experiments.totals.evals).map((name, i) => ({
        label: `${name} (${experiments.totals.evalCounts[name] ?? 0} scores)`,
        color: EVAL_COLORS[i % EVAL_COLORS.length] as string,
        values: experiments.buckets.map((b) => b.evals[name] ?? null),
      })),
    [experiments],
  );
  const failureRate = p.runs > 0 ? `${((100 * p.failed) / p.runs).toFixed(1)} %` : '–';
  return (
    <section aria-labelledby="overview-title">
      <h2 id="overview-title" className="monitoring-h2">
        Production <span className="muted">(published endpoint, OpenAI faces, widget)</span>
      </h2>
      <div className="metric-tiles">
        <Tile
          label="Runs"
          value={count(p.runs)}
          hint={`${count(editor.totals.runs)} in the editor`}
          testId="tile-runs"
        />
        <Tile label="Failures" value={failureRate} hint={`${p.failed} failed`} testId="tile-failures" />
        <Tile
          label="Latency p95"
          value={p.latencyMs.p95 === null ? '–' : ms(p.latencyMs.p95)}
          hint={p.latencyMs.p50 === null ? undefined : `p50 ${ms(p.latencyMs.p50)}`}
          testId="tile-latency"
        />
        <Tile label="First token p50" value={p.ttftMs.p50 === null ? '–' : ms(p.ttftMs.p50)} testId="tile-ttft" />
        <Tile label="Tokens" value={count(p.tokens)} testId="tile-tokens" />
        <Tile
          label="Cost"
          value={dollars(p.costUsd)}
          hint={`${dollars(editor.totals.costUsd)} in the editor`}
          testId="tile-cost"
        />
        <Tile
          label="Feedback"
          value={p.feedback.mean === null ? '–' : score(p.feedback.mean)}
          hint={`${p.feedback.count} ratings`}
          testId="tile-feedback"
        />
      </div>
      <div className="metric-charts">
        <ChartFigure id="runs" title="Runs per bucket" times={times} series={runs} format={count} />
        <ChartFigure id="latency" title="Latency (production)" times={times} series={latency} format={ms} />
        <ChartFigure id="cost" title="Cost" times={times} series={cost} format={dollars} />
        <ChartFigure id="feedback" title="Feedback score" times={times} series={feedback} format={score} />
        {evals.length > 0 && (
          <ChartFigure
            id="evals"
            title="Evaluation scores (experiment runs)"
            times={times}
            series={evals}
            format={score}
          />
        )}
      </div>
    </section>
  );
}

function ChartFigure(props: {
  id: string;
  title: string;
  times: number[];
  series: ChartSeries[];
  format: (v: number) => string;
}) {
  const { id, title, times, series, format } = props;
  return (
    <figure className="metric-figure" aria-labelledby={`chart-${id}-title`}>
      <figcaption id={`chart-${id}-title`} className="metric-figure-title">
        {title}
      </figcaption>
      <MetricsChart title={title} times={times} series={series} format={format} testId={`chart-${id}`} />
      <details className="metric-data">
        <summary>Data as a table</summary>
        <table className="publish-versions">
          <caption className="sr-only">{title}</caption>
          <thead>
            <tr>
              <th scope="col">Bucket</th>
              {series.map((s) => (
                <th scope="col" key={s.label}>
                  {s.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {times.map((time, i) => (
              <tr key={time}>
                <th scope="row">{new Date(time).toLocaleString()}</th>
                {series.map((s) => {
                  const value = s.values[i];
                  return <td key={s.label}>{value === null || value === undefined ? '–' : format(value)}</td>;
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

const SOURCES = ['production', 'editor', 'api', 'openai', 'widget', 'experiment', 'test', 'cli'];
const STATUSES: RunStatus[] = ['completed', 'failed', 'cancelled', 'running', 'paused', 'queued'];
const FEEDBACK_OPTIONS = [
  ['', 'Any'],
  ['positive', 'Positive'],
  ['negative', 'Negative'],
  ['any', 'With feedback'],
  ['none', 'Without feedback'],
] as const;

function History({ flowId }: { flowId?: string }) {
  const [source, setSource] = useState('');
  const [status, setStatus] = useState('');
  const [version, setVersion] = useState('');
  const [feedback, setFeedback] = useState('');
  const [text, setText] = useState('');
  const [runs, setRuns] = useState<HistoryRun[]>([]);
  const [hasMore, setHasMore] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const filters = useCallback(
    (before?: string): HistoryFilters => ({
      flowId,
      limit: PAGE,
      ...(source && { source }),
      ...(status && { status: status as RunStatus }),
      ...(version && { version: Number(version) }),
      ...(feedback && { feedback: feedback as HistoryFilters['feedback'] }),
      ...(text.trim() && { q: text.trim() }),
      ...(before && { before }),
    }),
    [flowId, source, status, version, feedback, text],
  );

  const search = useCallback(async () => {
    setError(null);
    try {
      const page = await monitoringApi.runs(filters());
      setRuns(page);
      setHasMore(page.length === PAGE);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }, [filters]);

  // Selects apply at once; the text applies on submit (Enter or the button).
  // biome-ignore lint/correctness/useExhaustiveDependencies: the text is applied on submit only
  useEffect(() => {
    void search();
  }, [flowId, source, status, version, feedback]);

  const more = async () => {
    const last = runs.at(-1);
    if (!last) return;
    const page = await monitoringApi.runs(filters(last.startedAt));
    setRuns((r) => [...r, ...page]);
    setHasMore(page.length === PAGE);
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void search();
  };

  return (
    <section aria-labelledby="history-title" className="monitoring-history">
      <h2 id="history-title" className="monitoring-h2">
        Run history
      </h2>
      <form className="history-filters" onSubmit={submit} aria-label="Filter runs">
        <SelectField
          label="Source"
          value={source}
          onChange={setSource}
          options={[['', 'Any source'], ...SOURCES.map((s) => [s, s] as const)]}
          testId="filter-source"
        />
        <SelectField
          label="Status"
          value={status}
          onChange={setStatus}
          options={[['', 'Any status'], ...STATUSES.map((s) => [s, s] as const)]}
          testId="filter-status"
        />
        <label>
          <span className="field-label">Version</span>
          <input
            className="input"
            type="number"
            min={1}
            value={version}
            onChange={(e) => setVersion(e.target.value)}
            placeholder="any"
            data-testid="filter-version"
          />
        </label>
        <SelectField
          label="Feedback"
          value={feedback}
          onChange={setFeedback}
          options={FEEDBACK_OPTIONS}
          testId="filter-feedback"
        />
        <label className="history-text">
          <span className="field-label">Text in inputs</span>
          <input
            className="input"
            type="search"
            value={text}
            onChange={(e) => setText(e.target.value)}
            placeholder="e.g. refund"
            data-testid="filter-text"
          />
        </label>
        <button type="submit" className="btn" data-testid="filter-apply">
          Search
        </button>
      </form>
      {error && (
        <div role="alert" className="callout callout-error">
          {error}
        </div>
      )}
      <table className="publish-versions history-table" data-testid="history-table">
        <thead>
          <tr>
            <th scope="col">Started</th>
            {!flowId && <th scope="col">Flow</th>}
            <th scope="col">Input</th>
            <th scope="col">Source</th>
            <th scope="col">Version</th>
            <th scope="col">Status</th>
            <th scope="col">Duration</th>
            <th scope="col">Cost</th>
            <th scope="col">Feedback</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => (
            <tr key={run.runId} data-testid={`history-run-${run.runId}`}>
              <td className="muted" title={run.startedAt}>
                {timeAgo(run.startedAt)}
              </td>
              {!flowId && <td>{run.flowId}</td>}
              <td className="history-input">
                {preview(Object.values(run.inputs ?? {}).length === 1 ? Object.values(run.inputs)[0] : run.inputs, 80)}
              </td>
              <td>
                <span className={`source-badge source-${run.source ?? 'unknown'}`}>{run.source ?? 'unknown'}</span>
              </td>
              <td>
                {run.publishedVersion === undefined ? <span className="muted">draft</span> : `v${run.publishedVersion}`}
              </td>
              <td>
                <span className={`status-text status-${run.status}`}>{run.status}</span>
              </td>
              <td>{formatMs(run.durationMs)}</td>
              <td>{formatCost(run.costUsd)}</td>
              <td>{run.feedback ? `${score(run.feedback.mean)} (${run.feedback.count})` : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {runs.length === 0 && <p className="muted">No runs match.</p>}
      {hasMore && (
        <button type="button" className="btn" onClick={() => void more()} data-testid="history-more">
          More runs
        </button>
      )}
    </section>
  );
}
