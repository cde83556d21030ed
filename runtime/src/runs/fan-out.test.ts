import { defineNode } from '@flowloom/nodes';
import { afterEach, describe, expect, it } from 'vitest';
import { flowOf, startTestApp, type TestApp } from '../testing/fixtures.js';

// One request must not fan out without bound: a root run and every run under it (map, subflow, tool-flow) share one
// budget of node executions (FLOWLOOM_MAX_NODE_RUNS) and one deadline (the root's time limit).

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function save(app: TestApp['app'], flow: unknown) {
  const res = await app.inject({ method: 'POST', url: '/api/flows', payload: flow as object });
  expect(res.statusCode, res.body).toBe(201);
}

/** leaf: item → out (2 nodes). fan: items → map(leaf) → out. outer: lists → map(fan) → out. */
async function saveNestedMaps(app: TestApp['app'], leafCode = 'return inputs.input;', leafTimeoutMs = 1_000) {
  await save(
    app,
    flowOf(
      'leaf',
      [
        ['item', 'input', { name: 'item', dataType: 'json' }],
        ['work', 'code', { code: leafCode, timeoutMs: leafTimeoutMs }],
        ['out', 'output', { name: 'out' }],
      ],
      ['item.value→work.input', 'work.result→out.value'],
    ),
  );
  for (const [id, inner] of [
    ['fan', 'leaf'],
    ['outer', 'fan'],
  ]) {
    await save(
      app,
      flowOf(
        id as string,
        [
          ['item', 'input', { name: 'item', dataType: 'json' }],
          ['map', 'map', { flowId: inner, concurrency: 4 }],
          ['out', 'output', { name: 'out' }],
        ],
        ['item.value→map.items', 'map.results→out.value'],
      ),
    );
  }
}

const lists = (outer: number, inner: number) =>
  Array.from({ length: outer }, (_, i) => Array.from({ length: inner }, (_, j) => i * inner + j));

describe('node executions of a run tree', () => {
  it('nested maps stop at FLOWLOOM_MAX_NODE_RUNS with RUN_NODE_LIMIT naming it; no child run starts past it', async () => {
    t = await startTestApp({ maxNodeRuns: 40 });
    await saveNestedMaps(t.app);
    // 20 × 50 = 1,000 leaf runs of 3 nodes without a limit.
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/flows/outer/runs',
      payload: { inputs: { item: lists(20, 50) } },
    });
    const answer = res.json();
    expect(answer.status).toBe('failed');
    expect(answer.error.code).toBe('RUN_NODE_LIMIT');
    expect(answer.error.message).toContain('FLOWLOOM_MAX_NODE_RUNS');
    const runs = await t.app.runtime.store.listRuns({ limit: 1_000 });
    // Each run executes at least one node, so the tree holds at most 40 runs; none is left running.
    expect(runs.length).toBeLessThanOrEqual(40);
    expect(runs.filter((run) => run.status === 'running')).toEqual([]);
    expect(t.app.runtime.runs.liveRuns()).toEqual([]);
  });

  it('the budget is per root run: the same tree within the limit completes, twice', async () => {
    t = await startTestApp({ maxNodeRuns: 40 });
    await saveNestedMaps(t.app);
    // outer (3) + 2 fan (3 each) + 4 leaf (3 each) = 21 node executions.
    for (let i = 0; i < 2; i++) {
      const answer = (
        await t.app.inject({ method: 'POST', url: '/api/flows/outer/runs', payload: { inputs: { item: lists(2, 2) } } })
      ).json();
      expect(answer.status).toBe('completed');
      expect(answer.outputs.out).toHaveLength(2);
    }
  });

  it('the default is 10,000 and the setting is read from the environment', async () => {
    const { configFromEnv } = await import('../config.js');
    expect(configFromEnv({}).maxNodeRuns).toBeUndefined();
    expect(configFromEnv({ FLOWLOOM_MAX_NODE_RUNS: '500' }).maxNodeRuns).toBe(500);
    expect(() => configFromEnv({ FLOWLOOM_MAX_NODE_RUNS: '0' })).toThrow(/FLOWLOOM_MAX_NODE_RUNS/);
    const { DEFAULT_MAX_NODE_RUNS } = await import('./run-service.js');
    expect(DEFAULT_MAX_NODE_RUNS).toBe(10_000);
  });
});

/** Blocks the event loop for `ms` (a timer cannot fire meanwhile), then passes its input on. */
const blockKind = defineNode({
  spec: {
    type: 'test-block',
    version: 1,
    title: 'Block',
    category: 'data',
    description: 'Spins on the main thread.',
    inputs: [{ name: 'in', dataType: 'any' }],
    outputs: [{ name: 'out', dataType: 'any' }],
    params: [{ name: 'ms', kind: 'number', default: 10 }],
  },
  async execute({ inputs, params }) {
    const end = Date.now() + params.ms;
    while (Date.now() < end);
    return { out: inputs.in };
  },
});

describe('the time limit of a run tree', () => {
  it('holds when its timer is late: past the deadline no node executes and no child run starts', async () => {
    t = await startTestApp();
    t.app.runtime.registry.register(blockKind);
    await saveNestedMaps(t.app);
    await save(
      t.app,
      flowOf(
        'slow-fan',
        [
          ['item', 'input', { name: 'item', dataType: 'json' }],
          ['block', 'test-block', { ms: 400 }],
          ['map', 'map', { flowId: 'leaf' }],
          ['out', 'output', { name: 'out' }],
        ],
        ['item.value→block.in', 'block.out→map.items', 'map.results→out.value'],
      ),
    );
    const started = t.app.runtime.runs.start((await t.app.runtime.runs.savedFlow('slow-fan')).flow, {
      inputs: { item: [1, 2, 3, 4] },
      timeoutMs: 200,
      timeoutMessage: 'the tree took longer than 200 ms',
    });
    const root = await started.done;
    expect(root).toMatchObject({
      status: 'cancelled',
      error: { code: 'RUN_TIMEOUT', message: 'the tree took longer than 200 ms' },
    });
    // The map never ran: without one deadline for the tree it would have started its child runs before the late
    // timer cancelled the root.
    expect(await t.app.runtime.store.listRuns({ flowId: 'leaf' })).toEqual([]);
    const events = (await t.app.runtime.runs.get(root.runId))?.events ?? [];
    expect(events.some((event) => event.type === 'node.completed' && event.nodeId === 'map')).toBe(false);
    expect(events.at(-1)?.type).toBe('run.cancelled');
  });

  it('covers every child run: cancelling the root at its limit ends every child with RUN_TIMEOUT', async () => {
    t = await startTestApp();
    // Each leaf spins 200 ms in the sandbox; 40 items at 4 at a time would take about 2 s.
    await saveNestedMaps(t.app, 'const end = Date.now() + 200; while (Date.now() < end); return inputs.input;', 5_000);
    const started = await t.app.runtime.runs.startSaved('fan', {
      inputs: { item: Array.from({ length: 40 }, (_, i) => i) },
      timeoutMs: 500,
      timeoutMessage: 'the tree took longer than 500 ms',
    });
    const root = await started.done;
    expect(root).toMatchObject({ status: 'cancelled', error: { code: 'RUN_TIMEOUT' } });
    const children = await t.app.runtime.store.listRuns({ flowId: 'leaf', limit: 100 });
    expect(children.length).toBeLessThan(40);
    for (const child of children) expect(child.status).not.toBe('running');
  });
});
