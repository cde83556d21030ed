import dagre from '@dagrejs/dagre';
import type { XYPosition } from '@xyflow/react';
import type { CanvasEdge, CanvasNode } from '../store/graph-types';
import { boxOf } from './placement';

const NODE_SEP = 60;
const RANK_SEP = 90;
/** Layers of one chain per row before it wraps onto the next row: a long chain reads as lines of text do. */
export const MAX_LAYERS_PER_ROW = 5;
/** Space between the rows of a wrapped chain, between flows and the grid of unwired nodes. */
const BLOCK_GAP = 80;

interface Laid {
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The connected groups of flow nodes (by edges), each in the order of `nodes`. */
function components(nodes: readonly CanvasNode[], edges: readonly CanvasEdge[]): CanvasNode[][] {
  const parent = new Map(nodes.map((n) => [n.id, n.id]));
  const find = (id: string): string => {
    let root = id;
    while (parent.get(root) !== root) root = parent.get(root) as string;
    parent.set(id, root);
    return root;
  };
  for (const e of edges) if (parent.has(e.source) && parent.has(e.target)) parent.set(find(e.source), find(e.target));
  const groups = new Map<string, CanvasNode[]>();
  for (const node of nodes) {
    const root = find(node.id);
    groups.set(root, [...(groups.get(root) ?? []), node]);
  }
  return [...groups.values()];
}

/** One connected group, left to right in layers (dagre), wrapped into rows of at most MAX_LAYERS_PER_ROW layers. */
function layoutGroup(nodes: readonly CanvasNode[], edges: readonly CanvasEdge[]): Laid[] {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: NODE_SEP, ranksep: RANK_SEP });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of nodes) {
    const { width, height } = boxOf(node);
    g.setNode(node.id, { width, height });
  }
  for (const e of edges) if (g.hasNode(e.source) && g.hasNode(e.target)) g.setEdge(e.source, e.target);
  dagre.layout(g);
  const laid = nodes.map((node) => {
    const at = g.node(node.id);
    return { id: node.id, x: at.x - at.width / 2, y: at.y - at.height / 2, width: at.width, height: at.height };
  });
  // Layers are the distinct x positions, left to right; beyond MAX_LAYERS_PER_ROW a chain continues on a new row.
  const layers = [...new Set(laid.map((n) => Math.round(n.x)))].sort((a, b) => a - b);
  if (layers.length <= MAX_LAYERS_PER_ROW) return laid;
  const layerOf = new Map(layers.map((x, i) => [x, i]));
  const rowOf = (n: Laid) => Math.floor((layerOf.get(Math.round(n.x)) as number) / MAX_LAYERS_PER_ROW);
  const rows = Math.ceil(layers.length / MAX_LAYERS_PER_ROW);
  const out: Laid[] = [];
  let top = 0;
  for (let row = 0; row < rows; row++) {
    const members = laid.filter((n) => rowOf(n) === row);
    if (members.length === 0) continue;
    const left = Math.min(...members.map((n) => n.x));
    const minY = Math.min(...members.map((n) => n.y));
    const maxY = Math.max(...members.map((n) => n.y + n.height));
    for (const n of members) out.push({ ...n, x: n.x - left, y: n.y - minY + top });
    top += maxY - minY + BLOCK_GAP;
  }
  return out;
}

/** Unwired nodes in a grid about as wide as it is tall, in the order they were added. */
function layoutGrid(nodes: readonly CanvasNode[]): Laid[] {
  const columns = Math.ceil(Math.sqrt(nodes.length));
  const boxes = nodes.map(boxOf);
  const cellWidth = Math.max(...boxes.map((b) => b.width)) + NODE_SEP;
  const rowHeights: number[] = [];
  boxes.forEach((b, i) => {
    const row = Math.floor(i / columns);
    rowHeights[row] = Math.max(rowHeights[row] ?? 0, b.height);
  });
  const rowTops = rowHeights.map((_, row) => rowHeights.slice(0, row).reduce((sum, h) => sum + h + NODE_SEP, 0));
  return nodes.map((node, i) => ({
    id: node.id,
    x: (i % columns) * cellWidth,
    y: rowTops[Math.floor(i / columns)] as number,
    width: (boxes[i] as { width: number }).width,
    height: (boxes[i] as { height: number }).height,
  }));
}

/**
 * A readable layout of the flow nodes (notes stay where they are). Pure. Each wired group of nodes is laid out left
 * to right in layers, a long chain wrapping onto further rows; the groups are stacked, biggest first; nodes wired to
 * nothing go in a grid below them.
 */
export function layoutPositions(
  nodes: readonly CanvasNode[],
  edges: readonly CanvasEdge[],
): Record<string, XYPosition> {
  const flowNodes = nodes.filter((n) => n.type === 'flow');
  const groups = components(flowNodes, edges);
  const wired = groups.filter((g) => g.length > 1).sort((a, b) => b.length - a.length);
  const loose = groups.filter((g) => g.length === 1).flat();
  const blocks = [...wired.map((g) => layoutGroup(g, edges)), ...(loose.length > 0 ? [layoutGrid(loose)] : [])];
  const out: Record<string, XYPosition> = {};
  let top = 20;
  for (const block of blocks) {
    for (const n of block) out[n.id] = { x: Math.round(20 + n.x), y: Math.round(top + n.y) };
    top += Math.max(...block.map((n) => n.y + n.height)) + BLOCK_GAP;
  }
  return out;
}
