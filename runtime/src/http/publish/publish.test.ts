import { type FakeOpenAI, startFakeOpenAI } from '@flowloom/test/fake-openai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chatFlow, echoFlow, startTestApp, type TestApp } from '../../testing/fixtures.js';

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
  for (const flow of [echoFlow(), chatFlow()]) {
    expect((await t.app.inject({ method: 'POST', url: '/api/flows', payload: flow })).statusCode).toBe(201);
  }
  key = (await post('/api/keys', { name: 'test' })).json().key;
});
afterEach(async () => t.close());

function post(url: string, payload?: unknown, headers?: Record<string, string>) {
  return t.app.inject({ method: 'POST', url, payload: payload as object, headers });
}
function get(url: string) {
  return t.app.inject({ method: 'GET', url });
}
async function editEcho(prefix: string) {
  const flow = (await get('/api/flows/echo')).json();
  flow.nodes.splice(1, 0, {
    id: 'fmt',
    type: 'prompt',
    position: { x: 100, y: 0 },
    params: { template: `${prefix}{{question}}` },
  });
  flow.edges = [
    { id: 'e1', source: 'question', sourcePort: 'value', target: 'fmt', targetPort: 'question' },
    { id: 'e2', source: 'fmt', sourcePort: 'prompt', target: 'answer', targetPort: 'value' },
  ];
  const res = await t.app.inject({ method: 'PUT', url: '/api/flows/echo', payload: flow });
  expect(res.statusCode).toBe(200);
}
function runPublished(flowId: string, inputs: Record<string, unknown>) {
  return post(`/api/v1/flows/${flowId}/run`, { inputs }, { authorization: `Bearer ${key}` });
}

