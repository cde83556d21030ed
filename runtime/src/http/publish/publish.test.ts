import { join } from 'node:path';
import { defineNode, type FlowFile } from '@flowloom/nodes';
import { type FakeOpenAI, startFakeOpenAI } from '@flowloom/test/fake-openai';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testConfig } from '../../config.js';
import {
  buildTestApp,
  chatFlow,
  echoFlow,
  flowOf,
  removeTempDir,
  startTestApp,
  type TestApp,
  tempDir,
} from '../../testing/fixtures.js';
import { callFlow } from '../../testing/kinds.js';
import { writeLegacyStore } from '../../testing/legacy-store.js';

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
function runPublished(flowId: string, inputs: Record<string, unknown>, extra: object = {}) {
  return post(`/api/v1/flows/${flowId}/run`, { inputs, ...extra }, { authorization: `Bearer ${key}` });
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
    expect(list).toMatchObject({
      flowId: 'echo',
      latest: 2,
      endpoint: '/api/v1/flows/echo/run',
      runTimeoutCeilingMs: 120_000,
    });
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

// Published versions freeze the flows they call (docs/publishing.md): every flow call of a published run resolves in
// the version's bundle, never to a draft.

async function save(flow: FlowFile) {
  const res = await post('/api/flows', flow);
  expect(res.statusCode, res.body).toBe(201);
}
async function replace(flow: FlowFile) {
  const res = await t.app.inject({ method: 'PUT', url: `/api/flows/${flow.id}`, payload: flow });
  expect(res.statusCode, res.body).toBe(200);
}
async function publish(flowId: string, body: object = {}) {
  const res = await post(`/api/flows/${flowId}/publish`, body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}
async function outputsOf(res: Awaited<ReturnType<typeof post>>) {
  expect(res.statusCode, res.body).toBe(200);
  expect(res.json().status, res.body).toBe('completed');
  return res.json().outputs;
}
async function runDraft(flowId: string, inputs: Record<string, unknown>) {
  const res = await post(`/api/flows/${flowId}/runs`, { inputs });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

/** question → "<prefix>{{question}}" → answer: the called flow the tests edit. */
function inner(prefix = 'A: ', id = 'inner'): FlowFile {
  return flowOf(
    id,
    [
      ['q', 'input', { name: 'question', dataType: 'text' }],
      ['fmt', 'text', { mode: 'format', template: `${prefix}{{question}}` }],
      ['out', 'output', { name: 'answer' }],
    ],
    ['q.value→fmt.question', 'fmt.text→out.value'],
  );
}
/** question → subflow(calls) → answer. */
function caller(id: string, calls: string): FlowFile {
  return flowOf(
    id,
    [
      ['q', 'input', { name: 'question', dataType: 'text' }],
      ['sub', 'subflow', { flowId: calls, inputNames: ['question'], outputNames: ['answer'] }],
      ['out', 'output', { name: 'answer' }],
    ],
    ['q.value→sub.question', 'sub.answer→out.value'],
  );
}

describe('a published version freezes the flows it calls', () => {
  it('keeps answering from the frozen called flow after its draft is edited, and after it is deleted', async () => {
    await save(inner('A: '));
    await save(caller('outer', 'inner'));
    const published = await publish('outer');
    expect(published.bundle).toEqual([{ flowId: 'inner', flowVersion: 1 }]);

    await replace(inner('B: '));
    expect(await outputsOf(await runPublished('outer', { question: 'hi' }))).toEqual({ answer: 'A: hi' });
    // The editor's draft run follows the draft: that is what it is for.
    expect((await runDraft('outer', { question: 'hi' })).outputs).toEqual({ answer: 'B: hi' });

    expect((await t.app.inject({ method: 'DELETE', url: '/api/flows/inner' })).statusCode).toBe(204);
    expect(await outputsOf(await runPublished('outer', { question: 'hi' }))).toEqual({ answer: 'A: hi' });
    const draft = await runDraft('outer', { question: 'hi' });
    expect(draft).toMatchObject({ status: 'failed', error: { code: 'FLOW_NOT_FOUND' } });

    // The nested run is recorded with the draft version it froze.
    const nested = (await t.app.runtime.store.listRuns({ flowId: 'inner' })).find((run) => run.status === 'completed');
    expect(nested).toMatchObject({ flowVersion: 1, depth: 1 });
  });

  it('answers the OpenAI-compatible face from the bundle too (official openai SDK)', async () => {
    await save(inner('A: '));
    await save(caller('outer', 'inner'));
    await publish('outer');
    await replace(inner('B: '));
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.address() as { port: number };
    const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/api/v1`, apiKey: key, maxRetries: 0 });
    const completion = await client.chat.completions.create({
      model: 'outer',
      messages: [{ role: 'user', content: 'hello' }],
    });
    expect(completion.choices[0]?.message.content).toBe('A: hello');
  });

  it('resolves nested calls (flow → subflow → subflow) in the bundle, and shows them in the version', async () => {
    await save(inner('A: '));
    await save(caller('middle', 'inner'));
    await save(caller('top', 'middle'));
    const published = await publish('top');
    expect(published.bundle).toEqual([
      { flowId: 'inner', flowVersion: 1 },
      { flowId: 'middle', flowVersion: 1 },
    ]);
    await replace(inner('B: '));
    await replace(caller('middle', 'elsewhere'));
    expect(await outputsOf(await runPublished('top', { question: 'x' }))).toEqual({ answer: 'A: x' });
    const version = (await get('/api/flows/top/published/1')).json();
    expect(version.bundle).toEqual(published.bundle);
    expect(version.flow.id).toBe('top');
  });

  it('resolves map items in the bundle', async () => {
    await save(inner('A: '));
    await save(
      flowOf(
        'each',
        [
          ['items', 'input', { name: 'items', dataType: 'json' }],
          ['map', 'map', { flowId: 'inner', inputName: 'question', outputName: 'answer', concurrency: 2 }],
          ['out', 'output', { name: 'results' }],
        ],
        ['items.value→map.items', 'map.results→out.value'],
      ),
    );
    await publish('each');
    await replace(inner('B: '));
    expect(await outputsOf(await runPublished('each', { items: ['x', 'y', 'z'] }))).toEqual({
      results: ['A: x', 'A: y', 'A: z'],
    });
  });

  it('describes and runs a tool-flow tool from the bundle', async () => {
    await save(inner('A: '));
    await save(
      flowOf(
        'agent',
        [
          ['q', 'input', { name: 'question', dataType: 'text' }],
          ['tool', 'tool-flow', { flowId: 'inner' }],
          ['agent', 'function-call'],
          ['out', 'output', { name: 'answer' }],
        ],
        ['q.value→agent.prompt', 'tool.tool→agent.tools', 'agent.text→out.value'],
      ),
    );
    await publish('agent');
    // Gone as a draft: the tool's description (its parameters) and its call both come from the bundle.
    expect((await t.app.inject({ method: 'DELETE', url: '/api/flows/inner' })).statusCode).toBe(204);
    const outputs = await outputsOf(await runPublished('agent', { question: 'go [[tool:inner {"question":"x"}]]' }));
    expect(outputs.answer).toContain('A: x');
    expect(fake.chatRequests()[0]?.tools?.[0]?.function.parameters).toMatchObject({
      properties: { question: { type: 'string' } },
    });
  });

  it('lets a flow call itself (the depth limit still ends it)', async () => {
    await save(caller('loop', 'loop'));
    expect((await publish('loop')).bundle).toEqual([]);
    const res = await runPublished('loop', { question: 'x' });
    expect(res.json()).toMatchObject({ status: 'failed', error: { code: 'SUBFLOW_DEPTH_EXCEEDED' } });
  });

  it('refuses a flow outside the bundle with FLOW_NOT_FOUND, even when a draft of that id exists', async () => {
    // A kind that names the flow in a plain string param: not part of any bundle.
    t.app.runtime.registry.register(callFlow);
    await save(inner('A: '));
    await save(
      flowOf(
        'sneaky',
        [
          ['q', 'input', { name: 'question', dataType: 'text' }],
          ['call', 'test-call-flow', { flowId: 'inner' }],
          ['out', 'output', { name: 'answer' }],
        ],
        ['q.value→call.value', 'call.value→out.value'],
      ),
    );
    expect((await runDraft('sneaky', { question: 'x' })).outputs).toEqual({ answer: 'A: x' });
    await publish('sneaky');
    const res = await runPublished('sneaky', { question: 'x' });
    expect(res.json()).toMatchObject({ status: 'failed', error: { code: 'FLOW_NOT_FOUND' } });
    expect(res.json().error.message).toContain('"inner" is not part of published version 1 of "sneaky"');
  });
});

describe('publishing a flow that calls flows: refusals', () => {
  it('refuses a called flow that does not exist, naming the calling node and the called flow', async () => {
    await save(caller('middle', 'ghost'));
    await save(caller('top', 'middle'));
    const res = await post('/api/flows/top/publish', {});
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('FLOW_INVALID');
    expect(res.json().error.details).toEqual([
      {
        nodeId: 'sub',
        path: 'params.flowId',
        flowId: 'middle',
        calledFlowId: 'ghost',
        code: 'FLOW_CALL_NOT_FOUND',
        message: 'node "sub" of flow "middle" calls flow "ghost", which does not exist',
      },
    ]);
    expect((await get('/api/flows/top/published')).json().versions).toEqual([]);
  });

  it('refuses a called flow with problems', async () => {
    const broken = inner('A: ');
    broken.edges = [];
    await save(broken);
    await save(caller('outer', 'inner'));
    const res = await post('/api/flows/outer/publish', {});
    expect(res.statusCode).toBe(400);
    const [problem] = res.json().error.details;
    expect(problem).toMatchObject({ nodeId: 'sub', calledFlowId: 'inner', code: 'FLOW_CALL_INVALID' });
    expect(problem.message).toMatch(/^node "sub" calls flow "inner", which has \d+ problem\(s\): /);
  });

  it('refuses to make a flow param overridable at publish, naming it', async () => {
    await save(inner());
    await save(caller('outer', 'inner'));
    const res = await post('/api/flows/outer/publish', { settings: { overridable: ['sub.flowId'] } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([
      expect.objectContaining({ field: 'body.settings.overridable', param: 'sub.flowId' }),
    ]);
    expect((await get('/api/flows/outer/published')).json().versions).toEqual([]);
  });

  it('refuses a per-request override of a flow param, even one its kind marks overridable', async () => {
    t.app.runtime.registry.register(
      defineNode({
        spec: {
          type: 'test-overridable-flow',
          version: 1,
          title: 'Overridable flow',
          category: 'flows',
          description: 'Marks its flow param overridable, which publishing ignores.',
          inputs: [{ name: 'value', dataType: 'text', required: true }],
          outputs: [{ name: 'value', dataType: 'any' }],
          params: [{ name: 'flowId', kind: 'flow', required: true, overridable: true }],
        },
        async execute({ inputs }) {
          return { value: inputs.value };
        },
      }),
    );
    await save(inner());
    await save(caller('outer', 'inner'));
    await save(
      flowOf(
        'marked',
        [
          ['q', 'input', { name: 'question', dataType: 'text' }],
          ['pick', 'test-overridable-flow', { flowId: 'inner' }],
          ['out', 'output', { name: 'answer' }],
        ],
        ['q.value→pick.value', 'pick.value→out.value'],
      ),
    );
    await publish('outer');
    await publish('marked');
    for (const [flowId, nodeId] of [
      ['outer', 'sub'],
      ['marked', 'pick'],
    ] as const) {
      const res = await runPublished(flowId, { question: 'x' }, { overrides: { [nodeId]: { flowId: 'outer' } } });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({
        code: 'OVERRIDE_NOT_ALLOWED',
        details: [expect.objectContaining({ param: `${nodeId}.flowId` })],
      });
    }
  });
});

describe('the model provider is frozen with a published version', () => {
  it('refuses to make a provider param overridable at publish, naming it, and stores nothing', async () => {
    const res = await post('/api/flows/chat/publish', {
      settings: { overridable: ['llm.temperature', 'llm.provider'] },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([
      expect.objectContaining({ field: 'body.settings.overridable', param: 'llm.provider' }),
    ]);
    expect((await get('/api/flows/chat/published')).json().versions).toEqual([]);
  });

  it('refuses a per-request override of a provider param, even one its kind marks overridable', async () => {
    t.app.runtime.registry.register(
      defineNode({
        spec: {
          type: 'test-overridable-provider',
          version: 1,
          title: 'Overridable provider',
          category: 'models',
          description: 'Marks its provider param overridable, which publishing ignores.',
          inputs: [{ name: 'value', dataType: 'text', required: true }],
          outputs: [{ name: 'value', dataType: 'any' }],
          params: [{ name: 'provider', kind: 'provider', default: '', overridable: true }],
        },
        async execute({ inputs }) {
          return { value: inputs.value };
        },
      }),
    );
    await save(
      flowOf(
        'marked',
        [
          ['q', 'input', { name: 'question', dataType: 'text' }],
          ['pick', 'test-overridable-provider', {}],
          ['out', 'output', { name: 'answer' }],
        ],
        ['q.value→pick.value', 'pick.value→out.value'],
      ),
    );
    await publish('marked');
    await publish('chat', { settings: { overridable: ['llm.temperature'] } });
    for (const [flowId, nodeId] of [
      ['marked', 'pick'],
      ['chat', 'llm'],
    ] as const) {
      const res = await runPublished(flowId, { question: 'x' }, { overrides: { [nodeId]: { provider: 'other' } } });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({
        code: 'OVERRIDE_NOT_ALLOWED',
        details: [expect.objectContaining({ param: `${nodeId}.provider` })],
      });
    }
  });
});

describe('bundles across versions', () => {
  it('diffs a called flow frozen at another version as a change, and rolls back with the older bundle', async () => {
    await save(inner('A: '));
    await save(caller('outer', 'inner'));
    await publish('outer');
    expect((await get('/api/flows/outer/diff')).json()).toMatchObject({ isEmpty: true, fields: [] });

    await replace(inner('B: '));
    // Only the called flow changed: publishing now would change what the endpoint does.
    let diff = (await get('/api/flows/outer/diff')).json();
    expect(diff).toMatchObject({
      isEmpty: false,
      isSameBehaviour: false,
      nodes: { added: [], removed: [], changed: [] },
    });
    expect(diff.fields).toEqual([{ name: 'bundle.inner', change: 'changed', from: 1, to: 2 }]);

    expect((await publish('outer')).bundle).toEqual([{ flowId: 'inner', flowVersion: 2 }]);
    diff = (await get('/api/flows/outer/diff?from=1&to=2')).json();
    expect(diff.fields).toEqual([{ name: 'bundle.inner', change: 'changed', from: 1, to: 2 }]);
    expect((await get('/api/flows/outer/diff?from=2&to=draft')).json().isEmpty).toBe(true);
    expect(await outputsOf(await runPublished('outer', { question: 'x' }))).toEqual({ answer: 'B: x' });

    const rollback = await post('/api/flows/outer/published/1/rollback', {});
    expect(rollback.json()).toMatchObject({ version: 3, rollbackOf: 1, bundle: [{ flowId: 'inner', flowVersion: 1 }] });
    expect(await outputsOf(await runPublished('outer', { question: 'x' }))).toEqual({ answer: 'A: x' });
  });
});

describe('versions published before bundles', () => {
  it('are frozen once when the store opens: they stop following the drafts of the flows they call', async () => {
    const dataDir = tempDir();
    try {
      // A data folder of the previous schema, with a version published then.
      writeLegacyStore(dataDir, [inner('A: '), caller('outer', 'inner')], [caller('outer', 'inner')]);

      const app = await buildTestApp(testConfig({ dataDir, templatesDir: join(dataDir, 'no-templates') }));
      try {
        const version = (await app.inject({ method: 'GET', url: '/api/flows/outer/published/1' })).json();
        expect(version.bundle).toEqual([{ flowId: 'inner', flowVersion: 1 }]);
        // Frozen with full params: the kinds' defaults are written in.
        expect(version.flow.nodes.find((n: { id: string }) => n.id === 'sub').params).toMatchObject({
          flowId: 'inner',
          inputNames: ['question'],
        });
        const edited = await app.inject({ method: 'PUT', url: '/api/flows/inner', payload: inner('B: ') });
        expect(edited.statusCode).toBe(200);
        const apiKey = (await app.inject({ method: 'POST', url: '/api/keys', payload: { name: 'k' } })).json().key;
        const res = await app.inject({
          method: 'POST',
          url: '/api/v1/flows/outer/run',
          payload: { inputs: { question: 'x' } },
          headers: { authorization: `Bearer ${apiKey}` },
        });
        expect(res.json()).toMatchObject({ status: 'completed', outputs: { answer: 'A: x' } });
      } finally {
        await app.close();
      }
    } finally {
      removeTempDir(dataDir);
    }
  });
});

describe('versions published before bundles, with a flow param in settings.overridable (allowed then)', () => {
  const legacySettings = { allowedOrigins: [], timeoutMs: 120_000, overridable: ['sub.flowId', 'q.name'] };

  it('can be republished from the editor (which sends only origins and timeout) and rolled back to', async () => {
    const dataDir = tempDir();
    try {
      writeLegacyStore(dataDir, [inner(), caller('outer', 'inner')], [caller('outer', 'inner')], legacySettings);
      const app = await buildTestApp(testConfig({ dataDir, templatesDir: join(dataDir, 'no-templates') }));
      try {
        // The flow param is dropped when the store opens; the others stay.
        const v1 = (await app.inject({ method: 'GET', url: '/api/flows/outer/published/1' })).json();
        expect(v1.settings.overridable).toEqual(['q.name']);
        // What the editor's publish dialog sends.
        const republish = await app.inject({
          method: 'POST',
          url: '/api/flows/outer/publish',
          payload: { settings: { allowedOrigins: [], timeoutMs: 120_000 } },
        });
        expect(republish.statusCode, republish.body).toBe(201);
        expect(republish.json().settings.overridable).toEqual(['q.name']);
        const rollback = await app.inject({
          method: 'POST',
          url: '/api/flows/outer/published/1/rollback',
          payload: {},
        });
        expect(rollback.statusCode, rollback.body).toBe(201);
        expect(rollback.json()).toMatchObject({
          version: 3,
          rollbackOf: 1,
          bundle: [{ flowId: 'inner', flowVersion: 1 }],
        });
      } finally {
        await app.close();
      }
    } finally {
      removeTempDir(dataDir);
    }
  });

  it('cannot be rolled back to when the flow it calls was deleted before the store was migrated', async () => {
    const dataDir = tempDir();
    try {
      // `inner` is gone: the version's bundle could not freeze it, so the version calls nothing it could run.
      writeLegacyStore(dataDir, [caller('outer', 'inner')], [caller('outer', 'inner')], legacySettings);
      const app = await buildTestApp(testConfig({ dataDir, templatesDir: join(dataDir, 'no-templates') }));
      try {
        const rollback = await app.inject({
          method: 'POST',
          url: '/api/flows/outer/published/1/rollback',
          payload: {},
        });
        expect(rollback.statusCode).toBe(400);
        expect(rollback.json().error).toMatchObject({
          code: 'FLOW_INVALID',
          details: [expect.objectContaining({ nodeId: 'sub', calledFlowId: 'inner', code: 'FLOW_CALL_NOT_FOUND' })],
        });
      } finally {
        await app.close();
      }
    } finally {
      removeTempDir(dataDir);
    }
  });
});
