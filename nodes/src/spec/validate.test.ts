import { describe, expect, it, vi } from 'vitest';
import { NodeRegistry } from '../registry.js';
import type { FlowFile } from './flow.js';
import { findCycles, validateFlow } from './validate.js';
import { MAX_VALUE_DEPTH } from './values.js';

const { lookup } = new NodeRegistry();
const at = { x: 0, y: 0 };

type EdgeTuple = [source: string, sourcePort: string, target: string, targetPort: string];

/** A flow: nodes as given, edges as `[source, sourcePort, target, targetPort]` tuples. */
function flow(nodes: FlowFile['nodes'], edges: EdgeTuple[] = []): FlowFile {
  const toEdge = ([source, sourcePort, target, targetPort]: EdgeTuple, i: number) => ({
    id: `e${i}`,
    source,
    sourcePort,
    target,
    targetPort,
  });
  return { format: 'flowloom.flow/v1', id: 'test', name: 'Test', nodes, edges: edges.map(toEdge) };
}

const chat = flow(
  [
    { id: 'q', type: 'input', position: at, params: { name: 'question' } },
    { id: 'p', type: 'prompt', position: at, params: { template: 'Q: {{question}}' } },
    { id: 'l', type: 'llm', position: at },
    { id: 'a', type: 'output', position: at },
  ],
  [
    ['q', 'value', 'p', 'question'],
    ['p', 'prompt', 'l', 'prompt'],
    ['l', 'text', 'a', 'value'],
  ],
);

