import type { NodeChange, Rect } from '@xyflow/react';
import type { CanvasEdge, CanvasNode } from '../store/graph-types';

/** Size assumed for a node React Flow has not measured yet. */
const GUESS = { width: 236, height: 160 };

export function sizeOf(node: CanvasNode): { width: number; height: number } {
  return {
    width: node.measured?.width ?? node.width ?? GUESS.width,
    height: node.measured?.height ?? node.height ?? GUESS.height,
  };
}

/**
 * The flow-space area worth drawing for a viewport: what is seen, grown by `margin` screens on each side and snapped
 * outwards to a grid, as a string key so that panning within a cell changes nothing. Empty before the pane is measured.
 */
export function cullKey(
  transform: readonly [number, number, number],
  width: number,
  height: number,
  margin = 0.5,
  snap = 500,
): string {
  if (width <= 0 || height <= 0) return '';
  const [tx, ty, zoom] = transform;
  const w = width / zoom;
  const h = height / zoom;
  const x0 = Math.floor((-tx / zoom - w * margin) / snap) * snap;
  const y0 = Math.floor((-ty / zoom - h * margin) / snap) * snap;
  const x1 = Math.ceil((-tx / zoom + w * (1 + margin)) / snap) * snap;
  const y1 = Math.ceil((-ty / zoom + h * (1 + margin)) / snap) * snap;
  return `${x0},${y0},${x1},${y1}`;
}

export function keyToRect(key: string): Rect | null {
  if (!key) return null;
  const [x0 = 0, y0 = 0, x1 = 0, y1 = 0] = key.split(',').map(Number);
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/** Nodes overlapping the rectangle, plus every selected one (so a selection keeps its handles and outline). */
export function cullNodes(nodes: readonly CanvasNode[], rect: Rect): CanvasNode[] {
  return nodes.filter((node) => {
    if (node.selected || node.dragging) return true;
    const { width, height } = sizeOf(node);
    const { x, y } = node.position;
    return x + width >= rect.x && x <= rect.x + rect.width && y + height >= rect.y && y <= rect.y + rect.height;
  });
}

/** Edges whose two ends are both drawn. */
export function cullEdges(edges: readonly CanvasEdge[], shown: ReadonlySet<string>): CanvasEdge[] {
  return edges.filter((e) => shown.has(e.source) && shown.has(e.target));
}

/**
 * While a selection is dragged, React Flow moves only the nodes it draws: the selected nodes it does not draw get
 * the same move here.
 */
export function withHiddenFollowers(
  changes: NodeChange<CanvasNode>[],
  nodes: readonly CanvasNode[],
  shown: ReadonlySet<string>,
): NodeChange<CanvasNode>[] {
  const lead = changes.find((c) => c.type === 'position' && c.position && c.dragging);
  if (lead?.type !== 'position' || !lead.position) return changes;
  const from = nodes.find((n) => n.id === lead.id)?.position;
  if (!from) return changes;
  const dx = lead.position.x - from.x;
  const dy = lead.position.y - from.y;
  const extra: NodeChange<CanvasNode>[] = [];
  for (const node of nodes) {
    if (!node.selected || shown.has(node.id)) continue;
    extra.push({
      type: 'position',
      id: node.id,
      position: { x: node.position.x + dx, y: node.position.y + dy },
      dragging: true,
    });
  }
  return extra.length > 0 ? [...changes, ...extra] : changes;
}

/** The flow-space box around all nodes, for "fit view" on flows whose nodes are not all drawn. */
export function boundsOf(nodes: readonly CanvasNode[]): Rect | null {
  if (nodes.length === 0) return null;
  let x0 = Number.POSITIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let x1 = Number.NEGATIVE_INFINITY;
  let y1 = Number.NEGATIVE_INFINITY;
  for (const node of nodes) {
    const { width, height } = sizeOf(node);
    x0 = Math.min(x0, node.position.x);
    y0 = Math.min(y0, node.position.y);
    x1 = Math.max(x1, node.position.x + width);
    y1 = Math.max(y1, node.position.y + height);
  }
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}
