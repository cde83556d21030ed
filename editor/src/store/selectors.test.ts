import { describe, expect, it } from 'vitest';
import type { CanvasNode } from './graph-types';
import type { EditorState } from './index';
import { byNodeData, nodeDataToken, sameNodeData, selectSelectedNodeId, selectSelectionCount } from './selectors';

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

  it('gives node lists with the same data the same token, and a changed list a new one', () => {
    const nodes = [node('a'), node('b')];
    const token = nodeDataToken(nodes);
    const moved = nodes.map((n) => ({ ...n, position: { x: 1, y: 1 } }));
    expect(nodeDataToken(moved)).toBe(token);
    expect(nodeDataToken(nodes)).toBe(token);
    const edited = [nodes[0] as CanvasNode, node('b', { temperature: 1 })];
    expect(nodeDataToken(edited)).not.toBe(token);
    expect(nodeDataToken([...edited, node('c')])).not.toBe(nodeDataToken(edited));
  });
});

describe('the selection', () => {
  const state = (nodes: readonly CanvasNode[]) => ({ nodes }) as unknown as EditorState;
  it('is the one selected flow node, or none with zero or several selected', () => {
    const nodes: CanvasNode[] = [node('a'), node('b'), { ...node('note'), type: 'note' } as unknown as CanvasNode];
    expect(selectSelectedNodeId(state(nodes))).toBeNull();
    const one = nodes.map((n): CanvasNode => (n.id === 'b' ? { ...n, selected: true } : n));
    expect(selectSelectedNodeId(state(one))).toBe('b');
    expect(selectSelectionCount(state(one))).toBe(1);
    const two = one.map((n): CanvasNode => (n.id === 'a' ? { ...n, selected: true } : n));
    expect(selectSelectedNodeId(state(two))).toBeNull();
    expect(selectSelectionCount(state(two))).toBe(2);
    const noteOnly = nodes.map((n): CanvasNode => (n.id === 'note' ? { ...n, selected: true } : n));
    expect(selectSelectedNodeId(state(noteOnly))).toBeNull();
    expect(selectSelectionCount(state(noteOnly))).toBe(1);
    // An earlier list again: its own answer.
    expect(selectSelectedNodeId(state(one))).toBe('b');
  });
});
