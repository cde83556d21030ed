import { describe, expect, it } from 'vitest';
import type { CanvasNode } from '../store/graph-types';
import { boundsOf, cullEdges, cullKey, cullNodes, keyToRect, withHiddenFollowers } from './culling';

const node = (id: string, x: number, y: number, selected = false): CanvasNode => ({
  id,
  type: 'flow',
  position: { x, y },
  data: { type: 'llm', params: {} },
  selected,
});

describe('culling', () => {
  it('keeps what is around the viewport, the selection, and edges between kept nodes', () => {
    const key = cullKey([0, 0, 1], 1000, 800);
    expect(key).toBe('-500,-500,1500,1500');
    expect(cullKey([0, 0, 1], 0, 0)).toBe('');
    expect(cullKey([-110, -110, 1], 1000, 800)).toBe(cullKey([-100, -100, 1], 1000, 800)); // small pans reuse the area
    // Without a margin (a large flow's first draw): only the cells the viewport touches.
    expect(cullKey([0, 0, 1], 1000, 800, 0)).toBe('0,0,1000,1000');
    const rect = keyToRect(key);
    if (!rect) throw new Error('no rect');
    const nodes = [node('a', 0, 0), node('b', 1400, 1400), node('far', 5000, 0), node('picked', 9000, 9000, true)];
    const shown = cullNodes(nodes, rect);
    expect(shown.map((n) => n.id)).toEqual(['a', 'b', 'picked']);
    const ids = new Set(shown.map((n) => n.id));
    const edges = [
      { id: 'e1', source: 'a', target: 'b' },
      { id: 'e2', source: 'a', target: 'far' },
    ];
    expect(cullEdges(edges, ids).map((e) => e.id)).toEqual(['e1']);
  });

  it('moves hidden selected nodes along with a drag', () => {
    const nodes = [node('a', 0, 0, true), node('hidden', 5000, 0, true), node('other', 10, 10)];
    const changes = withHiddenFollowers(
      [{ type: 'position', id: 'a', position: { x: 15, y: -5 }, dragging: true }],
      nodes,
      new Set(['a', 'other']),
    );
    expect(changes).toContainEqual({ type: 'position', id: 'hidden', position: { x: 5015, y: -5 }, dragging: true });
    expect(changes).toHaveLength(2);
  });

  it('measures the bounds of all nodes', () => {
    expect(boundsOf([node('a', 0, 0), node('b', 100, 50)])).toEqual({ x: 0, y: 0, width: 336, height: 210 });
    expect(boundsOf([])).toBeNull();
  });
});
