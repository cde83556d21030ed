import dagre from '@dagrejs/dagre';
import type { XYPosition } from '@xyflow/react';
import type { CanvasEdge, CanvasNode } from '../store/graph-types';

const DEFAULT_SIZE = { width: 260, height: 140 };

/** Left-to-right layered layout of the flow nodes (notes stay where they are). Pure. */
export function layoutPositions(
  nodes: readonly CanvasNode[],
  edges: readonly CanvasEdge[],
): Record<string, XYPosition> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 70, ranksep: 100, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  const flowNodes = nodes.filter((n) => n.type === 'flow');
  for (const node of flowNodes) {
    const width = node.measured?.width ?? node.width ?? DEFAULT_SIZE.width;
    const height = node.measured?.height ?? node.height ?? DEFAULT_SIZE.height;
    g.setNode(node.id, { width, height });
  }
  for (const edge of edges) if (g.hasNode(edge.source) && g.hasNode(edge.target)) g.setEdge(edge.source, edge.target);
  dagre.layout(g);
  const out: Record<string, XYPosition> = {};
  for (const node of flowNodes) {
    const laid = g.node(node.id);
    if (laid) out[node.id] = { x: Math.round(laid.x - laid.width / 2), y: Math.round(laid.y - laid.height / 2) };
  }
  return out;
}
