import {
  Background,
  BackgroundVariant,
  type Connection,
  Controls,
  type Edge,
  MiniMap,
  type Node,
  type NodeChange,
  ReactFlow,
  useReactFlow,
  useStore,
  type Viewport,
} from '@xyflow/react';
import { type DragEvent, memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { onNodeContextMenu } from '../pins/node-run-actions';
import { connectionProblem } from '../store/graph-ops';
import type { CanvasEdge, CanvasNode } from '../store/graph-types';
import { useEditor } from '../store/index';
import { loadPanelSizes } from '../ui/panel-sizes';
import { useTheme } from '../ui/theme';
import { ConnectionHint } from './ConnectionHint';
import { categoryMeta } from './colors';
import { boundsOf, cullEdges, cullKey, cullNodes, keyToRect, sizeOf, withHiddenFollowers } from './culling';
import { CLEAR_OF_MINIMAP, isClearInPane, MINIMAP } from './keep-in-view';
import { edgeTypes, nodeTypes } from './node-types';
import { KIND_MIME } from './Palette';
import { boundsOfBoxes, boxOf } from './placement';
import { ZoomLevel } from './ZoomLevel';
import './canvas.css';

const PRO_OPTIONS = { hideAttribution: true };
const SNAP: [number, number] = [10, 10];
const MULTI_SELECT = ['Shift', 'Meta', 'Control'];
const FIT_OPTIONS = { padding: 0.2, maxZoom: 1.1 };
// Constant: React Flow copies a changed prop into its store, and each store update runs every subscriber's selector.
const EDGE_OPTIONS = { type: 'value' };

const NO_NODES: CanvasNode[] = [];
// Colours are the theme's CSS variables (styles.css), so the canvas follows the theme without re-rendering nodes.
const MINIMAP_STYLE = { background: 'var(--minimap-bg)', width: MINIMAP.width, height: MINIMAP.height };

/** Above this many nodes only the visible ones are drawn, and the flow opens on its top-left corner. */
export const LARGE_FLOW = 150;

/** The smallest zoom a flow opens at: node text stays readable (≥ 10 px) there. */
export const READABLE_ZOOM = 0.8;

/**
 * How a flow opens: an empty canvas stays put (the first node must land where it is dropped); a flow that fits the
 * pane at a readable zoom is fitted; a larger one opens at the readable zoom on its top-left corner (its inputs), to
 * scroll from there, so only what is visible is drawn. `pane` is the canvas's size in pixels.
 */
export function initialView(
  nodes: readonly CanvasNode[],
  pane: { width: number; height: number },
): 'fit' | Viewport | null {
  if (nodes.length === 0) return null;
  const bounds = boundsOfBoxes(nodes.map(boxOf));
  if (!bounds) return null;
  const padded = 1 + FIT_OPTIONS.padding;
  const fitZoom = Math.min(pane.width / (bounds.width * padded), pane.height / (bounds.height * padded));
  if (nodes.length <= LARGE_FLOW && fitZoom >= READABLE_ZOOM) return 'fit';
  const zoom = READABLE_ZOOM;
  return { x: 40 - bounds.x * zoom, y: 40 - bounds.y * zoom, zoom };
}

/** The canvas's size before it is drawn: the window less the palette and the right panel, at their saved widths. */
function paneEstimate(): { width: number; height: number } {
  const { palette, right } = loadPanelSizes();
  return { width: Math.max(320, window.innerWidth - palette - right), height: Math.max(240, window.innerHeight - 120) };
}

/** `list`, or the list given on the render before when that one holds the same items in the same order. */
function useSameItems<L extends readonly unknown[]>(list: L): L {
  const last = useRef(list);
  const before = last.current;
  if (before !== list && (before.length !== list.length || before.some((item, i) => item !== list[i]))) {
    last.current = list;
  }
  return last.current;
}

/** The React Flow canvas, controlled by the store. */
export function FlowCanvas() {
  const nodes = useEditor((s) => s.nodes);
  const edges = useEditor((s) => s.edges);
  const onNodesChange = useEditor((s) => s.onNodesChange);
  const onEdgesChange = useEditor((s) => s.onEdgesChange);
  const connect = useEditor((s) => s.connect);
  const addNode = useEditor((s) => s.addNode);
  const catalog = useEditor((s) => s.catalog);
  const theme = useTheme();
  const [initial] = useState(() => initialView(useEditor.getState().nodes, paneEstimate()));
  // React Flow mounts every node once to measure it, even with onlyRenderVisibleElements. A large flow therefore
  // gives it only the nodes around the viewport (and the selection); the store keeps them all.
  const isLarge = nodes.length > LARGE_FLOW;
  // React Flow mounts each node it is given once, to measure it, visible or not: the first draw gets only the nodes in
  // view, and the margin around them (drawn ahead for smooth panning) comes with the first move of the view.
  const [hasMoved, setMoved] = useState(false);
  const onMoveStart = useCallback(() => setMoved(true), []);
  const area = useStore((s) =>
    isLarge
      ? hasMoved
        ? cullKey(s.transform, s.width, s.height)
        : cullKey(s.transform, s.width, s.height, 0, 100)
      : '',
  );
  const shownNodes = useMemo(() => {
    if (!isLarge) return nodes;
    const rect = keyToRect(area);
    return rect ? cullNodes(nodes, rect) : NO_NODES;
  }, [isLarge, nodes, area]);
  // The drawn ids, edges and the change handler stay the same objects while the same nodes are drawn: a selection
  // gives new node objects, and every prop React Flow sees change is a store update that runs all its selectors.
  const shownIdList = useSameItems(useMemo(() => shownNodes.map((n) => n.id), [shownNodes]));
  const shownIds = useMemo(() => new Set(shownIdList), [shownIdList]);
  const shownEdges = useSameItems(
    useMemo(() => (isLarge ? cullEdges(edges, shownIds) : edges), [isLarge, edges, shownIds]),
  );
  const handleNodesChange = useCallback(
    (changes: NodeChange<CanvasNode>[]) =>
      onNodesChange(isLarge ? withHiddenFollowers(changes, useEditor.getState().nodes, shownIds) : changes),
    [isLarge, onNodesChange, shownIds],
  );
  const { screenToFlowPosition } = useReactFlow();
  const minimapColor = useCallback(
    (node: Node) => {
      if (node.type === 'note') return 'var(--note-selected)';
      const spec = catalog[(node.data as { type?: string }).type ?? ''];
      return spec ? categoryMeta(spec.category).color : 'var(--minimap-none)';
    },
    [catalog],
  );

  const isValidConnection = useCallback((c: Connection | Edge) => {
    const s = useEditor.getState();
    return (
      connectionProblem(s.catalog, s.nodes, s.edges, {
        source: c.source,
        target: c.target,
        sourceHandle: c.sourceHandle ?? null,
        targetHandle: c.targetHandle ?? null,
      }) === null
    );
  }, []);

  const onConnect = useCallback(
    (c: Connection) => {
      const problem = connect(c);
      const s = useEditor.getState();
      if (problem) s.toast('error', `Can’t connect: ${problem}`);
      else s.announce(`Connected ${c.source}.${c.sourceHandle ?? ''} to ${c.target}.${c.targetHandle ?? ''}.`);
    },
    [connect],
  );

  const onDragOver = useCallback((e: DragEvent) => {
    if (e.dataTransfer.types.includes(KIND_MIME)) {
      e.preventDefault();
      e.dataTransfer.dropEffect = 'move';
    }
  }, []);

  const onDrop = useCallback(
    (e: DragEvent) => {
      const type = e.dataTransfer.getData(KIND_MIME);
      if (!type) return;
      e.preventDefault();
      const at = screenToFlowPosition({ x: e.clientX, y: e.clientY });
      addNode(type, { x: Math.round(at.x - 120), y: Math.round(at.y - 24) });
    },
    [addNode, screenToFlowPosition],
  );

  return (
    // React Flow's own wrapper is the one role=application; this section names it and says how to use it. Focusable
    // from script only: the "Skip to canvas" link lands here when there is no node yet.
    <section
      className="canvas"
      aria-labelledby="canvas-heading"
      tabIndex={-1}
      data-testid="canvas"
      onDragOver={onDragOver}
      onDrop={onDrop}
    >
      <h2 id="canvas-heading" className="sr-only">
        Canvas
      </h2>
      <p id="canvas-help" className="sr-only">
        Tab moves through the nodes and their ports. Enter selects a node; arrow keys move it. To connect, press Enter
        on an output port, then on an input port; Escape cancels. The inspector also connects the selected node's
        inputs.
      </p>
      <ReactFlow<CanvasNode, CanvasEdge>
        aria-label="Flow canvas"
        aria-describedby="canvas-help"
        connectOnClick
        nodes={shownNodes}
        edges={isLarge ? shownEdges : edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onNodesChange={handleNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onNodeContextMenu={onNodeContextMenu}
        isValidConnection={isValidConnection}
        deleteKeyCode={null}
        multiSelectionKeyCode={MULTI_SELECT}
        selectionKeyCode="Shift"
        snapToGrid
        snapGrid={SNAP}
        minZoom={0.08}
        maxZoom={2}
        fitView={initial === 'fit'}
        defaultViewport={initial !== null && typeof initial === 'object' ? initial : undefined}
        fitViewOptions={FIT_OPTIONS}
        onlyRenderVisibleElements={nodes.length > LARGE_FLOW}
        onMoveStart={hasMoved ? undefined : onMoveStart}
        colorMode={theme}
        proOptions={PRO_OPTIONS}
        connectionRadius={28}
        defaultEdgeOptions={EDGE_OPTIONS}
      >
        <CanvasChrome minimapColor={minimapColor} />
      </ReactFlow>
    </section>
  );
}

/**
 * What is drawn over the canvas (background, minimap, controls) and the canvas's helpers. Its own memoised component:
 * the canvas re-renders on every change of the nodes (a selection, a move) and these do not depend on them.
 */
const CanvasChrome = memo(function CanvasChrome({ minimapColor }: { minimapColor: (node: Node) => string }) {
  return (
    <>
      <Background variant={BackgroundVariant.Dots} gap={20} size={1.4} color="var(--canvas-dots)" />
      <MiniMap
        pannable
        zoomable
        nodeColor={minimapColor}
        maskColor="var(--minimap-mask)"
        bgColor="var(--minimap-bg)"
        style={MINIMAP_STYLE}
        ariaLabel="Minimap"
      />
      <KeepInView />
      <ViewAfterUndo />
      <Controls showInteractive={false} position="bottom-left">
        <ZoomLevel />
      </Controls>
      <ConnectionHint />
    </>
  );
});

/**
 * When the canvas shrinks (a bottom panel opens, the window narrows), a flow that was wholly in view and clear of the
 * minimap is fitted again, never zooming in, so that no node ends up hidden or under the minimap.
 */
function KeepInView() {
  const width = useStore((s) => s.width);
  const height = useStore((s) => s.height);
  const { fitView, getViewport } = useReactFlow();
  const before = useRef({ width, height });
  useEffect(() => {
    const previous = before.current;
    before.current = { width, height };
    if (width >= previous.width && height >= previous.height) return;
    const nodes = useEditor.getState().nodes;
    if (nodes.length > LARGE_FLOW) return;
    const { x, y, zoom } = getViewport();
    // A resize keeps the viewport, so the same transform tells how the flow sat on the pane before it.
    const wasClear = isClearInPane(nodes, [x, y, zoom], previous.width, previous.height);
    if (!wasClear || isClearInPane(nodes, [x, y, zoom], width, height)) return;
    // At once, not animated: the layout itself just jumped, and a drag started now must land where it aims.
    void fitView({ padding: CLEAR_OF_MINIMAP, maxZoom: zoom });
  }, [width, height, fitView, getViewport]);
  return null;
}

/**
 * After an undo or redo (of a layout, say) that leaves no node in view, the view goes to the nodes, animated, as it
 * was before the step that moved them: the user never lands on an empty canvas.
 */
function ViewAfterUndo() {
  const undoCount = useEditor((s) => s.undoCount);
  const { fitBounds, getViewport } = useReactFlow();
  const width = useStore((s) => s.width);
  const height = useStore((s) => s.height);
  const seen = useRef(undoCount);
  useEffect(() => {
    if (seen.current === undoCount) return;
    seen.current = undoCount;
    const nodes = useEditor.getState().nodes;
    const bounds = boundsOf(nodes);
    if (!bounds) return;
    const { x, y, zoom } = getViewport();
    const view = { x: -x / zoom, y: -y / zoom, width: width / zoom, height: height / zoom };
    const isAnyInView = nodes.some((n) => {
      const size = sizeOf(n);
      return (
        n.position.x < view.x + view.width &&
        n.position.x + size.width > view.x &&
        n.position.y < view.y + view.height &&
        n.position.y + size.height > view.y
      );
    });
    if (!isAnyInView) void fitBounds(bounds, { padding: 0.15, duration: 250 });
  }, [undoCount, fitBounds, getViewport, width, height]);
  return null;
}
