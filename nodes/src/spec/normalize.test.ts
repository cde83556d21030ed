import { describe, expect, it } from 'vitest';
import { defineNode } from '../define.js';
import { migrateFlow } from '../migrations.js';
import { NodeRegistry } from '../registry.js';
import type { FlowFile } from './flow.js';
import { fillDefaults, isDeepEqual, normalizeFlow } from './normalize.js';

const { lookup } = new NodeRegistry();
const at = { x: 0, y: 0 };

describe('isDeepEqual', () => {
  it('compares objects whatever their key order, arrays in order', () => {
    expect(isDeepEqual({ a: 1, b: { c: [1, { d: 2, e: 3 }] } }, { b: { c: [1, { e: 3, d: 2 }] }, a: 1 })).toBe(true);
    expect(isDeepEqual([1, 2], [2, 1])).toBe(false);
    expect(isDeepEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(isDeepEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(isDeepEqual({ a: undefined }, { b: undefined })).toBe(true);
    expect(isDeepEqual([], {})).toBe(false);
    expect(isDeepEqual(null, {})).toBe(false);
    expect(isDeepEqual('1', 1)).toBe(false);
  });
});

describe('normalizeFlow', () => {
  const flow: FlowFile = {
    format: 'flowloom.flow/v1',
    id: 'tools',
    name: 'Tools',
    version: 4,
    nodes: [
      {
        id: 'tool',
        type: 'tool-code',
        position: at,
        // The kind's default schema, keys in another order: still the default.
        params: { parameters: { additionalProperties: false, properties: {}, type: 'object' }, name: 'lookup' },
      },
      { id: 'llm', type: 'llm', position: at, params: { temperature: 0.7, model: 'gpt-4o-mini', system: undefined } },
      { id: 'x', type: 'no-such-kind', position: at, params: { a: 1, b: undefined } },
      { id: 'y', type: 'no-such-kind', position: at, params: {} },
    ],
    edges: [],
  };

  it('drops params equal to their default (in any key order), undefined ones and empty params; unknown kinds keep theirs', () => {
    expect(normalizeFlow(flow, lookup).nodes).toEqual([
      { id: 'tool', type: 'tool-code', position: at, params: { name: 'lookup' } },
      { id: 'llm', type: 'llm', position: at },
      { id: 'x', type: 'no-such-kind', position: at, params: { a: 1 } },
      { id: 'y', type: 'no-such-kind', position: at },
    ]);
  });

  it('keeps everything else as it is, the input untouched', () => {
    const copy = structuredClone(flow);
    expect(normalizeFlow(flow, lookup)).toMatchObject({ id: 'tools', name: 'Tools', version: 4, edges: [] });
    expect(flow).toEqual(copy);
  });
});

// A kind whose version 2 changed a default ('formal' -> 'casual'), with the migration the rule asks for: nodes saved
// by version 1 that relied on the old default get it written in.
const tone = defineNode({
  spec: {
    type: 'rv-tone',
    version: 2,
    title: 'Tone',
    category: 'data',
    description: 'test',
    inputs: [],
    outputs: [{ name: 'out', dataType: 'text' }],
    params: [{ name: 'tone', kind: 'string', default: 'casual' }],
  },
  migrations: { 2: (p) => ({ ...p, tone: p.tone ?? 'formal' }) },
  async execute({ params }) {
    return { out: String(params.tone) };
  },
});
const toneRegistry = new NodeRegistry([tone]);

const flowWith = (node: Record<string, unknown>): FlowFile =>
  ({
    format: 'flowloom.flow/v1',
    id: 'f',
    name: 'f',
    nodes: [{ id: 'n', type: 'rv-tone', position: at, ...node }],
    edges: [],
  }) as unknown as FlowFile;

/** The tone a runtime runs a saved flow with: its nodes migrated, then the defaults applied. */
const toneOf = (flow: FlowFile) =>
  fillDefaults(migrateFlow(flow, toneRegistry).flow, toneRegistry.lookup).nodes[0]?.params?.tone;

describe('normalizeFlow and kind versions', () => {
  it('keeps a v1 node’s explicit choice that happens to equal the v2 default (editor paste of an old fragment)', () => {
    // Saved by version 1: the user chose 'casual' (not v1's default, so the file keeps it).
    const v1 = flowWith({ params: { tone: 'casual' } });
    expect(toneOf(v1)).toBe('casual');
    // The editor's canvasToFlow normalizes before the server migrates (a pasted fragment keeps typeVersion absent = 1).
    const fromEditor = normalizeFlow(v1, toneRegistry.lookup);
    expect(fromEditor.nodes[0]?.params).toEqual({ tone: 'casual' });
    expect(toneOf(fromEditor)).toBe('casual');
  });

  it('keeps params of a node saved by a newer kind version than this one', () => {
    // typeVersion 3 (newer than this runtime's kind): its params were written for version 3's defaults.
    const v3 = flowWith({ typeVersion: 3, params: { tone: 'casual' } });
    expect(normalizeFlow(v3, toneRegistry.lookup).nodes[0]?.params).toEqual({ tone: 'casual' });
  });

  it('still drops the defaults of a node at the kind’s version', () => {
    const v2 = flowWith({ typeVersion: 2, params: { tone: 'casual' } });
    expect(normalizeFlow(v2, toneRegistry.lookup).nodes[0]).not.toHaveProperty('params');
  });
});

describe('fillDefaults', () => {
  it('writes every default and the kind version into a node at the kind’s version (absent params too)', () => {
    expect(fillDefaults(flowWith({ typeVersion: 2 }), toneRegistry.lookup).nodes[0]).toMatchObject({
      typeVersion: 2,
      params: { tone: 'casual' },
    });
  });

  it('leaves a node of another version as it is: its params were written for that version’s defaults', () => {
    // Older (not migrated yet) or newer than the kind: stamping the kind's version would make it lie about both.
    for (const node of [{ params: { x: 1 } }, { typeVersion: 1 }, { typeVersion: 3, params: { tone: 'formal' } }]) {
      const flow = flowWith(node);
      expect(fillDefaults(flow, toneRegistry.lookup).nodes[0]).toEqual(flow.nodes[0]);
    }
  });
});
