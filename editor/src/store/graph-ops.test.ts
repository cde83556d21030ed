import { FLOW_FORMAT, type FlowFile, type NodeSpec } from '@flowloom/nodes/spec';
import { describe, expect, it } from 'vitest';
import {
  addConnection,
  canvasToFlow,
  connectionProblem,
  copySelection,
  describeSource,
  flowToCanvas,
  isFlowLike,
  pasteFragment,
  slugify,
  sourceChoices,
  uniqueId,
  wouldCycle,
} from './graph-ops';
import { TEST_KINDS } from './test-catalog';

const catalog = Object.fromEntries(TEST_KINDS.map((k) => [k.type, k]));

const chat: FlowFile = {
  format: FLOW_FORMAT,
  id: 'chat',
  name: 'Chat',
  version: 3,
  nodes: [
    { id: 'question', type: 'input', position: { x: 0, y: 0 } },
    {
      id: 'llm',
      type: 'llm',
      typeVersion: 1,
      position: { x: 300, y: 0 },
      params: { temperature: 0 },
      settings: { retries: 1 },
    },
    { id: 'answer', type: 'output', position: { x: 600, y: 0 } },
  ],
  edges: [
    { id: 'e1', source: 'question', sourcePort: 'value', target: 'llm', targetPort: 'prompt' },
    { id: 'e2', source: 'llm', sourcePort: 'text', target: 'answer', targetPort: 'value' },
  ],
  notes: [{ id: 'n1', text: 'hello', position: { x: 1, y: 2 }, size: { width: 200, height: 100 } }],
  meta: { owner: 'me' },
};

describe('flow file round trip', () => {
  it('turns a flow into canvas nodes and back without losing anything', () => {
    const { nodes, edges, meta } = flowToCanvas(chat);
    expect(nodes.map((n) => n.type)).toEqual(['flow', 'flow', 'flow', 'note']);
    expect(edges[0]).toMatchObject({ sourceHandle: 'value', targetHandle: 'prompt', type: 'value' });
    expect(canvasToFlow(meta, { nodes, edges }, catalog)).toEqual(chat);
  });

  it('keeps only params that differ from the defaults, and no UI state', () => {
    const { nodes, edges, meta } = flowToCanvas(chat);
    const edited = nodes.map((n) =>
      n.id === 'llm' && n.type === 'flow'
        ? {
            ...n,
            selected: true,
            measured: { width: 1, height: 2 },
            data: { ...n.data, params: { model: 'gpt-4o-mini', temperature: 1.2 } },
          }
        : n,
    );
    const flow = canvasToFlow(meta, { nodes: edited, edges }, catalog);
    expect(flow.nodes[1]).toEqual({
      id: 'llm',
      type: 'llm',
      typeVersion: 1,
      position: { x: 300, y: 0 },
      params: { temperature: 1.2 },
      settings: { retries: 1 },
    });
  });
});

