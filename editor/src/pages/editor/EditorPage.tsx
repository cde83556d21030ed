import { ReactFlowProvider, useReactFlow } from '@xyflow/react';
import { type CSSProperties, useCallback, useEffect, useState } from 'react';
import { closeFlow, openFlow, replayRun, saveNow, startAutosave } from '../../api/actions';
import { FlowCanvas } from '../../canvas/FlowCanvas';
import { Palette } from '../../canvas/Palette';
import { ESTIMATED_SIZE, placeBeside } from '../../canvas/placement';
import { Inspector } from '../../inspector/Inspector';
import { loadCodeField } from '../../inspector/param-inputs';
import { prunePinsOfGoneNodes } from '../../pins/node-run-actions';
import { RunAloneDialog } from '../../pins/RunAloneDialog';
import { PausedPanel } from '../../run/PausedPanel';
import { RunPanel } from '../../run/RunPanel';
import { useEditor } from '../../store/index';
import { selectSelectedNodeId } from '../../store/selectors';
import type { RightTab } from '../../store/ui-slice';
import {
  DEFAULT_PANEL_SIZES,
  loadPanelSizes,
  PANEL_LIMITS,
  type Panel,
  type PanelSizes,
  savePanelSizes,
} from '../../ui/panel-sizes';
import { ResizeHandle } from '../../ui/ResizeHandle';
import { type TabItem, TabList, TabPanel } from '../../ui/Tabs';
import { useDocumentTitle } from '../../ui/use-document-title';
import { whenIdle } from '../../ui/when-idle';
import { Announcer } from './Announcer';
import { BottomPanel } from './BottomPanel';
import { ConflictBanner } from './ConflictBanner';
import { ShortcutsDialog } from './ShortcutsDialog';
import { SkipLinks } from './SkipLinks';
import { TopBar } from './TopBar';
import { useEditorKeys } from './use-editor-keys';
import '../../ui/page.css';
import './editor-page.css';

const RIGHT_TABS: TabItem<RightTab>[] = [
  { id: 'inspect', label: 'Inspector', testId: 'tab-inspect' },
  { id: 'run', label: 'Run', testId: 'tab-run' },
];

/** The editor of one flow; with `runId` (an experiment's cell, a link), that run is replayed on the canvas. */
export function EditorPage({ flowId, runId }: { flowId: string; runId?: string }) {
  const [error, setError] = useState<string | null>(null);
  const isLoaded = useEditor((s) => s.meta?.id === flowId);
  useEffect(() => {
    if (!isLoaded || !runId) return;
    replayRun(runId).catch((err: Error) => useEditor.getState().toast('error', err.message));
  }, [isLoaded, runId]);
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
  const title = useEditor((s) => (s.meta?.id === flowId ? s.meta.name || flowId : ''));
  useDocumentTitle(error ? `Cannot open “${flowId}”` : title || 'Loading flow…');
  if (error) {
    return (
      <main className="page-error">
        <h2>Cannot open “{flowId}”</h2>
        <p className="muted">{error}</p>
        <a className="btn" href="#/">
          ← Back to flows
        </a>
      </main>
    );
  }
  if (!isLoaded) return <main className="page-loading">Loading flow…</main>;
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
      const s = useEditor.getState();
      // Beside the selection, else at the centre of the view; never on top of a node.
      const fallback = { x: at.x - ESTIMATED_SIZE.width / 2, y: at.y - ESTIMATED_SIZE.height / 2 };
      const id = addNode(type, placeBeside(s.nodes, fallback));
      s.announce(`Added ${s.catalog[type]?.title ?? type} node ${id}, selected.`);
    },
    [addNode, centre],
  );

  useEditorKeys(centre);
  useEffect(() => prunePinsOfGoneNodes(), []);
  // The code fields' chunk, while nothing happens: the first node shown in the inspector then does not wait for it.
  useEffect(() => whenIdle(() => void loadCodeField().catch(() => {})), []);

  // The panels' sizes, remembered in this browser (panel-sizes.ts).
  const [sizes, setSizes] = useState<PanelSizes>(loadPanelSizes);
  const resize = useCallback((panel: Panel, size: number) => {
    setSizes((before) => {
      const next = { ...before, [panel]: size };
      savePanelSizes(next);
      return next;
    });
  }, []);
  const handle = (panel: Panel, label: string, orientation: 'vertical' | 'horizontal', grows: 1 | -1) => (
    <ResizeHandle
      label={label}
      orientation={orientation}
      value={sizes[panel]}
      min={PANEL_LIMITS[panel].min}
      max={PANEL_LIMITS[panel].max}
      defaultValue={DEFAULT_PANEL_SIZES[panel]}
      grows={grows}
      onChange={(size) => resize(panel, size)}
      testId={`resize-${panel}`}
    />
  );

  return (
    <div className="editor">
      <SkipLinks />
      <InspectorFollowsSelection />
      <TopBar />
      <ConflictBanner />
      <main
        className="editor-body"
        style={
          {
            '--palette-w': `${sizes.palette}px`,
            '--right-w': `${sizes.right}px`,
            '--bottom-h': `${sizes.bottom}px`,
          } as CSSProperties
        }
      >
        <Palette onAdd={addAtCentre} />
        {handle('palette', 'Resize the palette', 'vertical', 1)}
        <div className={`editor-centre${isBottomOpen ? ' has-bottom' : ''}`}>
          <FlowCanvas />
          <PausedPanel />
          {isBottomOpen ? handle('bottom', 'Resize the run details panel', 'horizontal', -1) : null}
          <BottomPanel />
        </div>
        {handle('right', 'Resize the inspector and run panel', 'vertical', -1)}
        <aside className="right-panel" aria-labelledby="right-heading">
          <h2 id="right-heading" className="sr-only">
            Inspector and run
          </h2>
          <TabList
            idBase="right"
            label="Inspector and run"
            tabs={RIGHT_TABS}
            selected={rightTab}
            onSelect={setRightTab}
            className="tabs"
          />
          <TabPanel idBase="right" tab={rightTab} className="right-panel-body" tabIndex={-1}>
            {rightTab === 'inspect' ? <Inspector /> : <RunPanel />}
          </TabPanel>
        </aside>
      </main>
      <Announcer />
      <ShortcutsDialog />
      <RunAloneDialog />
    </div>
  );
}

/**
 * The inspector follows the selection: selecting a node shows its settings, whichever tab was open. What was typed in
 * the Run tab stays (it lives in the store). A component of its own, so that a click re-renders nothing else here.
 */
function InspectorFollowsSelection() {
  const selectedId = useEditor(selectSelectedNodeId);
  useEffect(() => {
    if (selectedId !== null) useEditor.getState().setRightTab('inspect');
  }, [selectedId]);
  return null;
}
