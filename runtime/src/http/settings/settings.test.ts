import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type FakeOpenAI, startFakeOpenAI } from '@flowloom/test/fake-openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProviderSettings, settingsLlm } from '../../providers/provider-settings.js';
import { SECRET_KEY_FILE, SecretBox } from '../../providers/secrets.js';
import { chatFlow, startTestApp, storedRows, type TestApp } from '../../testing/fixtures.js';

const SECRET = 'sk-provider-0123456789abcdef';
let fake: FakeOpenAI;
let t: TestApp | undefined;
beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKey: SECRET });
});
afterAll(async () => fake.close());
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('/api/settings/provider', () => {
  it('stores the key encrypted, answers it only masked, and model calls use it when the env sets none', async () => {
    t = await startTestApp();
    const initial = (await t.app.inject({ method: 'GET', url: '/api/settings/provider' })).json();
    expect(initial).toMatchObject({ source: 'none', baseURL: null, apiKey: { isSet: false } });
    await t.app.inject({ method: 'POST', url: '/api/flows', payload: chatFlow() });
    const before = await t.app.inject({
      method: 'POST',
      url: '/api/flows/chat/runs',
      payload: { inputs: { question: 'hi' } },
    });
    expect(before.json().error.code).toBe('PROVIDER_NOT_CONFIGURED');

    const put = await t.app.inject({
      method: 'PUT',
      url: '/api/settings/provider',
      payload: { baseURL: fake.url, apiKey: SECRET },
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({
      source: 'settings',
      baseURL: fake.url,
      apiKey: { isSet: true, preview: 'sk-…cdef' },
    });
    expect(put.body).not.toContain(SECRET);
    const get = await t.app.inject({ method: 'GET', url: '/api/settings/provider' });
    expect(get.body).not.toContain(SECRET);
    const rows = await storedRows(t.app, {
      sqlite: "SELECT value FROM settings WHERE name = 'provider'",
      postgres: "SELECT value FROM settings WHERE name = 'provider'",
    });
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(SECRET);
    if (t.app.runtime.store.kind === 'sqlite') {
      expect(readFileSync(join(t.dataDir, 'flowloom.db')).includes(Buffer.from(SECRET))).toBe(false);
    }
    expect(statSync(join(t.dataDir, SECRET_KEY_FILE)).mode & 0o777).toBe(0o600);

    const run = await t.app.inject({
      method: 'POST',
      url: '/api/flows/chat/runs',
      payload: { inputs: { question: 'hi' } },
    });
    expect(run.json()).toMatchObject({ status: 'completed', outputs: { answer: 'echo: Q: hi' } });
    expect(fake.requests.at(-1)?.headers.authorization).toBe(`Bearer ${SECRET}`);

    // Clearing the key takes effect on the next call.
    await t.app.inject({ method: 'PUT', url: '/api/settings/provider', payload: { apiKey: null } });
    const after = await t.app.inject({
      method: 'POST',
      url: '/api/flows/chat/runs',
      payload: { inputs: { question: 'hi' } },
    });
    expect(after.json().status).toBe('failed');
  });

  it('a process that shares the store (a worker) sees the provider set or cleared by another (the api)', async () => {
    t = await startTestApp();
    const { store, providerSettings } = t.app.runtime;
    // The worker's own view, looking for changes at every call (the default looks at most once a second).
    const worker = new ProviderSettings(store.settings, providerSettings.box, false, 0);
    const none = { chat: async () => Promise.reject(new Error('no provider')) };
    const llm = settingsLlm(worker, none as never);
    const ask = () =>
      llm.chat(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
        { signal: new AbortController().signal },
      );
    expect(await worker.isSet()).toBe(false);
    await expect(ask()).rejects.toThrow('no provider');
    const put = (payload: object) => t?.app.inject({ method: 'PUT', url: '/api/settings/provider', payload });
    expect((await put({ baseURL: fake.url, apiKey: SECRET }))?.statusCode).toBe(200);
    expect(await worker.isSet()).toBe(true);
    expect((await ask()).message.content).toBe('echo: hi');
    expect((await put({ baseURL: null, apiKey: null }))?.statusCode).toBe(200);
    expect(await worker.isSet()).toBe(false);
    await expect(ask()).rejects.toThrow('no provider');
  });

  it('says the environment wins when it configures a provider', async () => {
    t = await startTestApp({ openai: { baseURL: fake.url, apiKey: SECRET } });
    const view = (await t.app.inject({ method: 'GET', url: '/api/settings/provider' })).json();
    expect(view.source).toBe('env');
  });

  it('answers 400 naming the field for bad values', async () => {
    t = await startTestApp();
    const res = await t.app.inject({
      method: 'PUT',
      url: '/api/settings/provider',
      payload: { baseURL: 'ftp://x', token: 1 },
    });
    expect(res.statusCode).toBe(400);
    const fields = new Set(res.json().error.details.map((d: { field: string }) => d.field));
    expect([...fields].sort()).toEqual(['body.baseURL', 'body.token']);
  });
});

describe('SecretBox', () => {
  it('round-trips, uses a fresh IV per value and refuses tampered data or another key', () => {
    const box = SecretBox.fromPassphrase('correct horse battery staple');
    const a = box.seal('secret');
    const b = box.seal('secret');
    expect(a.iv).not.toBe(b.iv);
    expect(a.data).not.toBe(b.data);
    expect(box.open(a)).toBe('secret');
    const tampered = { ...a, data: Buffer.from('xxxxxx').toString('base64') };
    expect(() => box.open(tampered)).toThrow(expect.objectContaining({ code: 'SERVICE_NOT_CONFIGURED' }));
    expect(() => SecretBox.fromPassphrase('other').open(a)).toThrow(
      expect.objectContaining({ code: 'SERVICE_NOT_CONFIGURED' }),
    );
  });
});
