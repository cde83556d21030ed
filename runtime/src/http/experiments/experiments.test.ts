import { AppError, type FlowFile } from '@flowloom/nodes';
import { type FakeOpenAI, startFakeOpenAI } from '@flowloom/test/fake-openai';
import { io as connect } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testConfig } from '../../config.js';
import {
  buildTestApp,
  chatFlow,
  echoFlow,
  experimentEnded,
  removeTempDir,
  startTestApp,
  type TestApp,
  tempDir,
} from '../../testing/fixtures.js';

// Experiments over HTTP with the real store (docs/contracts.md §7).

let fake: FakeOpenAI;
let t: TestApp;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => fake.close());
beforeEach(async () => {
  fake.reset();
  t = await startTestApp({ openai: { baseURL: fake.url, apiKey: 'test' } });
  await setUp(t);
});
afterEach(async () => t.close());

type Inject = TestApp['app']['inject'];
function send(method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown, app = t.app) {
  return (app.inject as Inject)({ method, url, payload: payload as object });
}

/** `chat` published twice: v1 prompts "Q: {{question}}", v2 (and the draft) just "{{question}}"; `echo`; a dataset. */
async function setUp(on: TestApp): Promise<void> {
  const chat = chatFlow();
  for (const flow of [echoFlow(), chat]) expect((await send('POST', '/api/flows', flow, on.app)).statusCode).toBe(201);
  expect((await send('POST', '/api/flows/chat/publish', {}, on.app)).statusCode).toBe(201);
  const v2: FlowFile = {
    ...chat,
    nodes: chat.nodes.map((node) => (node.id === 'prompt' ? { ...node, params: { template: '{{question}}' } } : node)),
  };
  expect((await send('PUT', '/api/flows/chat', v2, on.app)).statusCode).toBe(200);
  expect((await send('POST', '/api/flows/chat/publish', {}, on.app)).statusCode).toBe(201);
  expect((await send('POST', '/api/datasets', { id: 'qa', name: 'QA' }, on.app)).statusCode).toBe(201);
  const items = [
    { id: 'a', input: { question: 'ping' }, expected: 'echo: ping', split: 'test' },
    { id: 'b', input: { question: 'the cat sat on the mat' }, expected: 'echo: the cat sat on the mat', split: 'test' },
    { id: 'c', input: { question: 'hello world' }, expected: 'echo: hello world', split: 'train' },
  ];
  expect((await send('POST', '/api/datasets/qa/items', { items }, on.app)).statusCode).toBe(201);
}

const EVALUATORS = [{ type: 'exact' }, { type: 'bleu' }, { type: 'rouge', variant: 'rougeL' }];

/** Resolves with the experiment's final status, however soon it ends. */
function ended(id: string, app = t.app): Promise<string> {
  return experimentEnded(app, id);
}

async function start(body: Record<string, unknown>): Promise<string> {
  const res = await send('POST', '/api/experiments', body);
  expect(res.statusCode, res.body).toBe(202);
  expect(res.json()).toEqual({ experimentId: expect.stringMatching(/^ex_/), status: 'queued' });
  return res.json().experimentId;
}

