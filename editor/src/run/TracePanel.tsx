import { type KeyboardEvent, memo, useMemo, useRef, useState } from 'react';
import { cancelRun } from '../api/actions';
import { AddToDataset } from '../datasets/AddToDataset';
import { FeedbackBar } from '../feedback/FeedbackBar';
import { NodeRunButtons } from '../pins/NodeRunButtons';
import { useEditor } from '../store/index';
import { type Span, spanTree } from '../store/run-reducer';
import { selectIsRunning } from '../store/selectors';
import { CodeBlock } from '../ui/CodeBlock';
import { formatCost, formatMs, formatTokens, pretty } from '../ui/format';
import { useScrollFocus } from '../ui/use-scroll-focus';
import { TREE_KEYS, treeKeyTarget } from './tree-keys';
import './trace.css';

/** The run on the canvas as a waterfall of spans on one time axis, and the selected span's details. */
export function TracePanel() {
  const run = useEditor((s) => s.run);
  const runId = useEditor((s) => s.runId);
  const isReplay = useEditor((s) => s.isReplay);
  const isPending = useEditor((s) => s.isRunPending);
  const isRunning = useEditor(selectIsRunning);
  const clearRun = useEditor((s) => s.clearRun);
  if (!runId && !isPending) {
    return (
      <div className="trace-empty" data-testid="trace-empty">
        No run yet. Press <strong>Run</strong> or pick a past run in <em>History</em> to see its trace.
      </div>
    );
  }
  const meta = [formatMs(run.durationMs), formatTokens(run.usage), formatCost(run.costUsd)].filter(Boolean).join(' · ');
  return (
    <div className="trace" data-testid="trace-panel">
      <div className="trace-head">
        <span className={`pill status-${run.status}`} data-testid="run-status">
          {isPending ? 'starting' : run.status}
        </span>
        {isReplay ? <span className="pill pill-muted">replay</span> : null}
        <code className="muted small">{runId}</code>
        <span className="muted small">{meta}</span>
        <span className="spacer" />
        {isRunning ? (
          <button
            type="button"
            className="btn btn-danger btn-sm"
            onClick={() => void cancelRun()}
            data-testid="trace-cancel"
          >
            Cancel run
          </button>
        ) : (
          <button type="button" className="btn btn-ghost btn-sm" onClick={clearRun}>
            Clear
          </button>
        )}
      </div>
      {run.error ? (
        <div className="callout callout-error trace-error" data-testid="run-error">
          <strong>{run.error.code}</strong> {run.error.message}
        </div>
      ) : null}
      <div className="trace-body">
        <Waterfall />
        <SpanInspector />
      </div>
    </div>
  );
}

const Waterfall = memo(function Waterfall() {
  const spans = useEditor((s) => s.spans);
  const order = useEditor((s) => s.spanOrder);
  const runStart = useEditor((s) => s.run.start);
  const runEnd = useEditor((s) => s.run.end);
  const selected = useEditor((s) => s.selectedSpanId);
  const selectSpan = useEditor((s) => s.selectSpan);
  const selectOnly = useEditor((s) => s.selectOnly);
  const rows = useMemo(() => spanTree(spans, order), [spans, order]);
  const { start, total } = useMemo(() => {
    let min = runStart ?? Number.POSITIVE_INFINITY;
    let max = runEnd ?? 0;
    for (const { span } of rows) {
      min = Math.min(min, span.start);
      max = Math.max(max, span.end ?? span.start);
    }
    if (!Number.isFinite(min)) min = 0;
    return { start: min, total: Math.max(1, max - min) };
  }, [rows, runStart, runEnd]);
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const tree = useRef<HTMLDivElement>(null);
  // The row holding the tree's one Tab stop: the last one focused, else the selected span, else the first.
  const [focused, setFocused] = useState<string | null>(null);
  const ids = rows.map((r) => r.span.spanId);
  const stop = [focused, selected, ids[0]].find((id) => id != null && ids.includes(id));
  const onRowKey = (e: KeyboardEvent<HTMLButtonElement>, index: number) => {
    if (!TREE_KEYS.has(e.key)) return;
    e.preventDefault();
    const target = treeKeyTarget(
      e.key,
      rows.map((r) => r.depth),
      index,
    );
    const id = ids[target];
    if (id === undefined) return;
    setFocused(id);
    tree.current?.querySelectorAll<HTMLElement>('[role="treeitem"]')[target]?.focus();
  };
  return (
    <div className="waterfall" data-testid="waterfall">
      <div className="waterfall-axis" aria-hidden>
        <div className="waterfall-label-col" />
        <div className="waterfall-track">
          {ticks.map((t) => (
            <span key={t} className="tick" style={{ left: `${t * 100}%` }}>
              {formatMs(t * total)}
            </span>
          ))}
        </div>
      </div>
      {rows.length === 0 ? <div className="muted small pad">Waiting for the first node…</div> : null}
      <div role="tree" aria-label="Trace spans" ref={tree}>
        {rows.map(({ span, depth }, index) => {
          const left = ((span.start - start) / total) * 100;
          const width = Math.max(0.6, (((span.end ?? start + total) - span.start) / total) * 100);
          return (
            <button
              type="button"
              role="treeitem"
              aria-selected={selected === span.spanId}
              aria-level={depth + 1}
              tabIndex={span.spanId === stop ? 0 : -1}
              key={span.spanId}
              className={`waterfall-row${selected === span.spanId ? ' is-selected' : ''}`}
              onClick={() => {
                selectSpan(span.spanId);
                if (span.nodeId) selectOnly(span.nodeId);
              }}
              onFocus={() => setFocused(span.spanId)}
              onKeyDown={(e) => onRowKey(e, index)}
              data-testid={`span-${span.nodeId ?? span.spanId}`}
            >
              <div className="waterfall-label-col" style={{ paddingLeft: 8 + depth * 14 }}>
                <span className={`status-dot status-${span.status}`} aria-hidden />
                <span className="span-name">{span.name}</span>
                <SpanTag span={span} />
                <span className="sr-only">, {span.status},</span>
              </div>
              <div className="waterfall-track">
                <span
                  className={`span-bar status-${span.status}${depth > 0 ? ' is-child' : ''}`}
                  style={{ left: `${Math.min(left, 99.4)}%`, width: `${Math.min(width, 100 - left)}%` }}
                />
                <span
                  className={`span-time${left + width <= 78 ? '' : width > 12 ? ' is-inside' : ' is-before'}`}
                  style={
                    left + width <= 78
                      ? { left: `${left + width}%` }
                      : width > 12
                        ? { right: `${Math.max(0, 100 - left - width)}%` }
                        : { right: `${100 - left}%` }
                  }
                >
                  {span.end ? formatMs(span.end - span.start) : ''}
                </span>
              </div>
            </button>
          );
        })}
      </div>
    </div>
  );
});

