import { join } from 'node:path';
import { AppError, BUILTIN_KINDS, defineNode, type FlowFile, NodeRegistry } from '@flowloom/nodes';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { RunService } from '../runs/run-service.js';
import { DB_FILE, SqliteStore } from '../store/store.js';
import { flowOf, removeTempDir, tempDir } from '../testing/fixtures.js';
import { greet, TEST_KINDS, testRegistry } from '../testing/kinds.js';
import { PublishedService } from './versions.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) removeTempDir(dir);
});

describe('PublishedService.recordRun', () => {
  it('writes the published_runs row in the same commit as the run row', async () => {
    const dir = tempDir('published');
    dirs.push(dir);
    const store = SqliteStore.open(dir, { flushDelayMs: 60_000, writer: 'inline' });
    const published = new PublishedService(store, new NodeRegistry());
    store.insertRun({
      runId: 'r_same',
      flowId: 'echo',
      flowVersion: 1,
      status: 'running',
      inputs: {},
      startedAt: new Date().toISOString(),
    });
    published.recordRun('r_same', 'echo', 1, 'abcdefabcdef', 'run');
    const count = (table: string) => (store.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    // Queued, not yet written: both wait for the group commit.
    expect([count('runs'), count('published_runs')]).toEqual([0, 0]);
    await store.flush();
    expect([count('runs'), count('published_runs')]).toEqual([1, 1]);
    await store.close();
  });

  it('keeps queued published_runs rows when the group commit fails (database locked), instead of crashing', async () => {
    const dir = tempDir('published');
    dirs.push(dir);
    const errors: unknown[] = [];
    const store = SqliteStore.open(dir, {
      flushDelayMs: 0,
      writer: 'inline',
      busyTimeoutMs: 0,
      onError: (err) => errors.push(err),
    });
    const published = new PublishedService(store, new NodeRegistry());
    const other = new Database(join(dir, DB_FILE));
    other.exec('BEGIN IMMEDIATE');
    published.recordRun('r_locked', 'echo', 1, 'abcdefabcdef', 'run');
    // The write on the next tick fails: reported, not thrown out of setImmediate (an uncaught exception).
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toHaveLength(1);
    other.exec('COMMIT');
    other.close();
    await store.flush();
    const rows = store.db.prepare('SELECT runId, flowId, version, keyId, endpoint FROM published_runs').all();
    expect(rows).toEqual([{ runId: 'r_locked', flowId: 'echo', version: 1, keyId: 'abcdefabcdef', endpoint: 'run' }]);
    await store.close();
  });
});

describe('publishing freezes full params', () => {
  /** name → test-greet (default salutation) → text. */
  const greetFlow: FlowFile = {
    format: 'flowloom.flow/v1',
    id: 'greet',
    name: 'Greet',
    nodes: [
      { id: 'name', type: 'input', position: { x: 0, y: 0 }, params: { name: 'name' } },
      { id: 'greet', type: 'test-greet', typeVersion: 2, position: { x: 260, y: 0 } },
      { id: 'text', type: 'output', position: { x: 520, y: 0 }, params: { name: 'text' } },
    ],
    edges: [
      { id: 'e1', source: 'name', sourcePort: 'value', target: 'greet', targetPort: 'name' },
      { id: 'e2', source: 'greet', sourcePort: 'text', target: 'text', targetPort: 'value' },
    ],
  };
  const services = {
    llm: {
      chat: async () => {
        throw new AppError('PROVIDER_NOT_CONFIGURED', 'no model');
      },
    },
  };

  it('a published version keeps the default it was published with; the draft takes the kind’s new one', async () => {
    const dir = tempDir('published');
    dirs.push(dir);
    const registry = testRegistry();
    const store = SqliteStore.open(dir, { registry, flushDelayMs: 0, writer: 'inline' });
    await store.createFlow(greetFlow);
    const version = await new PublishedService(store, registry).publish('greet');
    // Every param written in, with the kind version: nothing left for a default to decide later.
    expect(version.flow.nodes.find((n) => n.id === 'greet')).toMatchObject({
      typeVersion: 2,
      params: { salutation: 'Hi' },
    });

    // The next release changes the kind's default (without a new version: exactly what must not reach an endpoint).
    const changed = defineNode({
      ...greet,
      spec: { ...greet.spec, params: [{ name: 'salutation', kind: 'string', default: 'Hey' }] },
    });
    const next = new NodeRegistry([...BUILTIN_KINDS, ...TEST_KINDS.filter((k) => k !== greet), changed]);
    const published = new PublishedService(store, next);
    const runs = new RunService({ store, registry: next, services });
    const latest = await published.latest('greet');
    if (!latest) throw new Error('not published');
    const frozen = await runs.start(latest.flow, { inputs: { name: 'Ada' } }).done;
    const draft = await (await runs.startSaved('greet', { inputs: { name: 'Ada' } })).done;
    expect(frozen.outputs).toEqual({ text: 'Hi, Ada' });
    expect(draft.outputs).toEqual({ text: 'Hey, Ada' });
    await store.close();
  });
});

describe('settings.overridable across versions', () => {
  const inner = flowOf(
    'inner',
    [
      ['q', 'input', { name: 'question', dataType: 'text' }],
      ['out', 'output', { name: 'answer' }],
    ],
    ['q.value→out.value'],
  );
  const outer = flowOf(
    'outer',
    [
      ['q', 'input', { name: 'question', dataType: 'text' }],
      ['sub', 'subflow', { flowId: 'inner', inputNames: ['question'], outputNames: ['answer'] }],
      ['out', 'output', { name: 'answer' }],
    ],
    ['q.value→sub.question', 'sub.answer→out.value'],
  );

  it('drops inherited entries the flow no longer allows, and refuses them only when the request gives them', async () => {
    const dir = tempDir('published');
    dirs.push(dir);
    const registry = new NodeRegistry();
    const store = SqliteStore.open(dir, { registry, writer: 'inline' });
    await store.createFlow(inner);
    await store.createFlow(outer);
    // A version stored with entries no publish accepts today: a flow param, and a node the draft no longer has.
    await store.published.insertNext({
      flowId: 'outer',
      version: 1,
      json: JSON.stringify(outer),
      bundle: JSON.stringify([{ flowId: 'inner', flowVersion: 1, flow: inner }]),
      flowVersion: 1,
      rollbackOf: null,
      note: null,
      settings: JSON.stringify({
        allowedOrigins: [],
        timeoutMs: 120_000,
        overridable: ['sub.flowId', 'gone.x', 'q.name'],
      }),
      publishedAt: new Date().toISOString(),
    });
    const published = new PublishedService(store, registry);
    expect((await published.publish('outer', { settings: { timeoutMs: 5000 } })).settings).toEqual({
      allowedOrigins: [],
      timeoutMs: 5000,
      overridable: ['q.name'],
    });
    expect((await published.publish('outer', { fromVersion: 1 })).settings.overridable).toEqual(['q.name']);
    await expect(published.publish('outer', { settings: { overridable: ['sub.flowId', 'q.name'] } })).rejects.toEqual(
      expect.objectContaining({
        code: 'VALIDATION_FAILED',
        details: [expect.objectContaining({ field: 'body.settings.overridable', param: 'sub.flowId' })],
      }),
    );
    await store.close();
  });
});

describe('the cache of newest versions', () => {
  it('holds published flows only: asking for flows that were never published (request input) does not grow it', async () => {
    const dir = tempDir('published');
    dirs.push(dir);
    const registry = new NodeRegistry();
    const store = SqliteStore.open(dir, { registry, writer: 'inline' });
    const echo = flowOf(
      'echo',
      [
        ['q', 'input', { name: 'question', dataType: 'text' }],
        ['out', 'output', { name: 'answer' }],
      ],
      ['q.value→out.value'],
    );
    await store.createFlow(echo);
    const published = new PublishedService(store, registry);
    await published.publish('echo');
    expect((await published.latest('echo'))?.version).toBe(1);
    for (let i = 0; i < 500; i++) expect(await published.latest(`guessed-${i}`)).toBeUndefined();
    expect(published.cachedCount).toBe(1);
    // A flow published after it was asked for is found (nothing remembered its absence).
    await store.createFlow({ ...echo, id: 'guessed-7' });
    await published.publish('guessed-7');
    expect((await published.latest('guessed-7'))?.version).toBe(1);
    expect(published.cachedCount).toBe(2);
    await store.close();
  });
});
