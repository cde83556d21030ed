import { ProblemsPanel } from '../../run/ProblemsPanel';
import { RunHistory } from '../../run/RunHistory';
import { TracePanel } from '../../run/TracePanel';
import { useEditor } from '../../store/index';

/** Under the canvas: the run's trace, the flow's run history and its validation problems, as tabs. */
export function BottomPanel() {
  const isOpen = useEditor((s) => s.isBottomOpen);
  const tab = useEditor((s) => s.bottomTab);
  const openBottom = useEditor((s) => s.openBottom);
  const toggleBottom = useEditor((s) => s.toggleBottom);
  const problemCount = useEditor((s) => s.problems.length);
  if (!isOpen) return null;
  return (
    <section className="bottom-panel" aria-label="Run details" data-testid="bottom-panel">
      <div className="tabs" role="tablist">
        {(['trace', 'history', 'problems'] as const).map((t) => (
          <button
            key={t}
            type="button"
            role="tab"
            aria-selected={tab === t}
            onClick={() => openBottom(t)}
            data-testid={`bottom-tab-${t}`}
          >
            {t === 'trace'
              ? 'Trace'
              : t === 'history'
                ? 'History'
                : `Problems${problemCount ? ` (${problemCount})` : ''}`}
          </button>
        ))}
        <span className="spacer" />
        <button type="button" className="btn btn-ghost btn-icon" onClick={toggleBottom} aria-label="Close panel">
          ✕
        </button>
      </div>
      <div className="bottom-body">
        {tab === 'trace' ? <TracePanel /> : tab === 'history' ? <RunHistory /> : <ProblemsPanel />}
      </div>
    </section>
  );
}
