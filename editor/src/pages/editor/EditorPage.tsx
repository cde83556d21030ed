import { ReactFlowProvider, useReactFlow } from '@xyflow/react';
import { useCallback, useEffect, useState } from 'react';
import { closeFlow, openFlow, saveNow, startAutosave } from '../../api/actions';
import { FlowCanvas } from '../../canvas/FlowCanvas';
import { Palette } from '../../canvas/Palette';
import { Inspector } from '../../inspector/Inspector';
import { RunPanel } from '../../run/RunPanel';
import { useEditor } from '../../store/index';
import { BottomPanel } from './BottomPanel';
import { ConflictBanner } from './ConflictBanner';
import { TopBar } from './TopBar';
import { useEditorKeys } from './use-editor-keys';
import '../../ui/page.css';
import './editor-page.css';

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
