import { ReactFlowProvider, useReactFlow } from '@xyflow/react';
import { useCallback, useEffect, useState } from 'react';
import {
  cancelRun,
  closeFlow,
  copyToClipboard,
  exportCurrentFlow,
  openFlow,
  pasteText,
  reloadFlow,
  runFlow,
  saveNow,
  startAutosave,
} from '../../api/actions';
import { boundsOf } from '../../canvas/culling';
import { FlowCanvas } from '../../canvas/FlowCanvas';
import { Palette } from '../../canvas/Palette';
import { Inspector } from '../../inspector/Inspector';
import { PublishButton } from '../../publish/PublishButton';
import { ProblemsPanel } from '../../run/ProblemsPanel';
import { RunHistory } from '../../run/RunHistory';
import { RunPanel, selectInputFieldsKey } from '../../run/RunPanel';
import { TracePanel } from '../../run/TracePanel';
import { useEditor } from '../../store/index';
import { selectCanRedo, selectCanUndo, selectIsRunning, selectSaveStatus } from '../../store/selectors';
import { navigate } from '../../ui/router';

function isEditable(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  return (
    el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName) || el.closest('.cm-editor') !== null
  );
}

export function EditorPage({ flowId }: { flowId: string }) {
  const [error, setError] = useState<string | null>(null);
  const isLoaded = useEditor((s) => s.meta?.id === flowId);
  useEffect(() => {
    setError(null);
    openFlow(flowId).catch((err: Error) => setError(err.message));
    const stop = startAutosave();
    return () => {
      stop();
      // Leaving with unsaved edits saves them first.
      void saveNow().finally(() => closeFlow(flowId));
    };
  }, [flowId]);
  if (error) {
    return (
      <div className="page-error">
        <h2>Cannot open “{flowId}”</h2>
        <p className="muted">{error}</p>
        <a className="btn" href="#/">
          ← Back to flows
        </a>
      </div>
    );
  }
  if (!isLoaded) return <div className="page-loading">Loading flow…</div>;
  return (
    <ReactFlowProvider>
      <EditorLayout />
    </ReactFlowProvider>
  );
}

function EditorLayout() {
  const rightTab = useEditor((s) => s.rightTab);
  const setRightTab = useEditor((s) => s.setRightTab);
  const isBottomOpen = useEditor((s) => s.isBottomOpen);
  const { screenToFlowPosition } = useReactFlow();
  const addNode = useEditor((s) => s.addNode);

  const centre = useCallback(() => {
    const rect = document.querySelector('[data-testid="canvas"]')?.getBoundingClientRect();
    if (!rect) return { x: 0, y: 0 };
    return screenToFlowPosition({ x: rect.left + rect.width / 2, y: rect.top + rect.height / 2 });
  }, [screenToFlowPosition]);

  const addAtCentre = useCallback(
    (type: string) => {
      const at = centre();
      const jitter = (useEditor.getState().nodes.length % 5) * 24;
      addNode(type, { x: Math.round(at.x - 120 + jitter), y: Math.round(at.y - 40 + jitter) });
    },
    [addNode, centre],
  );

  useEditorKeys(centre);

  return (
    <div className="editor">
      <TopBar />
      <ConflictBanner />
      <div className="editor-body">
        <Palette onAdd={addAtCentre} />
        <div className={`editor-centre${isBottomOpen ? ' has-bottom' : ''}`}>
          <FlowCanvas />
          <BottomPanel />
        </div>
        <aside className="right-panel" aria-label="Inspector and run">
          <div className="tabs" role="tablist">
            <button
              type="button"
              role="tab"
              aria-selected={rightTab === 'inspect'}
              onClick={() => setRightTab('inspect')}
              data-testid="tab-inspect"
            >
              Inspector
            </button>
            <button
              type="button"
              role="tab"
              aria-selected={rightTab === 'run'}
              onClick={() => setRightTab('run')}
              data-testid="tab-run"
            >
              Run
            </button>
          </div>
          <div className="right-panel-body">{rightTab === 'inspect' ? <Inspector /> : <RunPanel />}</div>
        </aside>
      </div>
    </div>
  );
}