describe('POST /api/flows/:id/publish', () => {
  it('freezes the draft as version 1 and answers the endpoint', async () => {
    const res = await post('/api/flows/echo/publish', {});
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      flowId: 'echo',
      version: 1,
      flowVersion: 1,
      rollbackOf: null,
      endpoint: '/api/v1/flows/echo/run',
      chat: { model: 'echo', input: 'question', output: 'answer' },
      settings: { allowedOrigins: [], overridable: [], timeoutMs: 120000 },
    });
  });

  it('accepts a publish without a body', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/flows/echo/publish' });
    expect(res.statusCode).toBe(201);
    expect(res.json().version).toBe(1);
  });

  it('keeps serving the published version while the draft changes, until the next publish', async () => {
    await post('/api/flows/echo/publish', {});
    await editEcho('draft says: ');
    expect((await runPublished('echo', { question: 'hi' })).json().outputs).toEqual({ answer: 'hi' });
    // The draft run sees the edit...
    expect((await post('/api/flows/echo/runs', { inputs: { question: 'hi' } })).json().outputs).toEqual({
      answer: 'draft says: hi',
    });
    // ...the published endpoint only after publishing.
    const second = await post('/api/flows/echo/publish', { note: 'with prefix' });
    expect(second.json()).toMatchObject({ version: 2, flowVersion: 2, note: 'with prefix' });
    expect((await runPublished('echo', { question: 'hi' })).json().outputs).toEqual({ answer: 'draft says: hi' });
  });

  it('lists versions newest first and reads one with its frozen flow', async () => {
    await post('/api/flows/echo/publish', {});
    await editEcho('v2: ');
    await post('/api/flows/echo/publish', {});
    const list = (await get('/api/flows/echo/published')).json();
    expect(list).toMatchObject({ flowId: 'echo', latest: 2, endpoint: '/api/v1/flows/echo/run' });
    expect(list.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    const one = (await get('/api/flows/echo/published/1')).json();
    expect(one.version).toBe(1);
    expect(one.flow.nodes.map((n: { id: string }) => n.id)).toEqual(['question', 'answer']);
  });

  it('diffs two published versions, and the draft against the newest by default', async () => {
    await post('/api/flows/echo/publish', {});
    await editEcho('v2: ');
    let diff = (await get('/api/flows/echo/diff')).json();
    expect(diff).toMatchObject({ from: '1', to: 'draft', isSameBehaviour: false });
    expect(diff.nodes.added).toEqual([{ nodeId: 'fmt', type: 'prompt' }]);
    expect(diff.edges.added).toHaveLength(2);
    expect(diff.edges.removed).toHaveLength(1);
    await post('/api/flows/echo/publish', {});
    diff = (await get('/api/flows/echo/diff?from=2&to=1')).json();
    expect(diff.nodes.removed).toEqual([{ nodeId: 'fmt', type: 'prompt' }]);
    diff = (await get('/api/flows/echo/diff?from=draft:1&to=2')).json();
    expect(diff.nodes.added).toEqual([{ nodeId: 'fmt', type: 'prompt' }]);
    expect((await get('/api/flows/echo/diff?from=2&to=draft')).json().isEmpty).toBe(true);
  });

  it('lists settings that differ between two published versions of the same flow', async () => {
    await post('/api/flows/echo/publish', {});
    await post('/api/flows/echo/publish', { settings: { allowedOrigins: ['https://shop.example'], timeoutMs: 5000 } });
    const diff = (await get('/api/flows/echo/diff?from=1&to=2')).json();
    expect(diff).toMatchObject({
      isEmpty: false,
      isSameBehaviour: false,
      nodes: { added: [], removed: [], changed: [] },
    });
    expect(diff.fields).toEqual([
      { name: 'settings.allowedOrigins', change: 'changed', from: [], to: ['https://shop.example'] },
      { name: 'settings.timeoutMs', change: 'changed', from: 120000, to: 5000 },
    ]);
    expect((await get('/api/flows/echo/diff?from=2&to=2')).json().isEmpty).toBe(true);
  });

  it('rolls back by republishing an older version as the newest', async () => {
    await post('/api/flows/echo/publish', { settings: { allowedOrigins: ['https://a.example'] } });
    await editEcho('v2: ');
    await post('/api/flows/echo/publish', { settings: { allowedOrigins: ['https://b.example'] } });
    expect((await runPublished('echo', { question: 'x' })).json().outputs.answer).toBe('v2: x');
    const res = await post('/api/flows/echo/published/1/rollback', { note: 'oops' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      version: 3,
      rollbackOf: 1,
      flowVersion: 1,
      note: 'oops',
      settings: { allowedOrigins: ['https://a.example'] },
    });
    expect((await runPublished('echo', { question: 'x' })).json().outputs.answer).toBe('x');
    // The same through publish {fromVersion}.
    const again = await post('/api/flows/echo/publish', { fromVersion: 2 });
    expect(again.json()).toMatchObject({ version: 4, rollbackOf: 2 });
    expect((await runPublished('echo', { question: 'x' })).json().outputs.answer).toBe('v2: x');
    // The draft is untouched by rollbacks.
    expect((await get('/api/flows/echo')).json().version).toBe(2);
  });

  it('unpublishes: the endpoint then answers 404', async () => {
    await post('/api/flows/echo/publish', {});
    expect((await t.app.inject({ method: 'DELETE', url: '/api/flows/echo/published' })).statusCode).toBe(204);
    const res = await runPublished('echo', { question: 'x' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('FLOW_NOT_FOUND');
  });
});

describe('publishing: bad input', () => {
  it('404 for unknown flows and versions', async () => {
    expect((await post('/api/flows/nope/publish', {})).json().error.code).toBe('FLOW_NOT_FOUND');
    expect((await post('/api/flows/nope/publish', {})).statusCode).toBe(404);
    expect((await get('/api/flows/nope/published')).statusCode).toBe(404);
    expect((await get('/api/flows/echo/published/1')).statusCode).toBe(404);
    await post('/api/flows/echo/publish', {});
    const missing = await get('/api/flows/echo/published/9');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('VERSION_NOT_FOUND');
    expect((await post('/api/flows/echo/published/9/rollback', {})).json().error.code).toBe('VERSION_NOT_FOUND');
    expect((await get('/api/flows/echo/diff?from=9')).statusCode).toBe(404);
  });

  it('refuses to publish a flow with problems, listing them, and stores nothing', async () => {
    const flow = echoFlow('broken');
    flow.nodes.push({ id: 'p', type: 'prompt', position: { x: 0, y: 0 }, params: { template: '{{missing}}' } });
    expect((await post('/api/flows', flow)).statusCode).toBe(201);
    const res = await post('/api/flows/broken/publish', {});
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('FLOW_INVALID');
    expect(res.json().error.details.length).toBeGreaterThan(0);
    expect((await get('/api/flows/broken/published')).json().versions).toEqual([]);
  });

  it('400 naming the field for bad settings and unknown body fields', async () => {
    let res = await post('/api/flows/echo/publish', { settings: { allowedOrigins: ['not an origin'] } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].field).toBe('body.settings.allowedOrigins.0');
    res = await post('/api/flows/echo/publish', { colour: 'red' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].field).toBe('body.colour');
    res = await post('/api/flows/echo/publish', { settings: { overridable: ['answer.nope'] } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0]).toMatchObject({ param: 'answer.nope' });
    res = await get('/api/flows/echo/diff?from=latest');
    expect(res.statusCode).toBe(400);
    expect((await get('/api/flows/echo/published')).json().versions).toEqual([]);
  });
});
