import { describe, expect, it } from 'vitest';
import type { CanvasNode } from './graph-types';
import type { EditorState } from './index';
import { byNodeData, sameNodeData } from './selectors';

const node = (id: string, params: Record<string, unknown> = {}): CanvasNode => ({
  id,
  type: 'flow',
  position: { x: 0, y: 0 },
  data: { type: 'llm', params },
});

describe('selectors over the nodes’ data', () => {
  it('sees a move or a selection as the same data, an edit or another node as new data', () => {
    const nodes = [node('a'), node('b')];
    const moved = nodes.map((n) => ({ ...n, position: { x: 5, y: 5 }, selected: true }));
    expect(sameNodeData(nodes, moved)).toBe(true);
    expect(sameNodeData(nodes, [nodes[0] as CanvasNode, node('b', { temperature: 1 })])).toBe(false);
    expect(sameNodeData(nodes, [nodes[0] as CanvasNode])).toBe(false);
    expect(sameNodeData(nodes, [nodes[1] as CanvasNode, nodes[0] as CanvasNode])).toBe(false);
  });

  it('works a value out again only when the data or the catalog changed', () => {
    let calls = 0;
    const select = byNodeData((nodes) => {
      calls++;
      return nodes.map((n) => n.id);
    });
    const catalog = {};
    const nodes = [node('a'), node('b')];
    const state = (list: CanvasNode[], cat = catalog) => ({ nodes: list, catalog: cat }) as unknown as EditorState;
    const first = select(state(nodes));
    const selected = nodes.map((n) => ({ ...n, selected: true }));
    expect(select(state(selected))).toBe(first);
    expect(calls).toBe(1);
    expect(select(state([...selected, node('c')]))).toEqual(['a', 'b', 'c']);
    expect(select(state(nodes, {}))).toEqual(['a', 'b']);
    expect(calls).toBe(3);
  });
});
