import { readFileSync } from 'node:fs';
import type { FlowFile } from '@flowloom/nodes';
import { type FakeOpenAI, startFakeOpenAI } from '@flowloom/test/fake-openai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chatFlow, echoFlow, parseSse, startTestApp, type TestApp } from '../../testing/fixtures.js';

let fake: FakeOpenAI;
let t: TestApp;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => fake.close());
beforeEach(async () => {
  fake.reset();
  t = await startTestApp({ openai: { baseURL: fake.url, apiKey: 'test' } });
  for (const flow of [echoFlow(), chatFlow(), agentFlow()]) {
    expect((await t.app.inject({ method: 'POST', url: '/api/flows', payload: flow })).statusCode).toBe(201);
    // Published with no allowed origins: only a browser key's own origins may call from a page.
    expect((await post(`/api/flows/${flow.id}/publish`, {})).statusCode).toBe(201);
  }
});
afterEach(async () => t.close());

const SHOP = 'https://shop.example';

/** The repository's support agent: a function-calling model with two code tools. */
function agentFlow(): FlowFile {
  const file = new URL('../../../../flows/support-agent.flow.json', import.meta.url);
  return { ...(JSON.parse(readFileSync(file, 'utf8')) as FlowFile), id: 'agent' };
}

function post(url: string, payload?: unknown, headers?: Record<string, string>) {
  return t.app.inject({ method: 'POST', url, payload: payload as object, headers });
}
async function runCount(): Promise<number> {
  return (await t.app.runtime.store.listRuns({ limit: 500 })).length;
}
async function browserKey(flowId = 'chat', origins = [SHOP]): Promise<{ id: string; key: string }> {
  const res = await post('/api/keys', { name: 'widget', kind: 'browser', flows: [flowId], origins });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}
const ask = (content: string) => ({ model: 'chat', messages: [{ role: 'user', content }] });

