import {
  Background,
  BackgroundVariant,
  type Connection,
  Controls,
  type Edge,
  MiniMap,
  type Node,
  ReactFlow,
  useReactFlow,
} from '@xyflow/react';
import { type DragEvent, useCallback, useState } from 'react';
import { connectionProblem } from '../store/graph-ops';
import type { CanvasEdge, CanvasNode } from '../store/graph-types';
import { useEditor } from '../store/index';
import { ConnectionHint } from './ConnectionHint';
import { categoryMeta } from './colors';
import { edgeTypes, nodeTypes } from './node-types';
import { KIND_MIME } from './Palette';

const PRO_OPTIONS = { hideAttribution: true };
const SNAP: [number, number] = [10, 10];
const MULTI_SELECT = ['Shift', 'Meta', 'Control'];
const FIT_OPTIONS = { padding: 0.2, maxZoom: 1.1 };

/** The React Flow canvas, controlled by the store. */
export function FlowCanvas() {
  const nodes = useEditor((s) => s.nodes);
  const edges = useEditor((s) => s.edges);
  const onNodesChange = useEditor((s) => s.onNodesChange);
  const onEdgesChange = useEditor((s) => s.onEdgesChange);
  const connect = useEditor((s) => s.connect);
  const addNode = useEditor((s) => s.addNode);
  const catalog = useEditor((s) => s.catalog);
  // Fit only a flow that has nodes when it opens; an empty canvas must not jump when the first node lands.
  const [shouldFit] = useState(() => useEditor.getState().nodes.length > 0);
  const { screenToFlowPosition } = useReactFlow();
  const minimapColor = useCallback(
    (node: Node) => {
      if (node.type === 'note') return '#eab30866';
      const spec = catalog[(node.data as { type?: string }).type ?? ''];
      return spec ? categoryMeta(spec.category).color : '#475569';
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
      if (problem) useEditor.getState().toast('error', `Can’t connect: ${problem}`);
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
    <div
      className="canvas"
      role="application"
      aria-label="Flow canvas"
      data-testid="canvas"
      onDragOver={onDragOver}
      onDrop={onDrop}
    >
      <ReactFlow<CanvasNode, CanvasEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        isValidConnection={isValidConnection}
        deleteKeyCode={null}
        multiSelectionKeyCode={MULTI_SELECT}
        selectionKeyCode="Shift"
        snapToGrid
        snapGrid={SNAP}
        minZoom={0.08}
        maxZoom={2}
        fitView={shouldFit}
        fitViewOptions={FIT_OPTIONS}
        onlyRenderVisibleElements={nodes.length > 120}
        colorMode="dark"
        proOptions={PRO_OPTIONS}
        connectionRadius={28}
        defaultEdgeOptions={{ type: 'value' }}
      >
        <Background variant={BackgroundVariant.Dots} gap={20} size={1.4} color="#2a3040" />
        <MiniMap
          pannable
          zoomable
          nodeColor={minimapColor}
          maskColor="rgba(10, 12, 18, 0.7)"
          style={{ background: '#12151d' }}
          ariaLabel="Minimap"
        />
        <Controls showInteractive={false} position="bottom-left" />
        <ConnectionHint />
      </ReactFlow>
    </div>
  );
}