function SpanInspector() {
  const span = useEditor((s) => (s.selectedSpanId ? s.spans[s.selectedSpanId] : undefined));
  if (!span)
    return <div className="span-inspector muted small pad">Select a span to see its inputs, outputs and logs.</div>;
  return <SpanDetails span={span} />;
}

function SpanDetails({ span }: { span: Span }) {
  const runId = useEditor((s) => s.runId);
  const isRunning = useEditor(selectIsRunning);
  const scroll = useScrollFocus<HTMLDivElement>(`Span ${span.name}`);
  const meta = [
    span.end ? formatMs(span.end - span.start) : 'running',
    span.usage ? `${span.usage.promptTokens} in · ${span.usage.completionTokens} out tokens` : '',
    formatCost(span.costUsd),
    span.model ?? '',
  ]
    .filter(Boolean)
    .join(' · ');
  return (
    <div {...scroll} className="span-inspector" data-testid="span-inspector">
      <div className="span-inspector-head">
        <span className={`pill status-${span.status}`}>{span.status}</span>
        <strong>{span.name}</strong>
        <SpanTag span={span} />
      </div>
      <div className="muted small">{meta}</div>
      {span.error ? (
        <div className="callout callout-error">
          <strong>{span.error.code}</strong> {span.error.message}
        </div>
      ) : null}
      {span.reason ? <div className="callout">{span.reason}</div> : null}
      {runId && span.nodeId && !isRunning ? (
        <div className="span-feedback">
          <FeedbackBar
            key={`${runId}-${span.nodeId}`}
            runId={runId}
            nodeId={span.nodeId}
            label={`span ${span.name}`}
            testId="span-feedback"
          />
          {span.outputs ? (
            <AddToDataset
              key={`${runId}-${span.nodeId}-add`}
              runId={runId}
              nodeId={span.nodeId}
              expected="output"
              testId="span-to-dataset"
            />
          ) : null}
        </div>
      ) : null}
      {span.nodeId && !span.parentSpanId && !isRunning ? (
        <NodeRunButtons nodeId={span.nodeId} place="span" outputs={span.outputs} />
      ) : null}
      <Block title="Inputs" value={span.inputs} />
      <Block title="Outputs" value={span.outputs} testId="span-outputs" />
      {!span.outputs && span.text ? <Block title="Streamed" value={span.text} /> : null}
      {span.logs.length > 0 ? (
        <>
          <div className="mini-title">Logs</div>
          <div className="log-list">
            {span.logs.map((log, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: logs only ever grow at the end
              <div key={`${log.at}-${i}`} className={`log-line level-${log.level ?? 'info'}`}>
                <span className="log-time">{log.at.slice(11, 23)}</span> {log.message}
                {log.data !== undefined ? (
                  <CodeBlock label="Log data" className="small">
                    {pretty(log.data)}
                  </CodeBlock>
                ) : null}
              </div>
            ))}
          </div>
        </>
      ) : null}
    </div>
  );
}

/** "pinned" or "reused" beside a span whose node did not execute (its outputs came from a pin or an earlier run). */
function SpanTag({ span }: { span: Span }) {
  if (!span.isPinned && !span.isReused) return null;
  const label = span.isPinned ? 'pinned' : 'reused';
  return (
    <span
      className={`span-tag span-tag-${label}`}
      title={
        span.isPinned ? 'Pinned output: the node did not run' : 'Output reused from the earlier run: not run again'
      }
      data-testid={`span-${label}-${span.nodeId ?? span.spanId}`}
    >
      {label}
    </span>
  );
}

function Block({ title, value, testId }: { title: string; value: unknown; testId?: string }) {
  if (value === undefined || (typeof value === 'object' && value !== null && Object.keys(value).length === 0))
    return null;
  return (
    <>
      <div className="mini-title">{title}</div>
      <CodeBlock label={title} testId={testId}>
        {pretty(value)}
      </CodeBlock>
    </>
  );
}