describe('validateFlow', () => {
  it('accepts a well-formed chat flow', () => {
    expect(validateFlow(chat, lookup)).toEqual([]);
  });

  it('reports a param nested deeper than MAX_VALUE_DEPTH as VALUE_TOO_DEEP, alone, and never overflows', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    const nodes = [{ ...chat.nodes[1], params: { template: 'x', extra: deep } }] as FlowFile['nodes'];
    expect(validateFlow({ ...chat, nodes }, lookup)).toEqual([
      {
        nodeId: 'p',
        code: 'VALUE_TOO_DEEP',
        message: `params.extra.a.a.a.a.a.a… is nested deeper than ${MAX_VALUE_DEPTH} levels`,
        path: 'params.extra',
      },
    ]);
    // Anywhere else in the file too.
    expect(validateFlow({ ...chat, tags: [deep] }, lookup)).toMatchObject([{ nodeId: null, code: 'VALUE_TOO_DEEP' }]);
  });

  it('reports schema problems with the node they concern', () => {
    const bad = { ...chat, id: '../etc', nodes: [{ ...chat.nodes[0], position: { x: 'a' } }] };
    const problems = validateFlow(bad, lookup);
    expect(problems.some((p) => p.path === '/id')).toBe(true);
    expect(problems.find((p) => p.path?.startsWith('/nodes/0'))?.nodeId).toBe('q');
  });

  it('answers any JSON value with a problem, null included, instead of throwing', () => {
    for (const value of [null, 1, 'flow', [], true]) {
      expect(validateFlow(value, lookup), JSON.stringify(value)).toEqual([
        { nodeId: null, path: '', code: 'SCHEMA', message: 'the flow must be object' },
      ]);
    }
  });

  it('names a missing or unknown field itself, not the object that holds it', () => {
    const { format: _format, ...noFormat } = chat;
    const nodes = [{ ...chat.nodes[0], colour: 'red' }, ...chat.nodes.slice(1)];
    const problems = validateFlow({ ...noFormat, nodes }, lookup);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: '/format', message: '/format is required', nodeId: null }),
        expect.objectContaining({
          path: '/nodes/0/colour',
          message: '/nodes/0/colour is not an allowed field',
          nodeId: 'q',
        }),
      ]),
    );
    expect(validateFlow(42, lookup)).toEqual([expect.objectContaining({ message: 'the flow must be object' })]);
  });

  it('reports every graph problem at once, each tied to its node and port', () => {
    const bad = flow(
      [
        { id: 'q', type: 'input', position: at },
        { id: 'q', type: 'input', position: at },
        { id: 'x', type: 'no-such-kind', position: at },
        { id: 'p', type: 'prompt', position: at, params: { template: '{{a}} and {{b}}' } },
        { id: 'l', type: 'llm', position: at, params: { temperature: 9 } },
        { id: 'o', type: 'output', position: at },
        { id: 'n', type: 'text', position: at },
      ],
      [
        ['q', 'value', 'p', 'a'],
        ['q', 'nope', 'p', 'b'],
        ['q', 'value', 'ghost', 'in'],
        ['l', 'messages', 'p', 'a'],
        ['n', 'text', 'l', 'prompt'],
        ['q', 'value', 'l', 'prompt'],
      ],
    );
    const problems = validateFlow(bad, lookup);
    const codes = problems.map((p) => `${p.code}:${p.nodeId}:${p.port ?? ''}`);
    expect(codes).toContain('DUPLICATE_NODE_ID:q:');
    expect(codes).toContain('NODE_TYPE_UNKNOWN:x:');
    expect(codes).toContain('PORT_UNKNOWN:q:nope');
    expect(codes).toContain('EDGE_DANGLING:q:');
    expect(codes).toContain('TYPE_MISMATCH:p:a');
    expect(codes).toContain('INPUT_MULTIPLE:p:a');
    expect(codes).toContain('INPUT_MULTIPLE:l:prompt');
    expect(codes).toContain('INPUT_REQUIRED:o:value');
    expect(codes).toContain('NODE_PARAM_INVALID:l:');
    expect(problems.find((p) => p.code === 'NODE_PARAM_INVALID')?.message).toMatch(/temperature.*at most 2/);
  });

  it('reports a {{variable}} with no input', () => {
    const bad = flow([{ id: 'p', type: 'prompt', position: at, params: { template: 'Hi {{name}}' } }]);
    expect(validateFlow(bad, lookup)).toEqual([
      expect.objectContaining({ nodeId: 'p', port: 'name', code: 'TEMPLATE_VARIABLE_UNBOUND' }),
    ]);
  });

  it('allows text inputs to take numbers and documents, and any to take everything', () => {
    const ok = flow(
      [
        { id: 'n', type: 'input', position: at, params: { name: 'n', dataType: 'number' } },
        { id: 'd', type: 'input', position: at, params: { name: 'd', dataType: 'documents' } },
        { id: 'p', type: 'prompt', position: at, params: { template: '{{n}} {{d}}' } },
      ],
      [
        ['n', 'value', 'p', 'n'],
        ['d', 'value', 'p', 'd'],
      ],
    );
    expect(validateFlow(ok, lookup)).toEqual([]);
    const bad = flow(
      [
        { id: 'n', type: 'input', position: at, params: { name: 'n', dataType: 'number' } },
        { id: 'l', type: 'llm', position: at },
      ],
      [['n', 'value', 'l', 'messages']],
    );
    expect(validateFlow(bad, lookup)[0]).toMatchObject({ code: 'TYPE_MISMATCH', nodeId: 'l', port: 'messages' });
  });

  it('names the nodes on each cycle', () => {
    const cyclic = flow(
      [
        { id: 'a', type: 'json', position: at },
        { id: 'b', type: 'json', position: at },
        { id: 'c', type: 'json', position: at },
        { id: 'd', type: 'json', position: at },
      ],
      [
        ['a', 'value', 'b', 'value'],
        ['b', 'value', 'c', 'value'],
        ['c', 'value', 'a', 'value'],
        ['c', 'value', 'd', 'value'],
      ],
    );
    const problems = validateFlow(cyclic, lookup).filter((p) => p.code === 'CYCLE');
    expect(problems.map((p) => p.nodeId).sort()).toEqual(['a', 'b', 'c']);
    expect(problems[0]?.message).toContain('"a" → "b" → "c"');
  });

  it('allows several edges into one input when they come from alternative branches', () => {
    const merged = flow(
      [
        { id: 'g', type: 'condition', position: at },
        { id: 'i', type: 'input', position: at, params: { name: 'x', dataType: 'boolean' } },
        { id: 'o', type: 'output', position: at },
      ],
      [
        ['i', 'value', 'g', 'value'],
        ['g', 'true', 'o', 'value'],
        ['g', 'false', 'o', 'value'],
      ],
    );
    expect(validateFlow(merged, lookup)).toEqual([]);
  });

  it('finds cycles in long chains without overflowing the stack', () => {
    const ids = Array.from({ length: 20000 }, (_, i) => `n${i}`);
    const edges = ids.slice(1).map((id, i) => ({ source: ids[i] as string, target: id }));
    expect(findCycles(ids, edges)).toEqual([]);
    expect(findCycles(ids, [...edges, { source: 'n19999', target: 'n0' }])[0]).toHaveLength(20000);
  });

  it('finds the same cycles, in the same order, as a plain recursive Tarjan on random graphs', () => {
    // The textbook algorithm on maps, as a reference: duplicate ids, self-loops and edges to unknown ids included.
    function reference(ids: readonly string[], edges: readonly { source: string; target: string }[]): string[][] {
      const next = new Map<string, string[]>(ids.map((id) => [id, []]));
      for (const e of edges) if (next.has(e.target)) next.get(e.source)?.push(e.target);
      const index = new Map<string, number>();
      const low = new Map<string, number>();
      const stack: string[] = [];
      const cycles: string[][] = [];
      const visit = (v: string): void => {
        index.set(v, index.size);
        low.set(v, index.get(v) as number);
        stack.push(v);
        for (const w of next.get(v) ?? []) {
          if (!index.has(w)) {
            visit(w);
            low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
          } else if (stack.includes(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
        }
        if (low.get(v) !== index.get(v)) return;
        const component = stack.splice(stack.indexOf(v));
        if (component.length > 1 || edges.some((e) => e.source === v && e.target === v)) cycles.push(component);
      };
      for (const id of ids) if (!index.has(id)) visit(id);
      return cycles;
    }
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    let withCycles = 0;
    for (let graph = 0; graph < 300; graph++) {
      const size = 1 + random(12);
      const ids = Array.from({ length: size }, () => `n${random(size + 2)}`);
      const edges = Array.from({ length: random(size * 2 + 1) }, () => ({
        source: `n${random(size + 3)}`,
        target: `n${random(size + 3)}`,
      }));
      const expected = reference(ids, edges);
      if (expected.length > 0) withCycles++;
      expect(findCycles(ids, edges), JSON.stringify({ ids, edges })).toEqual(expected);
    }
    expect(withCycles).toBeGreaterThan(50);
  });
});

describe('prepareValidation', () => {
  it('importing the spec compiles nothing; the validator is compiled once, on the first call', async () => {
    vi.resetModules();
    const { Ajv2020 } = await import('ajv/dist/2020.js');
    const compile = vi.spyOn(Ajv2020.prototype, 'compile');
    try {
      const fresh = await import('./validate.js');
      expect(compile).not.toHaveBeenCalled();
      const check = fresh.prepareValidation();
      expect(fresh.prepareValidation()).toBe(check);
      expect(compile).toHaveBeenCalledTimes(1);
      // validateFlow checks with that validator: no second compile, and a malformed flow has problems.
      const bad = { format: 'flowloom.flow/v1', id: 'x', name: 'x', nodes: 'no', edges: [] };
      expect(fresh.validateFlow(bad, lookup)).not.toEqual([]);
      expect(compile).toHaveBeenCalledTimes(1);
    } finally {
      compile.mockRestore();
    }
  });
});
