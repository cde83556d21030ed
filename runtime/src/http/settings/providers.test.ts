import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FlowFile } from '@flowloom/nodes';
import { type FakeOpenAI, startFakeOpenAI } from '@flowloom/test/fake-openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ModelProviders, ProviderServices } from '../../providers/model-providers.js';
import { chatFlow, startTestApp, storedRows, type TestApp } from '../../testing/fixtures.js';

// Named model providers (Settings): OpenAI or any OpenAI-compatible server, several at once; llm nodes pick one.

const KEY_A = 'sk-provider-aaaaaaaaaaaa1111';
const KEY_B = 'sk-provider-bbbbbbbbbbbb2222';
let fakeA: FakeOpenAI;
let fakeB: FakeOpenAI;
let t: TestApp | undefined;
beforeAll(async () => {
  // Each fake answers only its own key: a call that reaches one with the other's key fails.
  [fakeA, fakeB] = await Promise.all([startFakeOpenAI({ apiKey: KEY_A }), startFakeOpenAI({ apiKey: KEY_B })]);
});
afterAll(async () => Promise.all([fakeA.close(), fakeB.close()]));
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const inject = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
  (t as TestApp).app.inject({ method, url, payload: payload as string });

/** question → prompt → llm (with `provider` when given) → answer. */
function flowWith(id: string, provider?: string): FlowFile {
  const flow = chatFlow(id);
  const llm = flow.nodes.find((n) => n.id === 'llm');
  if (llm && provider !== undefined) llm.params = { ...llm.params, provider };
  return flow;
}
async function runOf(flow: FlowFile) {
  await inject('DELETE', `/api/flows/${flow.id}`);
  expect((await inject('POST', '/api/flows', flow)).statusCode).toBe(201);
  return (await inject('POST', `/api/flows/${flow.id}/runs`, { inputs: { question: 'hi' } })).json();
}