/** Shortcuts: save, undo/redo, delete, select all, copy/cut/paste (flow JSON on the clipboard). */
function useEditorKeys(centre: () => { x: number; y: number }) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      const key = e.key.toLowerCase();
      const s = useEditor.getState();
      if (mod && key === 's') {
        e.preventDefault();
        void saveNow();
        return;
      }
      if (isEditable(e.target)) return;
      if (mod && key === 'z') {
        e.preventDefault();
        if (e.shiftKey) s.redo();
        else s.undo();
      } else if (mod && key === 'y') {
        e.preventDefault();
        s.redo();
      } else if (mod && key === 'a') {
        e.preventDefault();
        s.selectAll();
      } else if (mod && (key === 'c' || key === 'x')) {
        void copyToClipboard(key === 'x');
      } else if (e.key === 'Delete' || e.key === 'Backspace') {
        e.preventDefault();
        s.deleteSelection();
      } else if (e.key === 'Escape') {
        s.selectOnly(null);
      }
    };
    const onPaste = (e: ClipboardEvent) => {
      if (isEditable(e.target)) return;
      e.preventDefault();
      if (!pasteText(e.clipboardData?.getData('text/plain'), centre())) pasteText(null, centre());
    };
    window.addEventListener('keydown', onKey);
    document.addEventListener('paste', onPaste);
    return () => {
      window.removeEventListener('keydown', onKey);
      document.removeEventListener('paste', onPaste);
    };
  }, [centre]);
}

const SAVE_LABEL = {
  saved: 'Saved',
  unsaved: 'Unsaved changes',
  saving: 'Saving…',
  conflict: 'Conflict',
  error: 'Save failed',
} as const;

function TopBar() {
  const name = useEditor((s) => s.meta?.name ?? '');
  const setMeta = useEditor((s) => s.setMeta);
  const saveStatus = useEditor(selectSaveStatus);
  const saveError = useEditor((s) => s.saveError);
  const canUndo = useEditor(selectCanUndo);
  const canRedo = useEditor(selectCanRedo);
  const undo = useEditor((s) => s.undo);
  const redo = useEditor((s) => s.redo);
  const isRunning = useEditor(selectIsRunning);
  const problemCount = useEditor((s) => s.problems.length);
  const openBottom = useEditor((s) => s.openBottom);
  const toggleBottom = useEditor((s) => s.toggleBottom);
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
  const run = () => {
    const s = useEditor.getState();
    const fields = JSON.parse(selectInputFieldsKey(s)) as unknown[];
    if (fields.length === 0) void runFlow({});
    else s.setRightTab('run');
  };
  const note = () => {
    const rect = document.querySelector('[data-testid="canvas"]')?.getBoundingClientRect();
    const at = rect ? screenToFlowPosition({ x: rect.left + 80, y: rect.top + 80 }) : { x: 0, y: 0 };
    addNote({ x: Math.round(at.x), y: Math.round(at.y) });
  };

  return (
    <header className="topbar">
      <button
        type="button"
        className="btn btn-ghost"
        onClick={() => navigate({ page: 'flows' })}
        aria-label="Back to flows"
        data-testid="back-to-flows"
      >
        <span className="brand-mark small" aria-hidden /> Flows
      </button>
      <span className="crumb-sep">/</span>
      <input
        className="flow-name-input"
        aria-label="Flow name"
        value={name}
        onChange={(e) => setMeta({ name: e.target.value })}
        data-testid="flow-name"
      />
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
      <span className="spacer" />
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
      </div>
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
    </header>
  );
}

function ConflictBanner() {
  const isConflict = useEditor((s) => s.saveConflict);
  if (!isConflict) return null;
  return (
    <div className="conflict-banner" role="alert" data-testid="conflict-banner">
      <strong>This flow was changed elsewhere.</strong> Your edits are not saved. Keep which version?
      <span className="spacer" />
      <button type="button" className="btn btn-sm" onClick={() => void reloadFlow()} data-testid="conflict-reload">
        Reload theirs
      </button>
      <button
        type="button"
        className="btn btn-sm btn-danger"
        onClick={() => void saveNow({ overwrite: true })}
        data-testid="conflict-overwrite"
      >
        Overwrite with mine
      </button>
    </div>
  );
}

function BottomPanel() {
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
