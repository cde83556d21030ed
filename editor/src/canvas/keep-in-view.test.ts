import { describe, expect, it } from 'vitest';
import type { CanvasNode } from '../store/graph-types';
import { isClearInPane, MINIMAP } from './keep-in-view';

const node = (id: string, x: number, y: number): CanvasNode => ({
  id,
  type: 'flow',
  position: { x, y },
  measured: { width: 200, height: 100 },
  data: { type: 'llm', params: {} },
});

describe('isClearInPane', () => {
  const nodes = [node('a', 0, 0), node('b', 600, 300)];

  it('is clear when every node is on the pane and none under the minimap', () => {
    expect(isClearInPane(nodes, [0, 0, 1], 1000, 800)).toBe(true);
  });

  it('is not when the pane shrinks so that a node goes under the minimap or off the pane', () => {
    expect(isClearInPane(nodes, [0, 0, 1], 1000, 390)).toBe(false); // b's bottom edge is at 400
    const mapLeft = 1000 - MINIMAP.width - MINIMAP.margin;
    const underMap = [node('c', mapLeft - 100, 800 - MINIMAP.margin - 150)];
    expect(isClearInPane(underMap, [0, 0, 1], 1000, 800)).toBe(false);
    expect(isClearInPane(underMap, [0, -200, 1], 1000, 800)).toBe(true);
  });

  it('takes the zoom and the pan into account', () => {
    expect(isClearInPane(nodes, [0, 0, 0.5], 1000, 390)).toBe(true);
    expect(isClearInPane(nodes, [-10, 0, 1], 1000, 800)).toBe(false);
  });
});
