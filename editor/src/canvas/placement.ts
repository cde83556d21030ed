import type { XYPosition } from '@xyflow/react';
import type { CanvasNode } from '../store/graph-types';

/** A node's size before React Flow has measured it (a new node, a pasted one): generous, the tallest kinds' height. */
export const ESTIMATED_SIZE = { width: 250, height: 230 };
/** Space kept between a placed node and its neighbours. */
const GAP = 32;

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The box a node takes on the canvas, measured when it has been drawn, else estimated. */
export function boxOf(node: CanvasNode): Box {
  return {
    x: node.position.x,
    y: node.position.y,
    width: node.measured?.width ?? node.width ?? ESTIMATED_SIZE.width,
    height: node.measured?.height ?? node.height ?? ESTIMATED_SIZE.height,
  };
}

/** The smallest box around all of `boxes` (none: undefined). */
export function boundsOfBoxes(boxes: readonly Box[]): Box | undefined {
  if (boxes.length === 0) return undefined;
  const left = Math.min(...boxes.map((b) => b.x));
  const top = Math.min(...boxes.map((b) => b.y));
  const right = Math.max(...boxes.map((b) => b.x + b.width));
  const bottom = Math.max(...boxes.map((b) => b.y + b.height));
  return { x: left, y: top, width: right - left, height: bottom - top };
}

function overlaps(a: Box, b: Box, gap: number): boolean {
  return (
    a.x < b.x + b.width + gap && b.x < a.x + a.width + gap && a.y < b.y + b.height + gap && b.y < a.y + a.height + gap
  );
}

/**
 * Where a box of `size` goes so that it overlaps none of `taken` (keeping a gap): `preferred` when it is free, else the
 * nearest free spot on a grid around it, trying the right first, then below, then the rest by distance. Pure.
 */
export function freeSpot(
  taken: readonly Box[],
  preferred: XYPosition,
  size: { width: number; height: number } = ESTIMATED_SIZE,
): XYPosition {
  const stepX = size.width + GAP;
  const stepY = Math.round((size.height + GAP) / 2);
  const fits = (at: XYPosition) => !taken.some((box) => overlaps({ ...at, ...size }, box, GAP));
  const candidates: { at: XYPosition; cost: number }[] = [];
  for (let ring = 0; ring <= 12; ring++) {
    for (let i = -ring; i <= ring; i++) {
      for (let j = -ring * 2; j <= ring * 2; j++) {
        if (Math.max(Math.abs(i), Math.ceil(Math.abs(j) / 2)) !== ring) continue;
        // Right of the spot is cheapest, then below, then left and above.
        const cost = Math.hypot(i * stepX, j * stepY * 2) + (i < 0 ? stepX : 0) + (j < 0 ? stepY : 0);
        candidates.push({
          at: { x: Math.round(preferred.x + i * stepX), y: Math.round(preferred.y + j * stepY) },
          cost,
        });
      }
    }
    const free = candidates.filter((c) => fits(c.at)).sort((a, b) => a.cost - b.cost)[0];
    if (free) return free.at;
    candidates.length = 0;
  }
  // A canvas full around the spot: below everything.
  const bottom = Math.max(...taken.map((b) => b.y + b.height));
  return { x: Math.round(preferred.x), y: Math.round(bottom + GAP) };
}

/** Where new nodes go: beside the selection when there is one (to its right), else at `fallback`; never on a node. */
export function placeBeside(
  nodes: readonly CanvasNode[],
  fallback: XYPosition,
  size: { width: number; height: number } = ESTIMATED_SIZE,
): XYPosition {
  const selection = boundsOfBoxes(nodes.filter((n) => n.selected).map(boxOf));
  const preferred = selection ? { x: selection.x + selection.width + GAP * 2, y: selection.y } : fallback;
  return freeSpot(nodes.map(boxOf), preferred, size);
}
