import { describe, expect, it } from 'vitest';
import { defineNode } from './define.js';
import { migrateFlow } from './migrations.js';
import { BUILTIN_KINDS, NodeRegistry } from './registry.js';
import type { FlowFile, FlowNode } from './spec/index.js';
import { validateFlow } from './spec/index.js';

/** Version 3: v2 renamed `size` to `limit`, v3 changed the default of `mode` from "fast" to "exact". */
const sized = defineNode({
  spec: {
    type: 'test-sized',
    version: 3,
    title: 'Sized',
    category: 'data',
    description: 'Has a renamed param and a changed default.',
    inputs: [],
    outputs: [{ name: 'out', dataType: 'any' }],
    params: [
      { name: 'limit', kind: 'number', default: 10 },
      { name: 'mode', kind: 'select', options: ['fast', 'exact'], default: 'exact' },
    ],
  },
  migrations: {
    2: ({ size, ...rest }) => (size === undefined ? rest : { ...rest, limit: size }),
    3: (params) => ({ mode: 'fast', ...params }),
  },
  execute: async ({ params }) => ({ out: params }),
});
const registry = new NodeRegistry([...BUILTIN_KINDS, sized]);
const at = { x: 0, y: 0 };

function flowOf(nodes: FlowNode[]): FlowFile {
  return { format: 'flowloom.flow/v1', id: 'f', name: 'F', nodes, edges: [] };
}

describe('migrateFlow', () => {
  it('runs each migration from the saved version up, and records the current version on every node', () => {
    const flow = flowOf([
      { id: 'old', type: 'test-sized', position: at, params: { size: 3 } },
      { id: 'v2', type: 'test-sized', typeVersion: 2, position: at },
      { id: 'now', type: 'test-sized', typeVersion: 3, position: at, params: { mode: 'exact' } },
      { id: 'q', type: 'input', position: at },
    ]);
    const copy = structuredClone(flow);
    const { flow: migrated, migrated: report } = migrateFlow(flow, registry);
    expect(migrated.nodes).toEqual([
      { id: 'old', type: 'test-sized', typeVersion: 3, position: at, params: { limit: 3, mode: 'fast' } },
      { id: 'v2', type: 'test-sized', typeVersion: 3, position: at, params: { mode: 'fast' } },
      { id: 'now', type: 'test-sized', typeVersion: 3, position: at, params: { mode: 'exact' } },
      { id: 'q', type: 'input', typeVersion: 1, position: at },
    ]);
    expect(report).toEqual([
      { nodeId: 'old', type: 'test-sized', from: 1, to: 3 },
      { nodeId: 'v2', type: 'test-sized', from: 2, to: 3 },
    ]);
    expect(flow).toEqual(copy);
    // Migrated once, stable after: a second pass changes nothing.
    expect(migrateFlow(migrated, registry)).toEqual({ flow: migrated, migrated: [] });
  });

  it('leaves unknown kinds, newer versions and malformed input alone; validation names the newer node', () => {
    const newer: FlowNode = { id: 'future', type: 'test-sized', typeVersion: 4, position: at, params: { x: 1 } };
    const unknown: FlowNode = { id: 'u', type: 'no-such-kind', typeVersion: 9, position: at };
    const flow = flowOf([newer, unknown]);
    expect(migrateFlow(flow, registry)).toEqual({ flow, migrated: [] });
    expect(migrateFlow(42 as unknown as FlowFile, registry)).toEqual({ flow: 42, migrated: [] });
    expect(validateFlow(flow, registry.lookup)).toEqual([
      {
        nodeId: 'future',
        code: 'NODE_TYPE_VERSION_UNSUPPORTED',
        message: 'node "future" was saved by version 4 of kind "test-sized", newer than version 3 here',
      },
      { nodeId: 'u', code: 'NODE_TYPE_UNKNOWN', message: 'unknown node kind "no-such-kind"' },
    ]);
  });
});

describe('NodeRegistry', () => {
  it('refuses a kind version below 1 and migrations to versions the kind does not have', () => {
    const kind = (
      version: number,
      migrations?: Record<number, (p: Record<string, unknown>) => Record<string, unknown>>,
    ) => defineNode({ ...sized, spec: { ...sized.spec, version }, migrations });
    expect(() => new NodeRegistry([kind(0)])).toThrow('has version 0');
    expect(() => new NodeRegistry([kind(2, { 3: (p) => p })])).toThrow('has a migration to version 3');
    expect(() => new NodeRegistry([kind(2, { 1: (p) => p })])).toThrow('has a migration to version 1');
    expect(new NodeRegistry([kind(2, { 2: (p) => p })]).lookup('test-sized')?.version).toBe(2);
  });

  it('serves every built-in kind at version 1 in the catalog', () => {
    expect(new NodeRegistry().catalog().map((spec) => spec.version)).toEqual(BUILTIN_KINDS.map(() => 1));
  });
});
