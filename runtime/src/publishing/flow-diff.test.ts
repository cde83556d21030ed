import type { FlowFile } from '@flowloom/nodes';
import { describe, expect, it } from 'vitest';
import { diffFlows, diffValues } from './flow-diff.js';

function base(): FlowFile {
  return {
    format: 'flowloom.flow/v1',
    id: 'chat',
    name: 'Chat',
    nodes: [
      { id: 'question', type: 'input', position: { x: 0, y: 0 }, params: { name: 'question' } },
      { id: 'llm', type: 'llm', position: { x: 200, y: 0 }, params: { model: 'gpt-4o-mini', temperature: 0 } },
      { id: 'answer', type: 'output', position: { x: 400, y: 0 } },
    ],
    edges: [
      { id: 'e1', source: 'question', sourcePort: 'value', target: 'llm', targetPort: 'prompt' },
      { id: 'e2', source: 'llm', sourcePort: 'text', target: 'answer', targetPort: 'value' },
    ],
  };
}

describe('diffFlows', () => {
  it('finds nothing between equal flows, whatever the key order of params', () => {
    const a = base();
    const b = base();
    b.nodes[1]!.params = { temperature: 0, model: 'gpt-4o-mini' };
    const diff = diffFlows(a, b);
    expect(diff.isEmpty).toBe(true);
    expect(diff.isSameBehaviour).toBe(true);
    expect(diff.nodes).toEqual({ added: [], removed: [], changed: [] });
    expect(diff.edges).toEqual({ added: [], removed: [] });
  });

  it('lists nodes added and removed, and the edges that came and went with them', () => {
    const a = base();
    const b = base();
    b.nodes.splice(1, 0, { id: 'prompt', type: 'prompt', position: { x: 100, y: 0 }, params: { template: '{{q}}' } });
    b.nodes = b.nodes.filter((n) => n.id !== 'answer');
    b.nodes.push({ id: 'reply', type: 'output', position: { x: 400, y: 0 }, params: { name: 'reply' } });
    b.edges = [
      { id: 'x1', source: 'question', sourcePort: 'value', target: 'prompt', targetPort: 'q' },
      { id: 'x2', source: 'prompt', sourcePort: 'prompt', target: 'llm', targetPort: 'prompt' },
      { id: 'x3', source: 'llm', sourcePort: 'text', target: 'reply', targetPort: 'value' },
    ];
    const diff = diffFlows(a, b);
    expect(diff.nodes.added).toEqual([
      { nodeId: 'prompt', type: 'prompt' },
      { nodeId: 'reply', type: 'output' },
    ]);
    expect(diff.nodes.removed).toEqual([{ nodeId: 'answer', type: 'output' }]);
    expect(diff.edges.added.map((e) => e.id)).toEqual(['x1', 'x2', 'x3']);
    expect(diff.edges.removed.map((e) => e.id)).toEqual(['e1', 'e2']);
    expect(diff.isSameBehaviour).toBe(false);
  });

  it('matches edges by the ports they connect, not by their ids', () => {
    const a = base();
    const b = base();
    b.edges = b.edges.map((edge, i) => ({ ...edge, id: `renamed-${i}` }));
    expect(diffFlows(a, b).isEmpty).toBe(true);
  });

  it('reports params added, removed and changed per node, and a kind change', () => {
    const a = base();
    const b = base();
    b.nodes[1]!.params = { model: 'gpt-4o', system: 'Be brief.' };
    b.nodes[2]!.type = 'output-v2';
    const diff = diffFlows(a, b);
    expect(diff.nodes.changed).toEqual([
      {
        nodeId: 'llm',
        params: [
          { name: 'model', change: 'changed', from: 'gpt-4o-mini', to: 'gpt-4o' },
          { name: 'system', change: 'added', to: 'Be brief.' },
          { name: 'temperature', change: 'removed', from: 0 },
        ],
        settings: [],
        isMoved: false,
      },
      { nodeId: 'answer', type: { from: 'output', to: 'output-v2' }, params: [], settings: [], isMoved: false },
    ]);
    expect(diff.isSameBehaviour).toBe(false);
  });

  it('treats moves, names and notes as changes that keep the behaviour', () => {
    const a = base();
    const b = base();
    b.nodes[0]!.position = { x: 10, y: 20 };
    b.name = 'Chat v2';
    b.notes = [{ id: 'n1', text: 'hello', position: { x: 0, y: 0 } }];
    const diff = diffFlows(a, b);
    expect(diff.isSameBehaviour).toBe(true);
    expect(diff.isEmpty).toBe(false);
    expect(diff.nodes.changed).toEqual([{ nodeId: 'question', params: [], settings: [], isMoved: true }]);
    expect(diff.fields.map((f) => [f.name, f.change])).toEqual([
      ['name', 'changed'],
      ['notes', 'added'],
    ]);
  });

  it('reports node settings changes (timeouts, retries)', () => {
    const a = base();
    const b = base();
    b.nodes[1]!.settings = { timeoutMs: 5000 };
    const diff = diffFlows(a, b);
    expect(diff.nodes.changed[0]?.settings).toEqual([{ name: 'timeoutMs', change: 'added', to: 5000 }]);
    expect(diff.isSameBehaviour).toBe(false);
  });

  it('leaves its inputs untouched', () => {
    const a = base();
    const b = base();
    b.nodes[1]!.params = { model: 'x' };
    const before = JSON.stringify([a, b]);
    diffFlows(a, b);
    expect(JSON.stringify([a, b])).toBe(before);
  });
});

describe('diffValues', () => {
  it('compares nested values deeply', () => {
    expect(diffValues({ schema: { a: 1, b: [1, 2] } }, { schema: { b: [1, 2], a: 1 } })).toEqual([]);
    expect(diffValues({ schema: { a: 1 } }, { schema: { a: 2 } })).toEqual([
      { name: 'schema', change: 'changed', from: { a: 1 }, to: { a: 2 } },
    ]);
  });
});
