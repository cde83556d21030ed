import { describe, expect, it } from 'vitest';
import type { CanvasEdge, CanvasNode } from '../store/graph-types';
import { layoutPositions, MAX_LAYERS_PER_ROW } from './layout';

const node = (id: string): CanvasNode => ({
  id,
  type: 'flow',
  position: { x: 0, y: 0 },
  data: { type: 'llm', params: {} },
  measured: { width: 200, height: 100 },
});
const edge = (source: string, target: string): CanvasEdge => ({
  id: `${source}->${target}`,
  source,
  target,
  sourceHandle: 'out',
  targetHandle: 'in',
  type: 'value',
});

type Positions = ReturnType<typeof layoutPositions>;
const overlaps = (at: Positions) => {
  const boxes = Object.entries(at);
  const out: string[] = [];
  for (const [i, [a, p]] of boxes.entries())
    for (const [b, q] of boxes.slice(i + 1))
      if (Math.abs(p.x - q.x) < 200 && Math.abs(p.y - q.y) < 100) out.push(`${a} × ${b}`);
  return out;
};
const span = (at: Positions, axis: 'x' | 'y') =>
  Math.max(...Object.values(at).map((p) => p[axis])) - Math.min(...Object.values(at).map((p) => p[axis]));

describe('layoutPositions', () => {
  it('lays a short chain out left to right on one row', () => {
    const ids = ['a', 'b', 'c'];
    const at = layoutPositions(ids.map(node), [edge('a', 'b'), edge('b', 'c')]);
    expect(at.a?.x).toBeLessThan(at.b?.x as number);
    expect(at.b?.x).toBeLessThan(at.c?.x as number);
    expect(span(at, 'y')).toBe(0);
  });

  it('wraps a long chain into rows instead of one endless line', () => {
    const ids = Array.from({ length: 12 }, (_, i) => `n${i}`);
    const at = layoutPositions(
      ids.map(node),
      ids.slice(1).map((id, i) => edge(ids[i] as string, id)),
    );
    const rows = new Set(Object.values(at).map((p) => p.y));
    expect(rows.size).toBe(Math.ceil(12 / MAX_LAYERS_PER_ROW));
    expect(span(at, 'x')).toBeLessThan(MAX_LAYERS_PER_ROW * 300);
    expect(overlaps(at)).toEqual([]);
    // Each row reads left to right, and the chain goes on at the start of the next.
    expect(at.n5?.x).toBe(at.n0?.x);
    expect(at.n5?.y).toBeGreaterThan(at.n4?.y as number);
  });

  it('puts unwired nodes in a grid, not one column', () => {
    const ids = Array.from({ length: 9 }, (_, i) => `u${i}`);
    const at = layoutPositions(ids.map(node), []);
    expect(new Set(Object.values(at).map((p) => p.x)).size).toBe(3);
    expect(new Set(Object.values(at).map((p) => p.y)).size).toBe(3);
    expect(overlaps(at)).toEqual([]);
  });

  it('stacks separate flows and the loose nodes without overlap, and leaves notes alone', () => {
    const nodes = ['a', 'b', 'c', 'd', 'x', 'y'].map(node);
    const note: CanvasNode = { id: 'note:1', type: 'note', position: { x: 5, y: 5 }, data: { text: '' } };
    const at = layoutPositions([...nodes, note], [edge('a', 'b'), edge('c', 'd')]);
    expect(Object.keys(at).sort()).toEqual(['a', 'b', 'c', 'd', 'x', 'y']);
    expect(overlaps(at)).toEqual([]);
  });
});