describe('/api/settings/providers', () => {
  it('adds several providers, answers keys only masked, stores them encrypted, changes and removes them', async () => {
    t = await startTestApp();
    expect((await inject('GET', '/api/settings/providers')).json()).toEqual({
      providers: [],
      default: { source: 'none', provider: null, baseURL: null },
    });
    const openai = await inject('POST', '/api/settings/providers', { name: 'OpenAI', apiKey: KEY_A });
    expect(openai.statusCode).toBe(201);
    expect(openai.json()).toMatchObject({
      id: 'openai',
      name: 'OpenAI',
      kind: 'openai',
      baseURL: null,
      apiKey: { isSet: true, preview: 'sk-…1111' },
    });
    const local = await inject('POST', '/api/settings/providers', {
      name: 'Local Llama (dev)',
      baseURL: fakeB.url,
      apiKey: KEY_B,
    });
    expect(local.json()).toMatchObject({ id: 'local-llama-dev', kind: 'compatible', baseURL: fakeB.url });
    const list = await inject('GET', '/api/settings/providers');
    expect(list.json().providers.map((p: { id: string }) => p.id)).toEqual(['openai', 'local-llama-dev']);
    expect(list.json().default).toEqual({ source: 'providers', provider: 'openai', baseURL: null });
    for (const body of [openai.body, local.body, list.body]) {
      expect(body).not.toContain(KEY_A);
      expect(body).not.toContain(KEY_B);
    }
    const rows = await storedRows(t.app, {
      sqlite: "SELECT value FROM settings WHERE name = 'providers'",
      postgres: "SELECT value FROM settings WHERE name = 'providers'",
    });
    expect(JSON.stringify(rows)).not.toContain(KEY_B);
    if (t.app.runtime.store.kind === 'sqlite')
      expect(readFileSync(join(t.dataDir, 'flowloom.db')).includes(Buffer.from(KEY_B))).toBe(false);

    // Changes: a name, a key cleared; absent fields stay.
    const renamed = await inject('PATCH', '/api/settings/providers/local-llama-dev', { name: 'Llama', apiKey: null });
    expect(renamed.json()).toMatchObject({ id: 'local-llama-dev', name: 'Llama', baseURL: fakeB.url });
    expect(renamed.json().apiKey).toEqual({ isSet: false, preview: null });
    expect((await inject('DELETE', '/api/settings/providers/openai')).statusCode).toBe(204);
    expect((await inject('GET', '/api/settings/providers')).json().providers).toHaveLength(1);
  });

  it('refuses bad input naming the field, a taken id, and unknown providers', async () => {
    t = await startTestApp();
    const bad = await inject('POST', '/api/settings/providers', { name: '', baseURL: 'ftp://x', extra: 1 });
    expect(bad.statusCode).toBe(400);
    expect([...new Set(bad.json().error.details.map((d: { field: string }) => d.field))].sort()).toEqual([
      'body.baseURL',
      'body.extra',
      'body.name',
    ]);
    await inject('POST', '/api/settings/providers', { name: 'Ollama', baseURL: fakeB.url });
    const taken = await inject('POST', '/api/settings/providers', { name: 'ollama', baseURL: fakeA.url });
    expect([taken.statusCode, taken.json().error.code, taken.json().error.details[0].field]).toEqual([
      409,
      'CONFLICT',
      'body.name',
    ]);
    for (const res of [
      await inject('PATCH', '/api/settings/providers/nope', { name: 'x' }),
      await inject('DELETE', '/api/settings/providers/nope'),
      await inject('GET', '/api/settings/providers/nope/models'),
    ])
      expect([res.statusCode, res.json().error.code]).toEqual([404, 'PROVIDER_NOT_FOUND']);
    expect((await inject('GET', '/api/settings/providers')).json().providers).toHaveLength(1);
  });

  it('concurrent changes all land: creates racing each other and a key change keep every provider and the new key', async () => {
    t = await startTestApp();
    await inject('POST', '/api/settings/providers', { name: 'b', baseURL: fakeB.url, apiKey: 'sk-old-key-0000' });
    // Two processes sharing the store (api roles behind a balancer), each with its own view of the providers.
    const { store, providerSettings } = t.app.runtime;
    const [one, two] = [1, 2].map(() => new ModelProviders(store.settings, providerSettings.box));
    const names = ['p1', 'p2', 'p3', 'p4', 'p5'];
    const made = await Promise.all([
      ...names.map((name, i) => ((i % 2 ? one : two) as ModelProviders).create({ name, baseURL: fakeA.url })),
      (one as ModelProviders).update('b', { apiKey: KEY_B }),
    ]);
    expect(made.map((p) => p.id)).toEqual([...names, 'b']);
    const listed = (await inject('GET', '/api/settings/providers')).json().providers;
    expect(listed.map((p: { id: string }) => p.id).sort()).toEqual(['b', ...names]);
    // No create wrote back the list it read before the key change: b has the new key.
    expect(listed.find((p: { id: string }) => p.id === 'b').apiKey.preview).toBe('sk-…2222');
    // Over HTTP too; refused changes write nothing (the check runs inside the transaction).
    const answers = await Promise.all([
      ...['q1', 'q2', 'p1'].map((name) => inject('POST', '/api/settings/providers', { name })),
      inject('DELETE', '/api/settings/providers/p2'),
    ]);
    expect(answers.map((a) => a.statusCode)).toEqual([201, 201, 409, 204]);
    const after = (await inject('GET', '/api/settings/providers')).json().providers.map((p: { id: string }) => p.id);
    expect(after.sort()).toEqual(['b', 'p1', 'p3', 'p4', 'p5', 'q1', 'q2']);
  });

  it('reserves the id "default" (the models route reads it as the default provider): "Default" gets another id', async () => {
    t = await startTestApp();
    const named = await inject('POST', '/api/settings/providers', {
      name: 'Default',
      baseURL: fakeB.url,
      apiKey: KEY_B,
    });
    expect([named.statusCode, named.json().id]).toEqual([201, 'default-provider']);
    const given = await inject('POST', '/api/settings/providers', { id: 'default', name: 'x', baseURL: fakeB.url });
    expect([given.statusCode, given.json().error.details[0].field]).toEqual([400, 'body.id']);
    // `default` still means the default one (here the first of the list), not a provider of that id.
    const models = await inject('GET', '/api/settings/providers/default/models');
    expect(models.statusCode, models.body).toBe(200);
    expect((await inject('GET', '/api/settings/providers')).json().providers.map((p: { id: string }) => p.id)).toEqual([
      'default-provider',
    ]);
  });

  it('lists a provider’s models from its server, with its key; a server that is down is a 502', async () => {
    t = await startTestApp();
    await inject('POST', '/api/settings/providers', { name: 'b', baseURL: fakeB.url, apiKey: KEY_B });
    await inject('POST', '/api/settings/providers', { name: 'down', baseURL: 'http://127.0.0.1:9/v1' });
    const models = await inject('GET', '/api/settings/providers/b/models');
    expect(models.statusCode, models.body).toBe(200);
    expect(models.json().models).toContain('gpt-4o-mini');
    const down = await inject('GET', '/api/settings/providers/down/models');
    expect(down.statusCode).toBe(502);
    expect(down.json().error.code).toMatch(/^PROVIDER_/);
    // `default`: the provider of nodes that name none (here the first of the list).
    expect((await inject('GET', '/api/settings/providers/default/models')).json().models).toContain('gpt-4o-mini');
  });

  it('sends each llm node to the provider it names, the others to the default, and fails on an unknown one', async () => {
    t = await startTestApp();
    await inject('POST', '/api/settings/providers', { name: 'a', baseURL: fakeA.url, apiKey: KEY_A });
    await inject('POST', '/api/settings/providers', { name: 'b', baseURL: fakeB.url, apiKey: KEY_B });
    const [beforeA, beforeB] = [fakeA.requests.length, fakeB.requests.length];

    expect(await runOf(flowWith('to-b', 'b'))).toMatchObject({
      status: 'completed',
      outputs: { answer: 'echo: Q: hi' },
    });
    expect(fakeB.requests.length).toBe(beforeB + 1);
    expect(fakeB.requests.at(-1)?.headers.authorization).toBe(`Bearer ${KEY_B}`);
    expect(fakeA.requests.length).toBe(beforeA);

    // No provider named: the default, here the first of the list.
    expect((await runOf(flowWith('to-default'))).status).toBe('completed');
    expect(fakeA.requests.length).toBe(beforeA + 1);

    const unknown = await runOf(flowWith('to-nowhere', 'gone'));
    expect(unknown.status).toBe('failed');
    expect(unknown.error.code).toBe('PROVIDER_NOT_FOUND');

    // A change applies at the next call: b's key replaced by a wrong one, b's server refuses it.
    await inject('PATCH', '/api/settings/providers/b', { apiKey: 'sk-wrong' });
    expect((await runOf(flowWith('to-b-2', 'b'))).status).toBe('failed');
  });

  it('a process that shares the store (a worker) uses a provider as changed by another (the api)', async () => {
    t = await startTestApp();
    await inject('POST', '/api/settings/providers', { name: 'b', baseURL: fakeB.url, apiKey: 'sk-old' });
    // The worker's own view of the providers: nothing it holds hears of changes made through the app.
    const { store, providerSettings } = t.app.runtime;
    const worker = new ProviderServices(new ModelProviders(store.settings, providerSettings.box), undefined);
    const ask = async () =>
      (await worker.service('b')).chat(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
        { signal: new AbortController().signal },
      );
    // The server refuses the old key (it answers only KEY_B).
    await expect(ask()).rejects.toMatchObject({ code: expect.stringMatching(/^PROVIDER_/) });

    // The api process replaces the key: the worker's next call sends the new one (its cached client is rebuilt).
    expect((await inject('PATCH', '/api/settings/providers/b', { apiKey: KEY_B })).statusCode).toBe(200);
    expect((await ask()).message.content).toBe('echo: hi');
    expect(fakeB.requests.at(-1)?.headers.authorization).toBe(`Bearer ${KEY_B}`);

    // Removed there: PROVIDER_NOT_FOUND here, not the old client.
    expect((await inject('DELETE', '/api/settings/providers/b')).statusCode).toBe(204);
    await expect(ask()).rejects.toMatchObject({ code: 'PROVIDER_NOT_FOUND' });
  });
});
