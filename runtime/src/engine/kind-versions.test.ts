import { readFileSync } from 'node:fs';
import { AppError, type FlowFile, migrateFlow, type NodeServices, validateFlow } from '@flowloom/nodes';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../store/store.js';
import { removeTempDir, tempDir } from '../testing/fixtures.js';
import { testRegistry } from '../testing/kinds.js';
import { startRun } from './run-flow.js';

// A flow saved by version 1 of `test-greet` (now version 2: `greeting` renamed `salutation`, default "Hello" changed to
// "Hi") loads, migrates, validates and runs as it did when it was saved.

const registry = testRegistry();
const services: NodeServices = {
  llm: {
    chat: async () => {
      throw new AppError('PROVIDER_NOT_CONFIGURED', 'no model');
    },
  },
};
const fixture = new URL('../testing/flows/greet-v1.flow.json', import.meta.url);
const readFixture = () => JSON.parse(readFileSync(fixture, 'utf8')) as FlowFile;
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) removeTempDir(dir);
});

async function outputsOf(flow: FlowFile): Promise<unknown> {
  const result = await startRun(flow, { registry, services, inputs: { name: 'Ada' } }).result;
  expect(result.status).toBe('completed');
  return result.outputs;
}

describe('a flow file of an older kind version', () => {
  it('migrates (renamed param, old default written in), validates and runs with the old behaviour', async () => {
    const { flow, migrated } = migrateFlow(readFixture(), registry);
    expect(migrated).toEqual([
      { nodeId: 'default', type: 'test-greet', from: 1, to: 2 },
      { nodeId: 'custom', type: 'test-greet', from: 1, to: 2 },
    ]);
    expect(flow.nodes.filter((n) => n.type === 'test-greet')).toEqual([
      expect.objectContaining({ id: 'default', typeVersion: 2, params: { salutation: 'Hello' } }),
      expect.objectContaining({ id: 'custom', typeVersion: 2, params: { salutation: 'Howdy' } }),
    ]);
    expect(validateFlow(flow, registry.lookup)).toEqual([]);
    expect(await outputsOf(flow)).toEqual({ plain: 'Hello, Ada', fancy: 'Howdy, Ada' });
  });

  it('a node added at the current version gets the current default', async () => {
    const { flow } = migrateFlow(readFixture(), registry);
    flow.nodes = flow.nodes.map((n) =>
      n.id === 'default' ? { id: n.id, type: n.type, typeVersion: 2, position: n.position } : n,
    );
    expect(await outputsOf(flow)).toEqual({ plain: 'Hi, Ada', fancy: 'Howdy, Ada' });
  });

  it('is stored migrated, with every node’s kind version, and an old stored row is migrated when read', async () => {
    const dir = tempDir('kind-versions');
    dirs.push(dir);
    const store = SqliteStore.open(dir, { registry, writer: 'inline' });
    try {
      const stored = (await store.createFlow(readFixture())).flow;
      expect(stored.nodes.map((n) => [n.id, n.typeVersion])).toEqual([
        ['name', 1],
        ['default', 2],
        ['custom', 2],
        ['plain', 1],
        ['fancy', 1],
      ]);
      expect(await store.getFlowText('greet-v1')).toContain('"typeVersion": 2');
      // A row written before the kind's version 2 (as an older runtime left it) is upgraded on the way out.
      store.db.prepare('UPDATE flows SET json = ? WHERE id = ?').run(JSON.stringify(readFixture()), 'greet-v1');
      expect((await store.getFlow('greet-v1'))?.flow.nodes.find((n) => n.id === 'default')).toMatchObject({
        typeVersion: 2,
        params: { salutation: 'Hello' },
      });
    } finally {
      await store.close();
    }
  });

  it('a node saved by a newer kind version than the runtime has is a validation problem, and does not run', () => {
    const flow = readFixture();
    flow.nodes = flow.nodes.map((n) => (n.id === 'custom' ? { ...n, typeVersion: 3 } : n));
    const { flow: migrated } = migrateFlow(flow, registry);
    expect(migrated.nodes.find((n) => n.id === 'custom')).toEqual(flow.nodes.find((n) => n.id === 'custom'));
    expect(validateFlow(migrated, registry.lookup)).toContainEqual({
      nodeId: 'custom',
      code: 'NODE_TYPE_VERSION_UNSUPPORTED',
      message: 'node "custom" was saved by version 3 of kind "test-greet", newer than version 2 here',
    });
    expect(() => startRun(migrated, { registry, services, inputs: { name: 'Ada' } })).toThrow(
      expect.objectContaining({ code: 'FLOW_INVALID' }),
    );
  });
});