describe('connections', () => {
  const { nodes, edges } = flowToCanvas(chat);
  it('refuses incompatible types with the reason', () => {
    expect(
      connectionProblem(catalog, nodes, [], {
        source: 'llm',
        sourceHandle: 'messages',
        target: 'llm',
        targetHandle: 'prompt',
      }),
    ).toBe('a node cannot feed itself');
    const more = [
      ...nodes,
      { id: 'p', type: 'flow' as const, position: { x: 0, y: 0 }, data: { type: 'prompt', params: {} } },
    ];
    expect(
      connectionProblem(catalog, more, [], {
        source: 'llm',
        sourceHandle: 'messages',
        target: 'p',
        targetHandle: 'question',
      }),
    ).toBe('a messages output cannot feed a text input');
    expect(
      connectionProblem(catalog, more, [], {
        source: 'question',
        sourceHandle: 'value',
        target: 'p',
        targetHandle: 'question',
      }),
    ).toBeNull();
  });

  it('lists the outputs an input accepts, as a drag would: no type mismatch, no cycle, not the node itself', () => {
    const pick = (target: string, port: string) =>
      sourceChoices(catalog, nodes, edges, target, port).map((c) => `${c.source}.${c.sourceHandle}`);
    expect(pick('answer', 'value')).toEqual(['question.value', 'llm.text', 'llm.messages']);
    // The answer feeds nothing back; question → llm is text; llm's own outputs are not offered.
    expect(pick('llm', 'prompt')).toEqual(['question.value']);
    expect(sourceChoices(catalog, nodes, edges, 'answer', 'value')[1]).toMatchObject({
      nodeName: 'llm',
      dataType: 'text',
    });
  });

  it('names an edge source as the list would, before the list is worked out', () => {
    expect(describeSource(catalog, nodes, 'llm', 'text')).toEqual(
      sourceChoices(catalog, nodes, edges, 'answer', 'value').find(
        (c) => c.source === 'llm' && c.sourceHandle === 'text',
      ),
    );
    expect(describeSource(catalog, nodes, 'llm', 'nope')).toBeUndefined();
    expect(describeSource(catalog, nodes, 'gone', 'text')).toBeUndefined();
  });

  it('offers exactly what connectionProblem accepts, on a larger flow with branches, cycles refused and notes', () => {
    // 30 chains question → llm → answer, each llm also feeding the next chain's llm messages, plus a note.
    const big: FlowFile = {
      format: FLOW_FORMAT,
      id: 'big',
      name: 'Big',
      nodes: Array.from({ length: 30 }, (_, i) => [
        { id: `q${i}`, type: 'input', position: { x: 0, y: i * 100 } },
        { id: `l${i}`, type: 'llm', position: { x: 300, y: i * 100 } },
        { id: `a${i}`, type: 'output', position: { x: 600, y: i * 100 } },
      ]).flat(),
      edges: Array.from({ length: 30 }, (_, i) => [
        { id: `e${i}a`, source: `q${i}`, sourcePort: 'value', target: `l${i}`, targetPort: 'prompt' },
        { id: `e${i}b`, source: `l${i}`, sourcePort: 'text', target: `a${i}`, targetPort: 'value' },
        ...(i > 0
          ? [{ id: `e${i}c`, source: `l${i - 1}`, sourcePort: 'messages', target: `l${i}`, targetPort: 'messages' }]
          : []),
      ]).flat(),
      notes: [{ id: 'note', text: 'n', position: { x: 0, y: 0 } }],
    };
    const canvas = flowToCanvas(big);
    for (const [target, port] of [
      ['l0', 'prompt'],
      ['l15', 'messages'],
      ['l29', 'prompt'],
      ['a7', 'value'],
      ['q3', 'value'],
    ] as const) {
      const expected = canvas.nodes.flatMap((node) =>
        node.type !== 'flow'
          ? []
          : (catalog[node.data.type]?.outputs ?? [])
              .filter(
                (out) =>
                  connectionProblem(catalog, canvas.nodes, canvas.edges, {
                    source: node.id,
                    sourceHandle: out.name,
                    target,
                    targetHandle: port,
                  }) === null,
              )
              .map((out) => `${node.id}.${out.name}`),
      );
      const offered = sourceChoices(catalog, canvas.nodes, canvas.edges, target, port);
      expect(
        offered.map((c) => `${c.source}.${c.sourceHandle}`),
        `${target}.${port}`,
      ).toEqual(expected);
    }
    // l15's messages come from l14: every llm before it is upstream, so l16's and later are cycles and refused.
    const fromLater = sourceChoices(catalog, canvas.nodes, canvas.edges, 'l15', 'messages').map((c) => c.source);
    expect(fromLater).toContain('l14');
    expect(fromLater).not.toContain('l16');
  });

  it('refuses cycles', () => {
    expect(wouldCycle(edges, 'answer', 'question')).toBe(true);
    expect(wouldCycle(edges, 'question', 'answer')).toBe(false);
    expect(
      connectionProblem(catalog, nodes, edges, {
        source: 'answer',
        sourceHandle: 'value',
        target: 'llm',
        targetHandle: 'messages',
      }),
    ).toBe('this connection would create a cycle');
  });

  it('replaces the edge of a single-value port and collects edges on a multiple port', () => {
    const withMerge = [
      ...nodes,
      { id: 'm', type: 'flow' as const, position: { x: 0, y: 0 }, data: { type: 'merge', params: {} } },
    ];
    const replaced = addConnection(catalog, withMerge, edges, {
      source: 'question',
      sourceHandle: 'value',
      target: 'answer',
      targetHandle: 'value',
    });
    expect(replaced.filter((e) => e.target === 'answer').map((e) => e.source)).toEqual(['question']);
    let merged = addConnection(catalog, withMerge, edges, {
      source: 'question',
      sourceHandle: 'value',
      target: 'm',
      targetHandle: 'values',
    });
    merged = addConnection(catalog, withMerge, merged, {
      source: 'llm',
      sourceHandle: 'text',
      target: 'm',
      targetHandle: 'values',
    });
    expect(merged.filter((e) => e.target === 'm').length).toBe(2);
    expect(
      addConnection(catalog, withMerge, merged, {
        source: 'llm',
        sourceHandle: 'text',
        target: 'm',
        targetHandle: 'values',
      }),
    ).toBe(merged);
  });
});

