import { type FakeOpenAI, startFakeOpenAI } from '@flowloom/test/fake-openai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { percentile } from '../../monitoring/metrics.js';
import { chatFlow, experimentEnded, startTestApp, type TestApp } from '../../testing/fixtures.js';

// Monitoring (docs/contracts.md §7): every run records its source, `GET /api/metrics` buckets them, and the run
// history filters on source, version, feedback and input text.

let fake: FakeOpenAI;
let t: TestApp;
let key: string;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => fake.close());
beforeEach(async () => {
  fake.reset();
  t = await startTestApp({ openai: { baseURL: fake.url, apiKey: 'test' } });
  expect((await post('/api/flows', chatFlow())).statusCode).toBe(201);
  expect((await post('/api/flows/chat/publish', {})).statusCode).toBe(201);
  key = (await post('/api/keys', { name: 'k' })).json().key;
});
afterEach(async () => t.close());

function post(url: string, payload: unknown, headers: Record<string, string> = {}) {
  return t.app.inject({ method: 'POST', url, payload: payload as object, headers });
}
async function get(url: string) {
  return t.app.inject({ method: 'GET', url });
}
const auth = () => ({ authorization: `Bearer ${key}` });

/** One run from each face: editor, published endpoint, chat completions, the widget, the Responses API. */
async function runFromEveryFace(): Promise<Record<string, string>> {
  const editor = await post('/api/flows/chat/runs', { inputs: { question: 'from the editor' } });
  const api = await post('/api/v1/flows/chat/run', { inputs: { question: 'order A1001 please' } }, auth());
  const openai = await post(
    '/api/v1/chat/completions',
    { model: 'chat', messages: [{ role: 'user', content: '[[error:400]] broken' }] },
    auth(),
  );
  const widget = await post(
    '/api/v1/chat/completions',
    { model: 'chat', messages: [{ role: 'user', content: 'from the widget' }], stream: true },
    { ...auth(), 'x-flowloom-client': 'widget' },
  );
  const responses = await post('/api/v1/responses', { model: 'chat', input: 'from responses' }, auth());
  return {
    editor: editor.json().runId,
    api: api.json().runId,
    openai: openai.headers['x-run-id'] as string,
    widget: widget.headers['x-run-id'] as string,
    responses: (responses.json().id as string).replace('resp_', ''),
  };
}

describe('run sources', () => {
  it('records where each run came from', async () => {
    const ids = await runFromEveryFace();
    const sourceOf = async (runId: string) => (await t.app.runtime.store.getRun(runId))?.source;
    expect(await sourceOf(ids.editor as string)).toBe('editor');
    expect(await sourceOf(ids.api as string)).toBe('api');
    expect(await sourceOf(ids.openai as string)).toBe('openai');
    expect(await sourceOf(ids.widget as string)).toBe('widget');
    expect(await sourceOf(ids.responses as string)).toBe('openai');
    // A streamed run knows its time to first token.
    expect((await t.app.runtime.store.getRun(ids.widget as string))?.ttftMs).toBeGreaterThan(0);
  });
});

