import type { CanvasNode } from '../store/graph-types';
import { sizeOf } from './culling';

/** The minimap's size and its distance from the canvas' bottom-right corner, in screen pixels. */
export const MINIMAP = { width: 168, height: 112, margin: 15 };

/** The padding that fits a flow on the canvas with its bottom row clear of the minimap. */
export const CLEAR_OF_MINIMAP = {
  top: '24px',
  left: '24px',
  right: '24px',
  bottom: `${MINIMAP.height + 2 * MINIMAP.margin}px`,
} as const;

/**
 * Whether every node is wholly on a pane of `width` × `height` under `transform` ([x, y, zoom], React Flow's) and
 * none lies under the minimap, where it could be neither seen nor clicked.
 */
export function isClearInPane(
  nodes: readonly CanvasNode[],
  [x, y, zoom]: readonly [number, number, number],
  width: number,
  height: number,
): boolean {
  const mapLeft = width - MINIMAP.width - MINIMAP.margin;
  const mapTop = height - MINIMAP.height - MINIMAP.margin;
  return nodes.every((node) => {
    const size = sizeOf(node);
    const left = node.position.x * zoom + x;
    const top = node.position.y * zoom + y;
    const right = left + size.width * zoom;
    const bottom = top + size.height * zoom;
    const isOnPane = left >= 0 && top >= 0 && right <= width && bottom <= height;
    const isUnderMap = right > mapLeft && bottom > mapTop && left < width - MINIMAP.margin;
    return isOnPane && !isUnderMap;
  });
}
