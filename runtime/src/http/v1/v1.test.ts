import { readFileSync } from 'node:fs';
import type { FlowFile, TraceEvent } from '@flowloom/nodes';
import { type FakeOpenAI, startFakeOpenAI } from '@flowloom/test/fake-openai';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testConfig } from '../../config.js';
import {
  buildTestApp,
  chatFlow,
  echoFlow,
  parseSse,
  removeTempDir,
  startTestApp,
  storedRows,
  type TestApp,
  tempDir,
} from '../../testing/fixtures.js';

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
  for (const flow of [echoFlow(), chatFlow(), historyFlow()]) {
    expect((await t.app.inject({ method: 'POST', url: '/api/flows', payload: flow })).statusCode).toBe(201);
  }
  for (const id of ['echo', 'chat', 'history']) {
    expect((await post(`/api/flows/${id}/publish`, {})).statusCode).toBe(201);
  }
  key = await createKey({ name: 'all' });
});
afterEach(async () => t.close());

/**
 * question + optional history (messages) → llm → answer: the repository's `flows/chat-history.flow.json`, the same
 * flow the editor's chat playground e2e drives, so both faces of one question + history flow are tested.
 */
function historyFlow(): FlowFile {
  const file = new URL('../../../../flows/chat-history.flow.json', import.meta.url);
  return { ...(JSON.parse(readFileSync(file, 'utf8')) as FlowFile), id: 'history' };
}

function post(url: string, payload?: unknown, headers?: Record<string, string>) {
  return t.app.inject({ method: 'POST', url, payload: payload as object, headers });
}
async function createKey(body: Record<string, unknown>): Promise<string> {
  const res = await post('/api/keys', body);
  expect(res.statusCode).toBe(201);
  return res.json().key;
}
function run(flowId: string, body: unknown, headers: Record<string, string> = {}) {
  return post(`/api/v1/flows/${flowId}/run`, body, { authorization: `Bearer ${key}`, ...headers });
}
async function runCount(): Promise<number> {
  return (await t.app.runtime.store.listRuns({ limit: 500 })).length;
}