describe('clipboard', () => {
  it('copies the selection with inner edges, and pastes with fresh ids', () => {
    const doc = flowToCanvas(chat);
    const selected = doc.nodes.map((n) => (n.id === 'llm' || n.id === 'answer' ? { ...n, selected: true } : n));
    const fragment = copySelection({ nodes: selected, edges: doc.edges }, catalog)!;
    expect(isFlowLike(fragment)).toBe(true);
    expect(fragment.nodes.map((n) => n.id)).toEqual(['llm', 'answer']);
    expect(fragment.edges.map((e) => e.id)).toEqual(['e2']);
    const pasted = pasteFragment(fragment, doc, { x: 10, y: 10 });
    expect(pasted.nodes.map((n) => n.id)).toEqual(['llm-2', 'answer-2']);
    expect(pasted.nodes[0]?.position).toEqual({ x: 310, y: 10 });
    expect(pasted.edges[0]).toMatchObject({ source: 'llm-2', target: 'answer-2', sourceHandle: 'text' });
  });

  it('saves nodes pasted from a file of an older kind version with their params as written (the runtime migrates them)', () => {
    // A runtime whose kind `rv-tone` is at version 2: v2 changed the default of `tone` from 'formal' to 'casual' (and
    // its migration writes 'formal' into v1 nodes that leave `tone` out).
    const tone: NodeSpec = {
      type: 'rv-tone',
      version: 2,
      title: 'Tone',
      category: 'data',
      description: 'test',
      inputs: [],
      outputs: [{ name: 'out', dataType: 'text' }],
      params: [{ name: 'tone', kind: 'string', default: 'casual' }],
    };
    // Copied from an old export, saved by version 1 (no typeVersion), where 'casual' was the user's choice; and a
    // node of the current version, whose default is dropped as always.
    const fragment: FlowFile = {
      format: FLOW_FORMAT,
      id: 'old',
      name: 'old',
      nodes: [
        { id: 'old', type: 'rv-tone', position: { x: 0, y: 0 }, params: { tone: 'casual' } },
        { id: 'new', type: 'rv-tone', typeVersion: 2, position: { x: 0, y: 0 }, params: { tone: 'casual' } },
      ],
      edges: [],
    };
    const empty = flowToCanvas({ format: FLOW_FORMAT, id: 'f', name: 'F', version: 1, nodes: [], edges: [] });
    const pasted = pasteFragment(fragment, { nodes: empty.nodes, edges: empty.edges }, { x: 0, y: 0 });
    const saved = canvasToFlow(empty.meta, pasted, { 'rv-tone': tone });
    // Dropping 'casual' (v2's default) from the v1 node would let the v1→v2 migration write 'formal' into it.
    expect(saved.nodes[0]).toEqual({
      id: 'old',
      type: 'rv-tone',
      position: { x: 0, y: 0 },
      params: { tone: 'casual' },
    });
    expect(saved.nodes[1]).toEqual({ id: 'new', type: 'rv-tone', typeVersion: 2, position: { x: 0, y: 0 } });
  });
});

describe('helpers', () => {
  it('makes ids and slugs', () => {
    expect(uniqueId('llm', new Set(['llm', 'llm-2']))).toBe('llm-3');
    expect(slugify('My Support Bot!')).toBe('my-support-bot');
    expect(slugify('  ')).toBe('flow');
  });
  it('slugs accented and compatibility letters to their plain letters', () => {
    expect(slugify('QA Flow №1 — ünïcode')).toBe('qa-flow-no1-unicode');
    expect(slugify('Crème Brûlée ﬁle')).toBe('creme-brulee-file');
    expect(slugify('Ärger İstanbul')).toBe('arger-istanbul');
  });
});
