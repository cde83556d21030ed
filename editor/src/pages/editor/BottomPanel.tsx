import { ProblemsPanel } from '../../run/ProblemsPanel';
import { RunHistory } from '../../run/RunHistory';
import { TracePanel } from '../../run/TracePanel';
import { useEditor } from '../../store/index';
import type { BottomTab } from '../../store/ui-slice';
import { type TabItem, TabList, TabPanel } from '../../ui/Tabs';

/** Under the canvas: the run's trace, the flow's run history and its validation problems, as tabs. */
export function BottomPanel() {
  const isOpen = useEditor((s) => s.isBottomOpen);
  const tab = useEditor((s) => s.bottomTab);
  const openBottom = useEditor((s) => s.openBottom);
  const toggleBottom = useEditor((s) => s.toggleBottom);
  const problemCount = useEditor((s) => s.problems.length);
  if (!isOpen) return null;
  const tabs: TabItem<BottomTab>[] = [
    { id: 'trace', label: 'Trace', testId: 'bottom-tab-trace' },
    { id: 'history', label: 'History', testId: 'bottom-tab-history' },
    { id: 'problems', label: `Problems${problemCount ? ` (${problemCount})` : ''}`, testId: 'bottom-tab-problems' },
  ];
  return (
    <section className="bottom-panel" aria-labelledby="bottom-heading" data-testid="bottom-panel">
      <h2 id="bottom-heading" className="sr-only">
        Run details
      </h2>
      <div className="tabs">
        <TabList
          idBase="bottom"
          label="Run details"
          tabs={tabs}
          selected={tab}
          onSelect={openBottom}
          className="tablist"
        />
        <span className="spacer" />
        <button type="button" className="btn btn-ghost btn-icon" onClick={toggleBottom} aria-label="Close panel">
          ✕
        </button>
      </div>
      <TabPanel idBase="bottom" tab={tab} className="bottom-body" tabIndex={-1}>
        {tab === 'trace' ? <TracePanel /> : tab === 'history' ? <RunHistory /> : <ProblemsPanel />}
      </TabPanel>
    </section>
  );
}