describe('an experiment on two published versions', () => {
  it('runs every item × target as an ordinary run, keyed by item id, with a summary per target', async () => {
    const id = await start({
      name: 'v1 vs v2',
      datasetId: 'qa',
      targets: [
        { flowId: 'chat', version: 1 },
        { flowId: 'chat', version: 2 },
      ],
      evaluators: EVALUATORS,
      concurrency: 3,
    });
    expect(await ended(id)).toBe('completed');
    const experiment = (await send('GET', `/api/experiments/${id}`)).json();
    expect(experiment).toMatchObject({
      experimentId: id,
      name: 'v1 vs v2',
      status: 'completed',
      datasetId: 'qa',
      datasetRevision: 2,
      targets: [
        { flowId: 'chat', version: 1, flowVersion: 1 },
        { flowId: 'chat', version: 2, flowVersion: 2 },
      ],
      progress: { done: 6, total: 6, errors: 0 },
    });
    const [v1, v2] = experiment.summary;
    expect(v1).toMatchObject({ target: 0, done: 3, total: 3, passRate: 0, errors: 0, scores: { exact: 0 } });
    expect(v2).toMatchObject({ target: 1, passRate: 1, scores: { exact: 1, bleu: 1, rouge: 1 } });
    expect(v1.scores.rouge).toBeGreaterThan(0.5);
    expect(v1.scores.rouge).toBeLessThan(1);
    expect(v2.latencyMs.p50).toEqual(expect.any(Number));
    expect(v2.latencyMs.p95).toBeGreaterThanOrEqual(v2.latencyMs.p50);
    expect(v2.tokens).toBeGreaterThan(0);

    const results = (await send('GET', `/api/experiments/${id}/results`)).json();
    expect(results.rows.map((row: { itemId: string }) => row.itemId)).toEqual(['a', 'b', 'c']);
    const [a] = results.rows;
    expect(a).toMatchObject({ input: { question: 'ping' }, expected: 'echo: ping' });
    expect(a.cells).toEqual([
      expect.objectContaining({ target: 0, repetition: 0, status: 'done', output: 'echo: Q: ping', isPassed: false }),
      expect.objectContaining({ target: 1, repetition: 0, status: 'done', output: 'echo: ping', isPassed: true }),
    ]);
    expect(a.cells[1].scores.exact).toEqual({ score: 1, pass: true });
    // Each cell is a run in the history, and the run says which cell it was made for.
    const run = (await send('GET', `/api/runs/${a.cells[1].runId}`)).json();
    expect(run).toMatchObject({
      status: 'completed',
      flowId: 'chat',
      inputs: { question: 'ping' },
      source: 'experiment',
      experiment: { experimentId: id, itemId: 'a', target: 1, repetition: 0 },
    });
    // Monitoring and run lists tell experiment runs apart by their source.
    const listed = (await send('GET', '/api/runs?source=experiment&limit=100')).json().runs;
    expect(listed.map((r: { runId: string }) => r.runId)).toContain(a.cells[1].runId);
    const page = (await send('GET', `/api/experiments/${id}/results?limit=2`)).json();
    expect(page.rows).toHaveLength(2);
    const rest = (await send('GET', `/api/experiments/${id}/results?cursor=${page.cursor}`)).json();
    expect(rest.rows.map((row: { itemId: string }) => row.itemId)).toEqual(['c']);
    expect(rest.cursor).toBeUndefined();

    const compare = (await send('GET', `/api/experiments/${id}/compare?baseline=0&candidate=1`)).json();
    expect(compare).toMatchObject({ baseline: 0, candidate: 1, paired: 3, unpaired: 0, wins: 3, losses: 0 });
    expect(compare.meanDelta).toBeGreaterThan(0);
    expect(compare.ci95[0]).toBeLessThanOrEqual(compare.meanDelta);
    expect(compare.ci95[1]).toBeGreaterThanOrEqual(compare.meanDelta);
    expect(compare.deltas.map((d: { itemId: string }) => d.itemId)).toHaveLength(3);
    // Reversed, the largest regression comes first; the interval is seeded, so asking again answers the same.
    const reversed = (
      await send('GET', `/api/experiments/${id}/compare?baseline=1&candidate=0&evaluator=rouge`)
    ).json();
    const deltas = reversed.deltas.map((d: { delta: number }) => d.delta);
    expect(deltas).toEqual([...deltas].sort((x, y) => x - y));
    expect(reversed.evaluator).toBe('rouge');
    // Three items are too few to call any difference significant, however clear: the answer says so.
    expect(reversed).toMatchObject({ isSignificant: false, minPairs: 10, note: expect.stringContaining('only 3') });
    expect(reversed.ci95[1]).toBeLessThan(0);
    const firstPage = (await send('GET', `/api/experiments/${id}/compare?baseline=1&candidate=0&limit=2`)).json();
    expect(firstPage.deltas).toHaveLength(2);
    const lastPage = (
      await send('GET', `/api/experiments/${id}/compare?baseline=1&candidate=0&cursor=${firstPage.cursor}`)
    ).json();
    expect(lastPage.cursor).toBeUndefined();
    expect([...firstPage.deltas, ...lastPage.deltas]).toEqual(
      (await send('GET', `/api/experiments/${id}/compare?baseline=1&candidate=0`)).json().deltas,
    );
    expect((await send('GET', `/api/experiments/${id}/compare?baseline=1&candidate=0&evaluator=rouge`)).json()).toEqual(
      reversed,
    );
    const list = (await send('GET', '/api/experiments')).json();
    expect(list.experiments).toEqual([
      expect.objectContaining({ experimentId: id, status: 'completed', progress: { done: 6, total: 6, errors: 0 } }),
    ]);
  });

  it('takes a split, a draft, repetitions, and freezes the items it started with', async () => {
    const id = await start({
      datasetId: 'qa',
      split: 'test',
      targets: [{ flowId: 'echo', version: 'draft' }],
      evaluators: [{ type: 'contains', expected: 'ping' }],
      repetitions: 2,
    });
    // A change to the dataset after the start does not reach the experiment.
    await send('POST', '/api/datasets/qa/items', { items: [{ id: 'd', input: { question: 'late' }, split: 'test' }] });
    expect(await ended(id)).toBe('completed');
    const experiment = (await send('GET', `/api/experiments/${id}`)).json();
    expect(experiment).toMatchObject({ split: 'test', datasetRevision: 2, progress: { done: 4, total: 4 } });
    expect(experiment.summary[0]).toMatchObject({ passRate: 0.5, scores: { contains: 0.5 } });
    const rows = (await send('GET', `/api/experiments/${id}/results`)).json().rows;
    expect(rows.map((row: { itemId: string }) => row.itemId)).toEqual(['a', 'b']);
    expect(rows[0].cells.map((cell: { repetition: number }) => cell.repetition)).toEqual([0, 1]);
    expect(new Set(rows[0].cells.map((cell: { runId: string }) => cell.runId)).size).toBe(2);
  });

  it('freezes the items of the revision it records when the dataset changes while its items are checked', async () => {
    const { datasets } = t.app.runtime.store;
    const listItems = datasets.listItems.bind(datasets);
    let isFirst = true;
    // The first read of the items comes after another change of the dataset (a revision the check did not start at).
    datasets.listItems = async (...args) => {
      if (isFirst) {
        isFirst = false;
        await datasets.addItems('qa', [{ id: 'late', input: { question: 'late' } }], new Date().toISOString());
      }
      return listItems(...args);
    };
    const id = await start({ datasetId: 'qa', targets: [{ flowId: 'echo', version: 'draft' }], evaluators: [] });
    expect(await ended(id)).toBe('completed');
    const experiment = (await send('GET', `/api/experiments/${id}`)).json();
    expect(experiment).toMatchObject({ datasetRevision: 3, progress: { total: 4 } });
    const rows = (await send('GET', `/api/experiments/${id}/results`)).json().rows;
    expect(rows.map((row: { itemId: string }) => row.itemId)).toEqual(['a', 'b', 'c', 'late']);
  });

  it('runs an experiment larger than a page of pending cells', async () => {
    await send('POST', '/api/datasets', { id: 'big', name: 'Big' });
    const items = Array.from({ length: 300 }, (_, i) => ({
      id: `i${i}`,
      input: { question: `q${i}` },
      expected: `q${i}`,
    }));
    expect((await send('POST', '/api/datasets/big/items', { items })).statusCode).toBe(201);
    const id = await start({
      datasetId: 'big',
      targets: [{ flowId: 'echo', version: 'draft' }],
      evaluators: [{ type: 'exact' }],
      concurrency: 32,
    });
    expect(await ended(id)).toBe('completed');
    const experiment = (await send('GET', `/api/experiments/${id}`)).json();
    expect(experiment.progress).toEqual({ done: 300, total: 300, errors: 0 });
    expect(experiment.summary[0]).toMatchObject({
      done: 300,
      passRate: 1,
      scores: { exact: 1 },
      scored: { exact: 300 },
    });
    const runs = await t.app.runtime.store.listRuns({ flowId: 'echo', limit: 500 });
    expect(runs).toHaveLength(300);
  });
});

