import { useReactFlow } from '@xyflow/react';
import { cancelRun, exportCurrentFlow, runFlow } from '../../api/actions';
import { boundsOf } from '../../canvas/culling';
import { placeBeside } from '../../canvas/placement';
import { PublishButton } from '../../publish/PublishButton';
import { selectInputFieldsKey } from '../../run/RunPanel';
import { useEditor } from '../../store/index';
import { selectCanRedo, selectCanUndo, selectIsRunning, selectSaveStatus } from '../../store/selectors';
import { navigate } from '../../ui/router';
import { ThemeSwitch } from '../../ui/ThemeSwitch';

/** The editor's top bar: the flow and its save state, the edit tools, then problems, panels, publish and run. */
export function TopBar() {
  return (
    <header className="topbar">
      <FlowTitle />
      <span className="spacer" />
      <EditTools />
      <ThemeSwitch />
      <RunControls />
    </header>
  );
}

const SAVE_LABEL = {
  saved: 'Saved',
  unsaved: 'Unsaved changes',
  saving: 'Saving…',
  conflict: 'Conflict',
  error: 'Save failed',
} as const;

/** Back to the flows, the flow's name (editable) and whether the canvas is saved. */
function FlowTitle() {
  const name = useEditor((s) => s.meta?.name ?? '');
  const setMeta = useEditor((s) => s.setMeta);
  const saveStatus = useEditor(selectSaveStatus);
  const saveError = useEditor((s) => s.saveError);
  return (
    <>
      <button
        type="button"
        className="btn btn-ghost"
        onClick={() => navigate({ page: 'flows' })}
        aria-label="Back to flows"
        data-testid="back-to-flows"
      >
        <span className="brand-mark small" aria-hidden /> Flows
      </button>
      <span className="crumb-sep" aria-hidden>
        /
      </span>
      <h1 className="sr-only">{name}</h1>
      {/* As wide as the name up to a third of the bar, cut with "…" beyond (the whole name in the tooltip); focused,
          it widens over the bar to show the whole name while it is edited. The hidden copy sizes the box. */}
      <span className="flow-name">
        <span className="flow-name-sizer" aria-hidden>
          {name || 'Untitled flow'}
        </span>
        <input
          className="flow-name-input"
          aria-label="Flow name"
          value={name}
          onChange={(e) => setMeta({ name: e.target.value })}
          placeholder="Untitled flow"
          title={name}
          data-testid="flow-name"
        />
      </span>
      <span
        className={`save-status save-${saveStatus}`}
        data-testid="save-status"
        data-state={saveStatus}
        title={saveError ?? undefined}
        role="status"
      >
        <span className="save-dot" aria-hidden />
        {SAVE_LABEL[saveStatus]}
      </span>
    </>
  );
}

/** Undo, redo, auto-layout, fit, a new note, export. */
function EditTools() {
  const canUndo = useEditor(selectCanUndo);
  const canRedo = useEditor(selectCanRedo);
  const undo = useEditor((s) => s.undo);
  const redo = useEditor((s) => s.redo);
  const moveNodes = useEditor((s) => s.moveNodes);
  const addNote = useEditor((s) => s.addNote);
  const { fitBounds, screenToFlowPosition } = useReactFlow();
  // Fits the stored nodes, not only those React Flow draws (a large flow draws only the ones around the view).
  const fit = () => {
    const bounds = boundsOf(useEditor.getState().nodes);
    if (bounds) void fitBounds(bounds, { padding: 0.15, duration: 300 });
  };

  const layout = async () => {
    // dagre is loaded on first use, keeping it out of the editor's first load.
    const { layoutPositions } = await import('../../canvas/layout');
    const s = useEditor.getState();
    moveNodes(layoutPositions(s.nodes, s.edges));
    requestAnimationFrame(fit);
  };
  const note = () => {
    const rect = document.querySelector('[data-testid="canvas"]')?.getBoundingClientRect();
    const at = rect ? screenToFlowPosition({ x: rect.left + 80, y: rect.top + 80 }) : { x: 0, y: 0 };
    // Notes are 220 × 120: on a free spot near the top left of the view (or beside the selection), never on a node.
    addNote(placeBeside(useEditor.getState().nodes, at, { width: 220, height: 120 }));
  };

  return (
    <div className="toolbar-group" role="toolbar" aria-label="Edit">
      <button
        type="button"
        className="btn btn-ghost btn-icon"
        onClick={undo}
        disabled={!canUndo}
        title="Undo (Ctrl+Z)"
        aria-label="Undo"
        data-testid="undo"
      >
        ↶
      </button>
      <button
        type="button"
        className="btn btn-ghost btn-icon"
        onClick={redo}
        disabled={!canRedo}
        title="Redo (Ctrl+Shift+Z)"
        aria-label="Redo"
        data-testid="redo"
      >
        ↷
      </button>
      <button
        type="button"
        className="btn btn-ghost"
        onClick={() => void layout()}
        title="Auto-layout"
        data-testid="auto-layout"
      >
        Layout
      </button>
      <button type="button" className="btn btn-ghost" onClick={fit} title="Fit view" data-testid="fit-view">
        Fit
      </button>
      <button type="button" className="btn btn-ghost" onClick={note} title="Add a sticky note" data-testid="add-note">
        Note
      </button>
      <button
        type="button"
        className="btn btn-ghost"
        onClick={exportCurrentFlow}
        title="Download the flow file"
        data-testid="export-flow"
      >
        Export
      </button>
      <button
        type="button"
        className="btn btn-ghost btn-icon"
        onClick={() => useEditor.getState().setShortcutsOpen(true)}
        title="Keyboard shortcuts (?)"
        aria-label="Keyboard shortcuts"
        data-testid="shortcuts-button"
      >
        ?
      </button>
    </div>
  );
}

/** The problems count, the trace panel toggle, publish, and run (or cancel while a run goes). */
function RunControls() {
  const isRunning = useEditor(selectIsRunning);
  const problemCount = useEditor((s) => s.problems.length);
  const openBottom = useEditor((s) => s.openBottom);
  const toggleBottom = useEditor((s) => s.toggleBottom);
  // A flow without inputs runs at once; one with inputs opens the run form.
  const run = () => {
    const s = useEditor.getState();
    const fields = JSON.parse(selectInputFieldsKey(s)) as unknown[];
    if (fields.length === 0) void runFlow({});
    else {
      // The run needs inputs: go to them (the chat box or the form's first field), as a mouse user's eye would.
      s.setRightTab('run');
      requestAnimationFrame(() =>
        document.querySelector<HTMLElement>('#right-panel-run textarea, #right-panel-run input')?.focus(),
      );
    }
  };
  return (
    <>
      <button
        type="button"
        className={`btn btn-ghost problems-btn${problemCount ? ' has-problems' : ''}`}
        onClick={() => openBottom('problems')}
        data-testid="problems-button"
        title="Validation problems"
      >
        {problemCount ? `⚠ ${problemCount}` : '✓ Valid'}
      </button>
      <button
        type="button"
        className="btn btn-ghost"
        onClick={toggleBottom}
        title="Toggle the trace panel"
        data-testid="toggle-bottom"
      >
        Trace
      </button>
      <PublishButton />
      {isRunning ? (
        <button type="button" className="btn btn-danger" onClick={() => void cancelRun()} data-testid="cancel-button">
          ■ Cancel
        </button>
      ) : (
        <button type="button" className="btn btn-primary" onClick={run} data-testid="run-button">
          ▶ Run
        </button>
      )}
    </>
  );
}