describe('browser keys', () => {
  it('are made for one flow and its origins, start flk_pub_, and say so in lists', async () => {
    const created = await post('/api/keys', { name: 'widget', kind: 'browser', flows: ['chat'], origins: [SHOP] });
    expect(created.statusCode).toBe(201);
    const body = created.json();
    expect(body).toMatchObject({ kind: 'browser', origins: [SHOP], flows: ['chat'] });
    expect(body.key).toMatch(/^flk_pub_[0-9a-f]{12}_/);
    const listed = (await t.app.inject({ method: 'GET', url: '/api/keys' })).json().keys[0];
    expect(listed).toMatchObject({ kind: 'browser', origins: [SHOP], preview: `flk_pub_${body.id}_…` });
    // Secret keys are as before.
    const secret = (await post('/api/keys', { name: 'server' })).json();
    expect(secret).toMatchObject({ kind: 'secret', origins: [] });
    expect(secret.key).toMatch(/^flk_[0-9a-f]{12}_/);
  });

  it('refuses a browser key without exactly one flow or without origins, and origins on a secret key', async () => {
    const fieldsOf = async (payload: Record<string, unknown>) => {
      const res = await post('/api/keys', { name: 'x', ...payload });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_FAILED');
      return res.json().error.details.map((d: { field: string }) => d.field);
    };
    expect(await fieldsOf({ kind: 'browser', origins: [SHOP] })).toEqual(['body.flows']);
    expect(await fieldsOf({ kind: 'browser', flows: ['chat', 'echo'], origins: [SHOP] })).toEqual(['body.flows']);
    expect(await fieldsOf({ kind: 'browser', flows: ['chat'] })).toEqual(['body.origins']);
    expect(await fieldsOf({ kind: 'secret', origins: [SHOP] })).toEqual(['body.origins']);
    expect(await fieldsOf({ kind: 'browser', flows: ['chat'], origins: ['shop.example/'] })).toEqual([
      'body.origins.0',
    ]);
    expect(await fieldsOf({ kind: 'public', flows: ['chat'] })).toEqual(['body.kind']);
    // Nothing stored.
    expect((await t.app.inject({ method: 'GET', url: '/api/keys' })).json().keys).toEqual([]);
  });

  it('take each origin exactly as a browser sends it, naming the one that is not (case, default port, user)', async () => {
    for (const typed of [
      'https://Shop.example',
      'https://shop.example:443',
      'http://shop.example:80',
      'https://user:pw@shop.example',
      'https://user@shop.example',
      `https://${'a'.repeat(300)}.example`,
    ]) {
      const res = await post('/api/keys', { name: 'w', kind: 'browser', flows: ['chat'], origins: [SHOP, typed] });
      expect(res.statusCode, typed).toBe(400);
      expect(res.json().error.details.map((d: { field: string }) => d.field)).toEqual(['body.origins.1']);
    }
    expect((await t.app.inject({ method: 'GET', url: '/api/keys' })).json().keys).toEqual([]);
    // What browsers send is taken, a non-default port included, and works from that page.
    const { key } = await browserKey('chat', [SHOP, 'http://localhost:8080']);
    const res = await post('/api/v1/chat/completions', ask('hi'), {
      authorization: `Bearer ${key}`,
      origin: 'http://localhost:8080',
    });
    expect(res.statusCode, res.body).toBe(200);
  });

  it('run their one flow from a page on their origins, with CORS, though the version allows no origin', async () => {
    const { key } = await browserKey();
    const preflight = await t.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/chat/completions',
      headers: { origin: SHOP, 'access-control-request-method': 'POST' },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(SHOP);
    const runPreflight = await t.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/flows/chat/run',
      headers: { origin: SHOP, 'access-control-request-method': 'POST' },
    });
    expect(runPreflight.headers['access-control-allow-origin']).toBe(SHOP);

    const headers = { authorization: `Bearer ${key}`, origin: SHOP };
    const answer = await post('/api/v1/chat/completions', ask('hello'), headers);
    expect(answer.statusCode, answer.body).toBe(200);
    expect(answer.headers['access-control-allow-origin']).toBe(SHOP);
    expect(answer.json().choices[0].message.content).toContain('hello');
    const run = await post('/api/v1/flows/chat/run', { inputs: { question: 'hi' } }, headers);
    expect(run.statusCode).toBe(200);
    expect(run.json().status).toBe('completed');
  });

  it('refuse servers (no Origin), other origins and other flows with 403, running nothing', async () => {
    const { key } = await browserKey();
    await browserKey('echo', ['https://other.example']);
    const before = await runCount();
    const auth = { authorization: `Bearer ${key}` };
    const refused = [
      await post('/api/v1/chat/completions', ask('x'), auth),
      await post('/api/v1/chat/completions', ask('x'), { ...auth, origin: 'https://evil.example' }),
      await post('/api/v1/flows/echo/run', { inputs: { question: 'x' } }, { ...auth, origin: SHOP }),
    ];
    expect(refused.map((res) => [res.statusCode, res.json().error.code])).toEqual([
      [403, 'FORBIDDEN'],
      [403, 'FORBIDDEN'],
      [403, 'FORBIDDEN'],
    ]);
    // The evil origin cannot even read the refusal.
    expect(refused[1]?.headers['access-control-allow-origin']).toBeUndefined();
    expect(await runCount()).toBe(before);
    // Another flow's browser key does not open this flow to its origin.
    const other = await t.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/flows/chat/run',
      headers: { origin: 'https://other.example', 'access-control-request-method': 'POST' },
    });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('are recorded as used only by requests from their origins', async () => {
    const { id, key } = await browserKey();
    const lastUsed = async () =>
      (await t.app.inject({ method: 'GET', url: '/api/keys' })).json().keys.find((k: { id: string }) => k.id === id)
        .lastUsedAt;
    const auth = { authorization: `Bearer ${key}` };
    for (const headers of [auth, { ...auth, origin: 'https://evil.example' }]) {
      expect((await post('/api/v1/chat/completions', ask('x'), headers)).statusCode).toBe(403);
    }
    await t.app.runtime.keys.flush();
    expect(await lastUsed()).toBeNull();
    expect((await post('/api/v1/chat/completions', ask('x'), { ...auth, origin: SHOP })).statusCode).toBe(200);
    expect(await lastUsed()).toEqual(expect.any(String));
  });

  it('let their page read the model and retrieve its responses; a secret key never gets their origins', async () => {
    const { key } = await browserKey();
    const page = { authorization: `Bearer ${key}`, origin: SHOP };
    const get = (url: string, headers: Record<string, string>) => t.app.inject({ method: 'GET', url, headers });
    const model = await get('/api/v1/models/chat', page);
    expect([model.statusCode, model.headers['access-control-allow-origin']]).toEqual([200, SHOP]);
    const made = await post('/api/v1/responses', { model: 'chat', input: 'hi' }, page);
    expect(made.statusCode, made.body).toBe(200);
    const url = `/api/v1/responses/${made.json().id}`;
    const preflight = await t.app.inject({
      method: 'OPTIONS',
      url,
      headers: { origin: SHOP, 'access-control-request-method': 'GET' },
    });
    expect(preflight.headers['access-control-allow-origin']).toBe(SHOP);
    const retrieved = await get(url, page);
    expect([retrieved.statusCode, retrieved.headers['access-control-allow-origin']]).toEqual([200, SHOP]);

    // A secret key (the version allows no origin) sent from that page: nothing readable there.
    const secret = (await post('/api/keys', { name: 'server' })).json().key;
    const server = { authorization: `Bearer ${secret}`, origin: SHOP };
    const serverModel = await get('/api/v1/models/chat', server);
    expect(serverModel.headers['access-control-allow-origin']).toBeUndefined();
    const response = await post(
      '/api/v1/responses',
      { model: 'chat', input: 'hi' },
      { authorization: `Bearer ${secret}` },
    );
    expect(response.statusCode).toBe(200);
    const serverRetrieve = await get(`/api/v1/responses/${response.json().id}`, server);
    expect([serverRetrieve.statusCode, serverRetrieve.headers['access-control-allow-origin']]).toEqual([
      403,
      undefined,
    ]);
    const runId = response.json().id.replace(/^resp_/, '');
    const rated = await post(`/api/v1/runs/${runId}/feedback`, { score: 1 }, server);
    expect([rated.statusCode, rated.headers['access-control-allow-origin']]).toEqual([403, undefined]);
    const unknown = await post('/api/v1/runs/r_000000000000000000000000/feedback', { score: 1 }, server);
    expect(unknown.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('stop at once when revoked, preflights included', async () => {
    const { id, key } = await browserKey();
    expect((await t.app.inject({ method: 'DELETE', url: `/api/keys/${id}` })).statusCode).toBe(200);
    const res = await post('/api/v1/chat/completions', ask('x'), { authorization: `Bearer ${key}`, origin: SHOP });
    expect(res.statusCode).toBe(401);
    const preflight = await t.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/chat/completions',
      headers: { origin: SHOP, 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('the tools a chat answer used', () => {
  it('are named in the answer and in the streamed chunk before the end (flowloom.tools)', async () => {
    const { key } = (await post('/api/keys', { name: 'server' })).json();
    const headers = { authorization: `Bearer ${key}` };
    const question = 'Where is A1001? [[tool:order_status {"orderId":"A1001"}]] [[tool:refund_policy]]';
    const plain = await post(
      '/api/v1/chat/completions',
      { model: 'agent', messages: [{ role: 'user', content: question }] },
      headers,
    );
    expect(plain.statusCode, plain.body).toBe(200);
    expect(plain.json().flowloom).toEqual({ tools: ['order_status', 'refund_policy'] });

    const streamed = await post(
      '/api/v1/chat/completions',
      { model: 'agent', stream: true, messages: [{ role: 'user', content: question }] },
      headers,
    );
    const chunks = parseSse(streamed.body.replace('data: [DONE]\n\n', '')) as {
      flowloom?: unknown;
      choices?: { finish_reason: string | null }[];
    }[];
    const named = chunks.findIndex((c) => c.flowloom !== undefined);
    expect(chunks[named]?.flowloom).toEqual({ tools: ['order_status', 'refund_policy'] });
    expect(chunks[named + 1]?.choices?.[0]?.finish_reason).toBe('stop');

    // An answer that used no tool says nothing of tools.
    const none = await post('/api/v1/chat/completions', ask('hello'), headers);
    expect(none.json()).not.toHaveProperty('flowloom');
  });
});