describe('POST /api/v1/flows/:id/run', () => {
  it("keeps chat memory per API key: another key's caller cannot read a session by guessing its id", async () => {
    const remember: FlowFile = {
      format: 'flowloom.flow/v1',
      id: 'remember',
      name: 'Remember',
      nodes: [
        { id: 'question', type: 'input', position: { x: 0, y: 0 } },
        { id: 'memory', type: 'memory', position: { x: 260, y: 0 }, params: { mode: 'append', window: 10 } },
        { id: 'answer', type: 'output', position: { x: 520, y: 0 } },
      ],
      edges: [
        { id: 'e1', source: 'question', sourcePort: 'value', target: 'memory', targetPort: 'text' },
        { id: 'e2', source: 'memory', sourcePort: 'messages', target: 'answer', targetPort: 'value' },
      ],
    };
    expect((await t.app.inject({ method: 'POST', url: '/api/flows', payload: remember })).statusCode).toBe(201);
    expect((await post('/api/flows/remember/publish', {})).statusCode).toBe(201);
    const other = await createKey({ name: 'other app' });
    const contents = (res: { json(): { outputs: { answer: { content: string }[] } } }) =>
      res.json().outputs.answer.map((m) => m.content);

    expect(contents(await run('remember', { inputs: { question: 'secret one' }, sessionId: 's1' }))).toEqual([
      'secret one',
    ]);
    expect(contents(await run('remember', { inputs: { question: 'two' }, sessionId: 's1' }))).toEqual([
      'secret one',
      'two',
    ]);
    const intruder = await run(
      'remember',
      { inputs: { question: 'hi' }, sessionId: 's1' },
      { authorization: `Bearer ${other}` },
    );
    expect(contents(intruder)).toEqual(['hi']);
  });

  it("keeps chat memory per API key also when the flow wires an input into the memory node's sessionId", async () => {
    const wired: FlowFile = {
      format: 'flowloom.flow/v1',
      id: 'wired',
      name: 'Wired session',
      nodes: [
        { id: 'question', type: 'input', position: { x: 0, y: 0 } },
        { id: 'session', type: 'input', position: { x: 0, y: 100 }, params: { name: 'session' } },
        { id: 'memory', type: 'memory', position: { x: 260, y: 0 }, params: { mode: 'append', window: 10 } },
        { id: 'answer', type: 'output', position: { x: 520, y: 0 } },
      ],
      edges: [
        { id: 'e1', source: 'question', sourcePort: 'value', target: 'memory', targetPort: 'text' },
        { id: 'e2', source: 'session', sourcePort: 'value', target: 'memory', targetPort: 'sessionId' },
        { id: 'e3', source: 'memory', sourcePort: 'messages', target: 'answer', targetPort: 'value' },
      ],
    };
    expect((await t.app.inject({ method: 'POST', url: '/api/flows', payload: wired })).statusCode).toBe(201);
    expect((await post('/api/flows/wired/publish', {})).statusCode).toBe(201);
    const other = await createKey({ name: 'other app' });
    const contents = (res: { json(): { outputs: { answer: { content: string }[] } } }) =>
      res.json().outputs.answer.map((m) => m.content);
    expect(contents(await run('wired', { inputs: { question: 'secret', session: 'victim' } }))).toEqual(['secret']);
    // Another key naming the same session (plainly, or as the scoped id the first key's sessions are stored under)
    // reads only its own.
    const keys = (await t.app.inject({ method: 'GET', url: '/api/keys' })).json().keys as {
      id: string;
      name: string;
    }[];
    const firstKeyId = keys.find((k) => k.name === 'all')?.id;
    for (const session of ['victim', `key:${firstKeyId}:victim`]) {
      const intruder = await run(
        'wired',
        { inputs: { question: 'hi', session } },
        { authorization: `Bearer ${other}` },
      );
      expect(contents(intruder), session).not.toContain('secret');
    }
    // The first key still reads its session.
    expect(contents(await run('wired', { inputs: { question: 'again', session: 'victim' } }))).toEqual([
      'secret',
      'again',
    ]);
  });

  it('runs the published version and answers like a draft run; the run is in the history with its trace', async () => {
    const res = await run('chat', { inputs: { question: 'hello' } });
    expect(res.statusCode).toBe(200);
    const answer = res.json();
    expect(answer).toMatchObject({ flowId: 'chat', status: 'completed', outputs: { answer: 'echo: Q: hello' } });
    expect(answer.usage).toMatchObject({ promptTokens: expect.any(Number), completionTokens: expect.any(Number) });
    expect(res.headers['x-run-id']).toBe(answer.runId);
    const detail = (await t.app.inject({ method: 'GET', url: `/api/runs/${answer.runId}` })).json();
    expect(detail).toMatchObject({ status: 'completed', flowVersion: 1, inputs: { question: 'hello' } });
    expect(detail.events.at(-1).type).toBe('run.completed');
    const rows = await storedRows(
      t.app,
      {
        sqlite: 'SELECT flowId, version, endpoint FROM published_runs WHERE runId = ?',
        postgres: 'SELECT flow_id AS "flowId", version, endpoint FROM published_runs WHERE run_id = $1',
      },
      [answer.runId],
    );
    expect(rows).toEqual([{ flowId: 'chat', version: 1, endpoint: 'run' }]);
  });

  it('streams as SSE on Accept: text/event-stream, the same events as a draft run', async () => {
    const res = await run('chat', { inputs: { question: 'stream me' } }, { accept: 'text/event-stream' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/event-stream');
    const events = parseSse(res.body) as TraceEvent[];
    expect(events[0]?.type).toBe('run.started');
    expect(events.at(-1)).toMatchObject({ type: 'run.completed', data: { outputs: { answer: 'echo: Q: stream me' } } });
    expect(events.some((e) => e.type === 'node.delta')).toBe(true);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
  });

  it('a failed flow is a 200 with status failed', async () => {
    const res = await run('chat', { inputs: { question: '[[error:400]]' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'failed', error: { code: expect.any(String) } });
  });

  it('applies overrides of overridable params only', async () => {
    const res = await run('chat', {
      inputs: { question: 'x' },
      overrides: { llm: { temperature: 1.5, model: 'gpt-x' } },
    });
    expect(res.json().status).toBe('completed');
    expect(fake.chatRequests().at(-1)).toMatchObject({ temperature: 1.5, model: 'gpt-x' });
    // The published version itself is unchanged.
    await run('chat', { inputs: { question: 'x' } });
    expect(fake.chatRequests().at(-1)).toMatchObject({ temperature: 0, model: 'gpt-4o-mini' });
  });

  it('refuses overrides of other params with 400 OVERRIDE_NOT_ALLOWED naming each, and runs nothing', async () => {
    const before = await runCount();
    const res = await run('chat', {
      inputs: { question: 'x' },
      overrides: { prompt: { template: 'leak {{question}}' }, llm: { system: 'evil' }, ghost: { a: 1 } },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('OVERRIDE_NOT_ALLOWED');
    expect(
      res
        .json()
        .error.details.map((d: { param: string }) => d.param)
        .sort(),
    ).toEqual(['ghost.a', 'llm.system', 'prompt.template']);
    expect(await runCount()).toBe(before);
    expect(fake.requests).toHaveLength(0);
  });

  it('refuses override values the param does not take with 400 naming body.overrides.<node>.<param>', async () => {
    const before = await runCount();
    const res = await run('chat', {
      inputs: { question: 'x' },
      overrides: { llm: { temperature: 'hot', model: '' } },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
    expect(res.json().error.details).toEqual([
      { field: 'body.overrides.llm.model', message: 'param "model" is required' },
      { field: 'body.overrides.llm.temperature', message: 'param "temperature" must be a number' },
    ]);
    expect(await runCount()).toBe(before);
    expect(fake.requests).toHaveLength(0);
  });

  it('allows a param the published version lists as overridable', async () => {
    await post('/api/flows/chat/publish', { settings: { overridable: ['prompt.template'] } });
    const res = await run('chat', {
      inputs: { question: 'x' },
      overrides: { prompt: { template: 'T: {{question}}' } },
    });
    expect(res.json().outputs.answer).toBe('echo: T: x');
  });

  it('answers 400 for bad inputs, naming them', async () => {
    const res = await run('chat', { inputs: { nope: 1 } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('RUN_INPUT_INVALID');
    expect(
      res
        .json()
        .error.details.map((d: { input: string }) => d.input)
        .sort(),
    ).toEqual(['nope', 'question']);
  });

  it('cancels a run past the version time limit with RUN_TIMEOUT', async () => {
    await post('/api/flows/chat/publish', { settings: { timeoutMs: 200 } });
    const res = await run('chat', { inputs: { question: '[[hang]]' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'cancelled', error: { code: 'RUN_TIMEOUT' } });
    const stored = await t.app.runtime.store.getRun(res.json().runId);
    expect(stored).toMatchObject({ status: 'cancelled', error: { code: 'RUN_TIMEOUT' } });
  });
});

describe('FLOWLOOM_RUN_TIMEOUT_MS, the ceiling of every published run', () => {
  it('is the default of a version; publishing a higher timeoutMs is a 400 naming the field and the ceiling', async () => {
    const limited = await startTestApp({ publish: { runTimeoutMs: 300 } });
    try {
      const inject = (url: string, payload: object) => limited.app.inject({ method: 'POST', url, payload });
      expect((await inject('/api/flows', echoFlow())).statusCode).toBe(201);
      // The publish dialog reads the ceiling with the versions, to bound its time limit field.
      const listed = await limited.app.inject({ method: 'GET', url: '/api/flows/echo/published' });
      expect(listed.json()).toMatchObject({ latest: null, versions: [], runTimeoutCeilingMs: 300 });
      const refused = await inject('/api/flows/echo/publish', { settings: { timeoutMs: 5000 } });
      expect(refused.statusCode).toBe(400);
      expect(refused.json().error).toEqual({
        code: 'VALIDATION_FAILED',
        message: "body.settings.timeoutMs must be at most 300 ms, the server's limit (FLOWLOOM_RUN_TIMEOUT_MS)",
        details: [
          {
            field: 'body.settings.timeoutMs',
            message: "must be at most 300 ms, the server's limit (FLOWLOOM_RUN_TIMEOUT_MS)",
          },
        ],
      });
      expect(await limited.app.runtime.published.latest('echo')).toBeUndefined();
      expect((await inject('/api/flows/echo/publish', {})).json().settings.timeoutMs).toBe(300);
      expect((await inject('/api/flows/echo/publish', { settings: { timeoutMs: 300 } })).statusCode).toBe(201);
    } finally {
      await limited.close();
    }
  });

  it('caps a version published under a higher ceiling', async () => {
    const dataDir = tempDir('ceiling');
    const config = { dataDir, templatesDir: dataDir, openai: { baseURL: fake.url, apiKey: 'test' } };
    try {
      const before = await buildTestApp(testConfig(config));
      expect((await before.inject({ method: 'POST', url: '/api/flows', payload: chatFlow() })).statusCode).toBe(201);
      const payload = { settings: { timeoutMs: 60_000 } };
      expect((await before.inject({ method: 'POST', url: '/api/flows/chat/publish', payload })).statusCode).toBe(201);
      await before.close();

      const after = await buildTestApp(testConfig({ ...config, publish: { runTimeoutMs: 200 } }));
      try {
        const created = await after.inject({ method: 'POST', url: '/api/keys', payload: { name: 'k' } });
        const res = await after.inject({
          method: 'POST',
          url: '/api/v1/flows/chat/run',
          payload: { inputs: { question: '[[hang]]' } },
          headers: { authorization: `Bearer ${created.json().key}` },
        });
        expect(res.json()).toMatchObject({
          status: 'cancelled',
          error: { code: 'RUN_TIMEOUT', message: expect.stringContaining('200 ms, the limit of this server') },
        });
      } finally {
        await after.close();
      }
    } finally {
      removeTempDir(dataDir);
    }
  });
});

describe('published endpoints: keys and bad requests', () => {
  it('401 for missing, malformed, wrong and revoked keys, 403 out of scope; nothing runs', async () => {
    const scoped = await createKey({ name: 'only echo', flows: ['echo'] });
    const revoked = await post('/api/keys', { name: 'gone' });
    await t.app.inject({ method: 'DELETE', url: `/api/keys/${revoked.json().id}` });
    const before = await runCount();
    const cases: [Record<string, string>, number][] = [
      [{}, 401],
      [{ authorization: 'Basic abc' }, 401],
      [{ authorization: 'Bearer sk-not-ours' }, 401],
      [{ authorization: `Bearer ${key.slice(0, -2)}xx` }, 401],
      [{ authorization: `Bearer ${revoked.json().key}` }, 401],
      [{ authorization: `Bearer ${scoped}` }, 403],
    ];
    for (const [headers, status] of cases) {
      const res = await post('/api/v1/flows/chat/run', { inputs: { question: 'x' } }, headers);
      expect(res.statusCode, JSON.stringify(headers)).toBe(status);
      expect(res.json().error.code).toBe(status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN');
    }
    expect(await runCount()).toBe(before);
    expect(fake.requests).toHaveLength(0);
    // The scoped key works on its flow.
    const ok = await post(
      '/api/v1/flows/echo/run',
      { inputs: { question: 'x' } },
      { authorization: `Bearer ${scoped}` },
    );
    expect(ok.json().outputs.answer).toBe('x');
  });

  it('checks the key before reading the body: anonymous callers get 401 whatever they send', async () => {
    const junk = await post('/api/v1/flows/chat/run', { nonsense: true });
    expect(junk.statusCode).toBe(401);
    const big = await post('/api/v1/flows/chat/run', { inputs: { question: 'x'.repeat(1024 * 1024 + 10) } });
    expect(big.statusCode).toBe(401);
    const chat = await post('/api/v1/chat/completions', { model: 'NOT VALID', messages: [] });
    expect(chat.statusCode).toBe(401);
    expect(chat.json().error).toMatchObject({ code: 'UNAUTHORIZED', type: 'authentication_error' });
  });

  it('revocation applies to the very next request', async () => {
    const k = await post('/api/keys', { name: 'short-lived' });
    const auth = { authorization: `Bearer ${k.json().key}` };
    expect((await post('/api/v1/flows/echo/run', { inputs: { question: 'a' } }, auth)).statusCode).toBe(200);
    await t.app.inject({ method: 'DELETE', url: `/api/keys/${k.json().id}` });
    expect((await post('/api/v1/flows/echo/run', { inputs: { question: 'a' } }, auth)).statusCode).toBe(401);
  });

  it('404 for a flow that is not published (draft only or unknown)', async () => {
    await post('/api/flows', echoFlow('draft-only'));
    for (const id of ['draft-only', 'unknown']) {
      const res = await run(id, { inputs: { question: 'x' } });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('FLOW_NOT_FOUND');
    }
  });

  it('413 for bodies over 1 MiB and 400 for malformed ones', async () => {
    const big = await run('echo', { inputs: { question: 'x'.repeat(1024 * 1024 + 10) } });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('BODY_TOO_LARGE');
    const broken = await t.app.inject({
      method: 'POST',
      url: '/api/v1/flows/echo/run',
      payload: '{"inputs": ',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().error.code).toBe('BAD_REQUEST');
    const wrongShape = await run('echo', { inputs: 'hello', extra: true });
    expect(wrongShape.statusCode).toBe(400);
    expect(wrongShape.json().error.code).toBe('VALIDATION_FAILED');
  });

  it('rate-limits per key: 429 with retry-after, other keys unaffected', async () => {
    const limited = await createKey({ name: 'slow', rateLimit: 2 });
    const auth = { authorization: `Bearer ${limited}` };
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await post('/api/v1/flows/echo/run', { inputs: { question: 'x' } }, auth)).statusCode);
    }
    expect(statuses).toEqual([200, 200, 429]);
    const res = await post('/api/v1/flows/echo/run', { inputs: { question: 'x' } }, auth);
    expect(res.statusCode).toBe(429);
    expect(res.json().error.code).toBe('RATE_LIMITED');
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await run('echo', { inputs: { question: 'x' } })).statusCode).toBe(200);
  });

  it('records the last use of a key', async () => {
    await run('echo', { inputs: { question: 'x' } });
    const keys = (await t.app.inject({ method: 'GET', url: '/api/keys' })).json().keys;
    expect(keys[0].lastUsedAt).toEqual(expect.any(String));
  });
});

describe('CORS per flow', () => {
  beforeEach(async () => {
    await post('/api/flows/echo/publish', { settings: { allowedOrigins: ['https://shop.example'] } });
  });

  it('answers preflights with the allow headers only for listed origins', async () => {
    const ok = await t.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/flows/echo/run',
      headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' },
    });
    expect(ok.statusCode).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe('https://shop.example');
    expect(String(ok.headers['access-control-allow-headers'])).toContain('authorization');
    const refused = await t.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/flows/echo/run',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('keeps nothing in memory for flows that are not published, asked for anonymously from a browser', async () => {
    const { published } = t.app.runtime;
    const cachedBefore = published.cachedCount;
    const origin = { origin: 'https://evil.example' };
    for (let i = 0; i < 200; i++) {
      const preflight = await t.app.inject({
        method: 'OPTIONS',
        url: `/api/v1/flows/guessed-${i}/run`,
        headers: { ...origin, 'access-control-request-method': 'POST' },
      });
      expect(preflight.statusCode).toBe(204);
      const anonymous = await post(`/api/v1/flows/guessed-${i}/run`, { inputs: {} }, origin);
      expect(anonymous.statusCode).toBe(401);
    }
    expect(published.cachedCount).toBe(cachedBefore);
  });

  it('lets an allowed origin read the errors that come before the handler: 401, 400 malformed body, 429', async () => {
    const shop = { origin: 'https://shop.example', 'content-type': 'application/json' };
    const errors = [
      await post('/api/v1/flows/echo/run', { inputs: { question: 'x' } }, shop),
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/flows/echo/run',
        payload: '{"inputs": ',
        headers: { ...shop, authorization: `Bearer ${key}` },
      }),
      await post('/api/v1/chat/completions', { model: 'echo', messages: [] }, shop),
    ];
    const limited = { ...shop, authorization: `Bearer ${await createKey({ name: 'slow', rateLimit: 1 })}` };
    await post('/api/v1/flows/echo/run', { inputs: { question: 'x' } }, limited);
    errors.push(await post('/api/v1/flows/echo/run', { inputs: { question: 'x' } }, limited));
    expect(errors.map((res) => res.statusCode)).toEqual([401, 400, 401, 429]);
    for (const res of errors) expect(res.headers['access-control-allow-origin']).toBe('https://shop.example');
    expect(errors[3]?.headers['access-control-expose-headers']).toContain('retry-after');
    // Another origin still reads nothing.
    const evil = await post('/api/v1/flows/echo/run', {}, { origin: 'https://evil.example' });
    expect(evil.statusCode).toBe(401);
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
    // Allowed by some flow (echo) but not by the one asked for (chat): refused, and unreadable by that origin.
    const other = await post(
      '/api/v1/chat/completions',
      { model: 'chat', messages: [{ role: 'user', content: 'x' }] },
      { ...shop, authorization: `Bearer ${key}` },
    );
    expect(other.statusCode).toBe(403);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses a browser request from another origin with 403 and runs nothing', async () => {
    const before = await runCount();
    const res = await run('echo', { inputs: { question: 'x' } }, { origin: 'https://evil.example' });
    expect(res.statusCode).toBe(403);
    expect(await runCount()).toBe(before);
    const ok = await run('echo', { inputs: { question: 'x' } }, { origin: 'https://shop.example' });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe('https://shop.example');
  });
});

describe('OpenAI-compatible face, through the official openai SDK', () => {
  let client: OpenAI;
  let baseURL: string;
  beforeEach(async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.server.address() as { port: number };
    baseURL = `http://127.0.0.1:${address.port}/api/v1`;
    client = new OpenAI({ baseURL, apiKey: key, maxRetries: 0 });
  });

  it('lists published chat flows as models, within the key scope', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id).sort()).toEqual(['chat', 'echo', 'history']);
    expect(models.data[0]).toMatchObject({ object: 'model', owned_by: 'flowloom' });
    const scoped = new OpenAI({ baseURL, apiKey: await createKey({ name: 's', flows: ['chat'] }), maxRetries: 0 });
    expect((await scoped.models.list()).data.map((m) => m.id)).toEqual(['chat']);
    expect((await client.models.retrieve('chat')).id).toBe('chat');
  });

  it('answers a chat completion with the flow output and usage', async () => {
    const completion = await client.chat.completions.create({
      model: 'chat',
      messages: [{ role: 'user', content: 'hello there' }],
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]?.message).toMatchObject({ role: 'assistant', content: 'echo: Q: hello there' });
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage?.total_tokens).toBe(
      (completion.usage?.prompt_tokens ?? 0) + (completion.usage?.completion_tokens ?? 0),
    );
    expect(completion.usage?.completion_tokens).toBeGreaterThan(0);
    const runId = completion.id.replace('chatcmpl-', '');
    expect(await t.app.runtime.store.getRun(runId)).toMatchObject({ status: 'completed', flowId: 'chat' });
  });

  it('streams chunks in OpenAI format, with usage when asked', async () => {
    const stream = await client.chat.completions.create({
      model: 'chat',
      messages: [{ role: 'user', content: 'one two three four' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let contentChunks = 0;
    let usage: OpenAI.CompletionUsage | null | undefined;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      const delta = chunk.choices[0]?.delta.content;
      if (delta) {
        text += delta;
        contentChunks++;
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('echo: Q: one two three four');
    expect(contentChunks).toBeGreaterThanOrEqual(1);
    expect(finish).toBe('stop');
    expect(usage?.total_tokens).toBeGreaterThan(0);
  });

  it('retries a model stream cut mid-answer, unless that answer was already streamed to the caller', async () => {
    const answered = await client.chat.completions.create({
      model: 'chat',
      messages: [{ role: 'user', content: '[[error:cutx1]] whole' }],
    });
    expect(answered.choices[0]?.message.content).toMatch(/^echo: Q: +whole$/);
    expect(fake.chatRequests()).toHaveLength(2);
    // Streamed: the first attempt's text is with the caller, who cannot take it back, so a retry would send the
    // answer twice. The cut is final: the text so far, then the error, and the model is called once.
    const stream = await client.chat.completions.create({
      model: 'chat',
      messages: [{ role: 'user', content: '[[error:cutx1]] streamed' }],
      stream: true,
    });
    let text = '';
    const drained = (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })();
    await expect(drained).rejects.toBeInstanceOf(OpenAI.APIError);
    expect(fake.chatRequests()).toHaveLength(3);
    expect(text.match(/echo/g)?.length ?? 0).toBeLessThanOrEqual(1);
  });

  it('passes earlier messages to the flow history input and the last user message as the question', async () => {
    const completion = await client.chat.completions.create({
      model: 'history',
      messages: [
        { role: 'system', content: 'be nice' },
        { role: 'developer', content: 'be brief' },
        { role: 'user', content: 'my name is Ada' },
        { role: 'assistant', content: 'hi Ada' },
        { role: 'user', content: 'what is my name?' },
      ],
    });
    expect(completion.choices[0]?.message.content).toBe('echo: what is my name?');
    expect(fake.chatRequests().at(-1)?.messages).toEqual([
      { role: 'system', content: 'be nice' },
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'my name is Ada' },
      { role: 'assistant', content: 'hi Ada' },
      { role: 'user', content: 'what is my name?' },
    ]);
  });

  it('raises OpenAI errors: bad key, unknown model, out of scope, bad messages, a failing flow', async () => {
    const bad = new OpenAI({ baseURL, apiKey: 'flk_nope', maxRetries: 0 });
    await expect(
      bad.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const missing = client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] });
    await expect(missing).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(missing).rejects.toMatchObject({
      code: 'FLOW_NOT_FOUND',
      type: 'invalid_request_error',
      param: 'model',
    });
    const scoped = new OpenAI({ baseURL, apiKey: await createKey({ name: 's', flows: ['echo'] }), maxRetries: 0 });
    await expect(
      scoped.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
    await expect(
      client.chat.completions.create({ model: 'chat', messages: [{ role: 'assistant', content: 'x' }] }),
    ).rejects.toMatchObject({ status: 400, param: 'messages' });
    const wizard = [{ role: 'wizard', content: 'x' }] as unknown as OpenAI.ChatCompletionMessageParam[];
    await expect(client.chat.completions.create({ model: 'chat', messages: wizard })).rejects.toMatchObject({
      status: 400,
      param: 'messages.0.role',
      message: expect.stringContaining('must be one of "system", "developer", "user"'),
    });
    await expect(
      client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: '[[error:400]]' }] }),
    ).rejects.toBeInstanceOf(OpenAI.APIError);
    const stream = await client.chat.completions.create({
      model: 'chat',
      messages: [{ role: 'user', content: '[[error:400]]' }],
      stream: true,
    });
    await expect(
      (async () => {
        for await (const _ of stream) {
          // drain until the error event
        }
      })(),
    ).rejects.toBeInstanceOf(OpenAI.APIError);
  });

  it('refuses a flow that is not a chat flow', async () => {
    const flow = echoFlow('two-inputs');
    flow.nodes.push({ id: 'n', type: 'input', position: { x: 0, y: 0 }, params: { name: 'other' } });
    await post('/api/flows', flow);
    await post('/api/flows/two-inputs/publish', {});
    await expect(
      client.chat.completions.create({ model: 'two-inputs', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toMatchObject({ status: 400, param: 'model' });
    expect((await client.models.list()).data.map((m) => m.id)).not.toContain('two-inputs');
  });
});
