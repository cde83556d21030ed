import { describe, expect, it } from 'vitest';
import type { CanvasNode } from '../store/graph-types';
import { type Box, boundsOfBoxes, boxOf, freeSpot, placeBeside } from './placement';

const node = (id: string, x: number, y: number, selected = false): CanvasNode => ({
  id,
  type: 'flow',
  position: { x, y },
  data: { type: 'llm', params: {} },
  measured: { width: 200, height: 100 },
  selected,
});

const overlap = (a: Box, b: Box) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

describe('freeSpot', () => {
  it('keeps the preferred spot when it is free', () => {
    expect(freeSpot([{ x: 0, y: 0, width: 200, height: 100 }], { x: 600, y: 0 })).toEqual({ x: 600, y: 0 });
  });

  it('moves off a node, to its right first', () => {
    const taken = [{ x: 0, y: 0, width: 200, height: 100 }];
    const at = freeSpot(taken, { x: 10, y: 10 }, { width: 200, height: 100 });
    expect(overlap({ ...at, width: 200, height: 100 }, taken[0] as Box)).toBe(false);
    expect(at.x).toBeGreaterThan(200);
    expect(at.y).toBe(10);
  });

  it('finds a free spot in a crowded canvas, never on a node', () => {
    const taken: Box[] = [];
    for (let i = 0; i < 8; i++)
      for (let j = 0; j < 8; j++) taken.push({ x: i * 240, y: j * 130, width: 220, height: 110 });
    const size = { width: 220, height: 110 };
    const at = freeSpot(taken, { x: 500, y: 400 }, size);
    expect(taken.some((box) => overlap({ ...at, ...size }, box))).toBe(false);
  });
});

describe('placeBeside', () => {
  it('puts a new node to the right of the selection, clear of every node', () => {
    const nodes = [node('a', 0, 0, true), node('b', 300, 0)];
    const at = placeBeside(nodes, { x: 0, y: 0 }, { width: 200, height: 100 });
    for (const n of nodes) expect(overlap({ ...at, width: 200, height: 100 }, boxOf(n))).toBe(false);
    expect(at.x).toBeGreaterThan(200);
  });

  it('without a selection uses the fallback spot, moved off any node there', () => {
    const nodes = [node('a', 0, 0)];
    const at = placeBeside(nodes, { x: 20, y: 20 }, { width: 200, height: 100 });
    expect(overlap({ ...at, width: 200, height: 100 }, boxOf(nodes[0] as CanvasNode))).toBe(false);
  });

  it('bounds several boxes', () => {
    expect(
      boundsOfBoxes([
        { x: 0, y: 0, width: 10, height: 10 },
        { x: 20, y: 5, width: 10, height: 20 },
      ]),
    ).toEqual({
      x: 0,
      y: 0,
      width: 30,
      height: 25,
    });
    expect(boundsOfBoxes([])).toBeUndefined();
  });
});