describe('bad requests start nothing', () => {
  it('answers 400 or 404 naming the field', async () => {
    const base = { datasetId: 'qa', targets: [{ flowId: 'chat', version: 1 }], evaluators: EVALUATORS };
    const cases: [Record<string, unknown>, number, string, string][] = [
      [{ ...base, evaluators: [{ type: 'vibes' }] }, 400, 'VALIDATION_FAILED', 'body.evaluators.0.type'],
      [
        { ...base, evaluators: [{ type: 'regex', pattern: '(' }] },
        400,
        'VALIDATION_FAILED',
        'body.evaluators.0.pattern',
      ],
      [
        { ...base, evaluators: [{ type: 'json_schema', schema: { type: 'nope' } }] },
        400,
        'VALIDATION_FAILED',
        'body.evaluators.0.schema',
      ],
      [
        { ...base, evaluators: [{ type: 'exact', output: 'nope' }] },
        400,
        'VALIDATION_FAILED',
        'body.evaluators.0.output',
      ],
      [{ ...base, evaluators: [{ type: 'flow', flowId: 'nope' }] }, 404, 'FLOW_NOT_FOUND', 'body.evaluators.0.flowId'],
      [{ ...base, datasetId: 'nope' }, 404, 'DATASET_NOT_FOUND', 'body.datasetId'],
      [{ ...base, split: 'nope' }, 400, 'VALIDATION_FAILED', 'body.split'],
      [
        {
          ...base,
          targets: [
            { flowId: 'chat', version: 1 },
            { flowId: 'gone', version: 'draft' },
          ],
        },
        404,
        'FLOW_NOT_FOUND',
        'body.targets.1.flowId',
      ],
      [{ ...base, targets: [{ flowId: 'chat', version: 9 }] }, 404, 'VERSION_NOT_FOUND', 'body.targets.0.version'],
      [{ ...base, concurrency: 33 }, 400, 'VALIDATION_FAILED', 'body.concurrency'],
      [{ ...base, targets: [] }, 400, 'VALIDATION_FAILED', 'body.targets'],
    ];
    for (const [body, status, code, field] of cases) {
      const res = await send('POST', '/api/experiments', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(status);
      expect(res.json().error.code, field).toBe(code);
      expect(JSON.stringify(res.json().error.details), field).toContain(field);
    }
    expect((await send('GET', '/api/experiments')).json().experiments).toEqual([]);
    expect((await send('GET', '/api/runs')).json().runs).toEqual([]);
  });

  it('lists the items that do not fit a target, or lack the expected value an evaluator compares with', async () => {
    await send('POST', '/api/datasets', { id: 'mixed', name: 'Mixed' });
    await send('POST', '/api/datasets/mixed/items', {
      items: [
        { id: 'fits', input: { question: 'ok' }, expected: 'x' },
        { id: 'wrong-name', input: { query: 'no' }, expected: 'x' },
        { id: 'no-expected', input: { question: 'fine' } },
      ],
    });
    const res = await send('POST', '/api/experiments', {
      datasetId: 'mixed',
      targets: [{ flowId: 'echo', version: 'draft' }],
      evaluators: [{ type: 'exact' }, { type: 'latency', maxMs: 1000 }],
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([
      expect.objectContaining({ field: 'items.wrong-name.input', itemId: 'wrong-name', target: 0 }),
      expect.objectContaining({ field: 'items.no-expected.expected', itemId: 'no-expected' }),
    ]);
    expect((await send('GET', '/api/experiments')).json().experiments).toEqual([]);
  });
});

describe('failures, cancel, restart and live progress', () => {
  it('leaves a cell pending through a short store outage or a run cancelled by someone else, and runs it again', async () => {
    const dataDir = tempDir('experiments-outage');
    let hung = false;
    // The model hangs on its first call for "again" (until that run is cancelled), then answers.
    const config = testConfig({
      dataDir,
      openai: { baseURL: fake.url, apiKey: 'test' },
      wrapModels: {
        llm: (inner) => ({
          chat: (request, options) => {
            if (hung || !JSON.stringify(request.messages).includes('again')) return inner.chat(request, options);
            hung = true;
            return new Promise((_, reject) =>
              options.signal.addEventListener('abort', () => reject(options.signal.reason)),
            );
          },
        }),
      },
    });
    const app = await buildTestApp(config);
    try {
      await setUp({ app, dataDir, close: async () => {} });
      await send('POST', '/api/datasets', { id: 'flaky', name: 'Flaky' }, app);
      const items = [
        { id: 'fine', input: { question: 'fine' } },
        { id: 'again', input: { question: 'again' } },
      ];
      await send('POST', '/api/datasets/flaky/items', { items }, app);
      // The store is unreachable for the first three runs the experiment starts.
      const { store } = app.runtime;
      let outages = 3;
      store.assertAvailable = () => {
        if (outages-- > 0) throw new AppError('STORE_UNAVAILABLE', 'the database is unavailable (test)');
      };
      const res = await send(
        'POST',
        '/api/experiments',
        {
          datasetId: 'flaky',
          targets: [{ flowId: 'chat', version: 'draft' }],
          evaluators: [{ type: 'latency', maxMs: 120_000 }],
          concurrency: 2,
        },
        app,
      );
      const id = res.json().experimentId;
      const results = async () => (await send('GET', `/api/experiments/${id}/results`, undefined, app)).json().rows;
      await expect.poll(async () => hung && (await results())[1].cells[0].status).toBe('running');
      const { runId } = (await results())[1].cells[0];
      expect((await send('POST', `/api/runs/${runId}/cancel`, undefined, app)).statusCode).toBe(200);
      expect(await ended(id, app)).toBe('completed');
      const experiment = (await send('GET', `/api/experiments/${id}`, undefined, app)).json();
      expect(experiment.progress).toEqual({ done: 2, total: 2, errors: 0 });
      const rows = await results();
      expect(rows[1].cells[0]).toMatchObject({ status: 'done', output: 'echo: again' });
      expect(rows[1].cells[0].runId).not.toBe(runId);
      expect(outages).toBeLessThan(0);
    } finally {
      await app.close();
      removeTempDir(dataDir);
    }
  });

  it('makes a cell whose model or judge fails an error, goes on, and counts the errors', async () => {
    await send('POST', '/api/datasets', { id: 'faulty', name: 'Faulty' });
    await send('POST', '/api/datasets/faulty/items', {
      items: [
        { id: 'fine', input: { question: 'fine' }, expected: 'echo: fine' },
        { id: 'model-fails', input: { question: 'boom [[error:500]]' }, expected: 'x' },
      ],
    });
    const id = await start({
      datasetId: 'faulty',
      targets: [
        { flowId: 'chat', version: 'draft' },
        { flowId: 'echo', version: 'draft' },
      ],
      evaluators: [{ type: 'exact' }, { type: 'llm_judge', rubric: 'Is it right?' }],
    });
    expect(await ended(id)).toBe('completed');
    const experiment = (await send('GET', `/api/experiments/${id}`)).json();
    expect(experiment.progress).toEqual({ done: 4, total: 4, errors: 2 });
    expect(experiment.summary.map((s: { errors: number }) => s.errors)).toEqual([1, 1]);
    // The failed cell counts as 0 in the summary's means, as in the comparison; `scored` says what was scored.
    const [chat] = experiment.summary;
    expect(chat.scored).toEqual({ exact: 1, llm_judge: 1 });
    const exactOfFine = (await send('GET', `/api/experiments/${id}/results`)).json().rows[0].cells[0].scores.exact
      .score;
    expect(chat.scores.exact).toBe(exactOfFine / 2);
    const compared = (await send('GET', `/api/experiments/${id}/compare?evaluator=exact`)).json();
    expect(compared.baselineMean).toBe(chat.scores.exact);
    const rows = (await send('GET', `/api/experiments/${id}/results`)).json().rows;
    // The chat flow's model fails: the run failed.
    expect(rows[1].cells[0]).toMatchObject({ status: 'error', isPassed: false, error: { code: expect.any(String) } });
    expect(rows[1].cells[0].runId).toMatch(/^r_/);
    // The echo flow passes the directive on to the judge, whose model fails: the judge's verdict is the error.
    expect(rows[1].cells[1]).toMatchObject({
      status: 'error',
      output: 'boom [[error:500]]',
      error: { message: expect.stringMatching(/^llm_judge: /) },
      scores: { exact: { score: 0 }, llm_judge: { score: null, error: expect.any(Object) } },
    });
    expect(rows[0].cells[1]).toMatchObject({ status: 'done', scores: { llm_judge: { score: expect.any(Number) } } });
    const judge = (await send('GET', `/api/runs/${rows[0].cells[1].scores.llm_judge.runId}`)).json();
    expect(judge.parentRunId).toBe(rows[0].cells[1].runId);
    // The judge's run is the experiment's too.
    expect(judge.source).toBe('experiment');
  });

  it('cancels: live runs stop, finished cells stay, and a second cancel is a 409', async () => {
    await send('POST', '/api/datasets', { id: 'slow', name: 'Slow' });
    await send('POST', '/api/datasets/slow/items', {
      items: [
        { id: 'quick', input: { question: 'quick' } },
        { id: 'stuck', input: { question: 'wait [[hang]]' } },
        { id: 'later', input: { question: 'later' } },
      ],
    });
    const id = await start({
      datasetId: 'slow',
      targets: [{ flowId: 'chat', version: 'draft' }],
      evaluators: [{ type: 'latency', maxMs: 60_000 }],
      concurrency: 2,
    });
    await expect.poll(async () => (await send('GET', `/api/experiments/${id}`)).json().progress.done).toBe(2);
    // The stuck cell's start is stored with its run before the run ends.
    const running = (await send('GET', `/api/experiments/${id}/results`)).json().rows[1].cells[0];
    expect(running).toEqual({ target: 0, repetition: 0, status: 'running', runId: expect.stringMatching(/^r_/) });
    expect((await send('GET', `/api/runs/${running.runId}`)).json()).toMatchObject({
      status: 'running',
      experiment: { experimentId: id, itemId: 'stuck' },
    });
    const cancelled = await send('POST', `/api/experiments/${id}/cancel`);
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toMatchObject({ status: 'cancelled', progress: { done: 2, total: 3 } });
    const rows = (await send('GET', `/api/experiments/${id}/results`)).json().rows;
    expect(rows.map((row: { cells: { status: string }[] }) => row.cells[0]?.status)).toEqual([
      'done',
      'pending',
      'done',
    ]);
    expect(rows[1].cells[0].runId).toBeUndefined();
    const again = await send('POST', `/api/experiments/${id}/cancel`);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('EXPERIMENT_NOT_RUNNING');
    expect((await send('POST', '/api/experiments/ex_nope/cancel')).statusCode).toBe(404);
  });

  it('sends progress and the end over socket.io to subscribers of the experiment', async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const socket = connect(`http://127.0.0.1:${port}/traces`, { transports: ['websocket'], forceNew: true });
    try {
      expect(await socket.emitWithAck('subscribe', { experimentId: 'ex_unknown' })).toMatchObject({
        ok: false,
        error: { code: 'EXPERIMENT_NOT_FOUND' },
      });
      const progress: { done: number; total: number }[] = [];
      socket.on('experiment.progress', (event) => progress.push(event));
      const completed = new Promise((resolve) => socket.on('experiment.completed', resolve));
      const id = await start({
        datasetId: 'qa',
        targets: [{ flowId: 'echo', version: 'draft' }],
        evaluators: [{ type: 'exact' }],
      });
      expect(await socket.emitWithAck('subscribe', { experimentId: id })).toEqual({ ok: true });
      expect(await completed).toEqual({
        experimentId: id,
        status: 'completed',
        progress: { done: 3, total: 3, errors: 0 },
      });
      expect(progress.at(-1)).toEqual({ experimentId: id, done: 3, total: 3, errors: 0 });
    } finally {
      socket.disconnect();
    }
  });

  it('lets a stopped runtime’s experiment go, and the next one goes on without rerunning finished cells', async () => {
    const dataDir = tempDir('experiments');
    const config = testConfig({ dataDir, openai: { baseURL: fake.url, apiKey: 'test' } });
    // The first runtime's model never answers "second" (until the run is cancelled); the next one's does.
    const stuck = testConfig({
      ...config,
      wrapModels: {
        llm: (inner) => ({
          chat: (request, options) =>
            JSON.stringify(request.messages).includes('second')
              ? new Promise((_, reject) =>
                  options.signal.addEventListener('abort', () => reject(options.signal.reason)),
                )
              : inner.chat(request, options),
        }),
      },
    });
    let app = await buildTestApp(stuck);
    try {
      await setUp({ app, dataDir, close: async () => {} });
      await send('POST', '/api/datasets', { id: 'halves', name: 'Halves' }, app);
      const items = [
        { id: 'first', input: { question: 'first' } },
        { id: 'second', input: { question: 'second' } },
      ];
      await send('POST', '/api/datasets/halves/items', { items }, app);
      const res = await send(
        'POST',
        '/api/experiments',
        {
          datasetId: 'halves',
          targets: [{ flowId: 'chat', version: 'draft' }],
          evaluators: [{ type: 'latency', maxMs: 120_000 }],
          concurrency: 2,
        },
        app,
      );
      const id = res.json().experimentId;
      const results = async () => (await send('GET', `/api/experiments/${id}/results`, undefined, app)).json().rows;
      // Finished cells are written in small batches: wait until the first one is stored.
      await expect.poll(async () => (await results())[0].cells[0].status).toBe('done');
      const firstRun = (await results())[0].cells[0].runId;
      await app.close();

      app = await buildTestApp(config);
      const stopped = (await send('GET', `/api/experiments/${id}`, undefined, app)).json();
      expect(stopped).toMatchObject({ status: 'running', progress: { done: 1, total: 2 } });
      // As a process killed before it wrote the first cell's outcome leaves it: started, with its (finished) run.
      // And its owner a process of another host name, gone (a container made anew): on SQLite, this machine's.
      const { experiments } = app.runtime.store;
      await experiments.saveCells(id, [{ seq: 1, target: 0, repetition: 0, status: 'running', runId: firstRun }]);
      expect(await experiments.claim(id, { host: 'old-container', pid: 4_194_000 }, {})).toBe(true);
      expect(await app.runtime.experiments.resume()).toEqual([id]);
      expect(await ended(id, app)).toBe('completed');
      const rows = await results();
      // The first cell took its run's outcome: it did not run again.
      expect(rows[0].cells[0]).toMatchObject({ status: 'done', runId: firstRun, scores: { latency: { pass: true } } });
      expect(rows[1].cells[0]).toMatchObject({ status: 'done', output: 'echo: second' });
      // The cancelled attempt of "second" is in the history, then the one that finished it; "first" ran once.
      const runs = (await send('GET', '/api/runs?flowId=chat', undefined, app)).json().runs;
      expect(runs.map((run: { status: string }) => run.status).sort()).toEqual(['cancelled', 'completed', 'completed']);
    } finally {
      await app.close();
      removeTempDir(dataDir);
    }
  });
});
