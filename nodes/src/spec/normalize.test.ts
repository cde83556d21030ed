import { describe, expect, it } from 'vitest';
import { NodeRegistry } from '../registry.js';
import type { FlowFile } from './flow.js';
import { isDeepEqual, normalizeFlow } from './normalize.js';

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