describe('GET /api/metrics', () => {
  it('counts runs, failures, latency, tokens, cost and feedback per bucket, production apart from the editor', async () => {
    const ids = await runFromEveryFace();
    expect((await post(`/api/runs/${ids.api}/feedback`, { score: 1 })).statusCode).toBe(201);
    expect((await post(`/api/runs/${ids.widget}/feedback`, { score: -0.5 })).statusCode).toBe(201);
    const all = await get('/api/metrics?flowId=chat&bucket=1h');
    expect(all.statusCode).toBe(200);
    const body = all.json();
    expect(body.bucket).toBe('1h');
    expect(body.buckets.length).toBeGreaterThanOrEqual(24);
    expect(body.totals).toMatchObject({ runs: 5, failed: 1, feedback: { count: 2, mean: 0.25 }, evals: {} });
    expect(body.totals.latencyMs.p50).toBeGreaterThan(0);
    expect(body.totals.latencyMs.p99).toBeGreaterThanOrEqual(body.totals.latencyMs.p95);
    expect(body.totals.ttftMs.p50).toBeGreaterThan(0);
    expect(body.totals.tokens).toBeGreaterThan(0);
    // The runs are in the last bucket (or the last two, when an hour began while they ran).
    const counts = body.buckets.map((b: { runs: number }) => b.runs);
    expect(counts.slice(-2).reduce((a: number, b: number) => a + b, 0)).toBe(5);
    expect(counts.slice(0, -2).every((runs: number) => runs === 0)).toBe(true);

    const production = (await get('/api/metrics?flowId=chat&source=production')).json();
    expect(production.totals).toMatchObject({ runs: 4, failed: 1 });
    expect((await get('/api/metrics?flowId=chat&source=editor')).json().totals.runs).toBe(1);
    expect((await get('/api/metrics?flowId=chat&source=widget,api')).json().totals.runs).toBe(2);
    expect((await get('/api/metrics?flowId=chat&version=1')).json().totals.runs).toBe(4);
    expect((await get('/api/metrics?flowId=chat&version=2')).json().totals.runs).toBe(0);
    const node = (await get('/api/metrics?flowId=chat&nodeId=llm&bucket=15m')).json();
    expect(node.totals).toMatchObject({ runs: 5, failed: 1 });
    expect(node.totals.tokens).toBeGreaterThan(0);
  });

  it("gives the evaluators' scores of experiment runs: each one's mean and count, per bucket and in total", async () => {
    await runFromEveryFace();
    expect((await post('/api/datasets', { id: 'qa', name: 'QA' })).statusCode).toBe(201);
    const items = [
      { id: 'a', input: { question: 'ping' }, expected: 'echo: Q: ping' },
      { id: 'b', input: { question: 'pong' }, expected: 'nope' },
      // Its run fails: the cell has no scores, and counts for none.
      { id: 'c', input: { question: 'fails [[error:400]]' }, expected: 'x' },
    ];
    expect((await post('/api/datasets/qa/items', { items })).statusCode).toBe(201);
    const started = await post('/api/experiments', {
      datasetId: 'qa',
      targets: [{ flowId: 'chat', version: 'draft' }],
      evaluators: [{ type: 'exact' }, { type: 'contains', expected: 'echo' }],
    });
    expect(started.statusCode, started.body).toBe(202);
    expect(await experimentEnded(t.app, started.json().experimentId)).toBe('completed');

    const body = (await get('/api/metrics?flowId=chat&bucket=1h')).json();
    expect(body.totals).toMatchObject({
      runs: 8,
      evals: { contains: 1, exact: 0.5 },
      evalCounts: { contains: 2, exact: 2 },
    });
    expect(Object.keys(body.totals.evals)).toEqual(['contains', 'exact']);
    // The buckets add up to the totals.
    const scored = body.buckets.reduce(
      (sum: number, b: { evalCounts: { exact?: number } }) => sum + (b.evalCounts.exact ?? 0),
      0,
    );
    expect(scored).toBe(2);
    for (const b of body.buckets) expect(Object.keys(b.evals)).toEqual(Object.keys(b.evalCounts));
    // Experiment runs have their source; other sources have no evaluation scores.
    const experiment = (await get('/api/metrics?flowId=chat&source=experiment')).json().totals;
    expect(experiment).toMatchObject({ runs: 3, evals: { contains: 1, exact: 0.5 } });
    const production = (await get('/api/metrics?flowId=chat&source=production')).json().totals;
    expect([production.runs, production.evals, production.evalCounts]).toEqual([4, {}, {}]);
    expect((await get('/api/metrics?flowId=chat&nodeId=llm')).json().totals.evalCounts).toEqual({});
  });

  it('refuses bad ranges and sources with a 400 naming the field', async () => {
    const bad = async (query: string, field: string) => {
      const res = await get(`/api/metrics?${query}`);
      expect(res.statusCode, query).toBe(400);
      expect(JSON.stringify(res.json().error.details), query).toContain(field);
    };
    await bad('source=everything', 'source');
    await bad('bucket=2h', 'bucket');
    await bad('from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', 'query.from');
    await bad('from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z&bucket=1m', 'query.bucket');
    await bad('from=yesterday', 'from');
  });
});

describe('GET /api/runs filters', () => {
  it('filters the history by source, version, feedback and input text, showing each run source and version', async () => {
    const ids = await runFromEveryFace();
    await post(`/api/runs/${ids.api}/feedback`, { score: 1 });
    const list = async (query: string) =>
      ((await get(`/api/runs?${query}`)).json().runs as { runId: string }[]).map((r) => r.runId);
    expect(await list('source=editor')).toEqual([ids.editor]);
    expect((await list('source=production')).sort()).toEqual([ids.api, ids.openai, ids.widget, ids.responses].sort());
    expect(await list('feedback=positive')).toEqual([ids.api]);
    expect(await list('q=ORDER%20a1001')).toEqual([ids.api]);
    expect((await list('version=1')).length).toBe(4);
    const [run] = (await get(`/api/runs?q=a1001`)).json().runs;
    expect(run).toMatchObject({ source: 'api', publishedVersion: 1, feedback: { count: 1, mean: 1 } });
    expect((await get('/api/runs?feedback=great')).statusCode).toBe(400);
  });
});

describe('percentile', () => {
  it('is the nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 0.5)).toBe(50);
    expect(percentile(values, 0.95)).toBe(95);
    expect(percentile(values, 0.99)).toBe(99);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([], 0.5)).toBeNull();
  });
});
