import type { TraceEvent } from '@flowloom/nodes';
import { type FakeOpenAI, startFakeOpenAI } from '@flowloom/test/fake-openai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chatFlow, echoFlow, parseSse, startTestApp, type TestApp } from '../../testing/fixtures.js';
import { callFlow } from '../../testing/kinds.js';

let fake: FakeOpenAI;
let t: TestApp;
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
});
afterEach(async () => t.close());

function post(url: string, payload?: unknown, headers?: Record<string, string>) {
  return t.app.inject({ method: 'POST', url, payload: payload as object, headers });
}
function get(url: string) {
  return t.app.inject({ method: 'GET', url });
}

/** Resolves when a live run of the flow has started a node of the given id. */
function nodeStarted(flowId: string, nodeId: string): Promise<string> {
  return new Promise((resolve) => {
    const stop = t.app.runtime.runs.onRun((handle) => {
      if (handle.flowId !== flowId) return;
      stop();
      handle.trace.subscribe((event) => {
        if (event.type === 'node.started' && event.nodeId === nodeId) resolve(handle.runId);
      });
    });
  });
}

describe('POST /api/flows/:id/runs (JSON)', () => {
  it('answers the completed run with outputs and stores it with every event', async () => {
    const res = await post('/api/flows/echo/runs', { inputs: { question: 'hello' } });
    expect(res.statusCode).toBe(200);
    const answer = res.json();
    expect(answer).toMatchObject({ flowId: 'echo', status: 'completed', outputs: { answer: 'hello' } });
    expect(answer.runId).toMatch(/^r_[0-9a-f]{24}$/);
    expect(typeof answer.durationMs).toBe('number');

    const detail = (await get(`/api/runs/${answer.runId}`)).json();
    expect(detail).toMatchObject({
      runId: answer.runId,
      status: 'completed',
      flowVersion: 1,
      inputs: { question: 'hello' },
    });
    const types = detail.events.map((e: TraceEvent) => e.type);
    expect(types[0]).toBe('run.started');
    expect(types.at(-1)).toBe('run.completed');
    expect(detail.events.map((e: TraceEvent) => e.seq)).toEqual(types.map((_: string, i: number) => i));
  });

  it('runs a model through the OpenAI-compatible provider, with usage', async () => {
    const res = await post('/api/flows/chat/runs', { inputs: { question: 'ping' } });
    expect(res.json()).toMatchObject({
      status: 'completed',
      outputs: { answer: 'echo: Q: ping' },
      usage: { promptTokens: expect.any(Number), completionTokens: expect.any(Number) },
    });
  });

  it('a failing flow is a 200 with status failed and the error', async () => {
    const res = await post('/api/flows/chat/runs', { inputs: { question: 'boom [[error:401]]' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'failed',
      error: { code: expect.any(String), message: expect.stringContaining('llm') },
    });
    const stored = await t.app.runtime.store.getRun(res.json().runId);
    expect(stored?.status).toBe('failed');
  });

  it('a provider answering an HTML page with status 200 fails the llm node with PROVIDER_ERROR, not an empty answer', async () => {
    const res = await post('/api/flows/chat/runs', { inputs: { question: 'hi [[garbage:html]]' } });
    expect(res.json()).toMatchObject({
      status: 'failed',
      error: { details: [{ nodeId: 'llm', code: 'PROVIDER_ERROR' }] },
    });
    expect(res.json().error.message).toContain('text/html');
  });

  it('with no model configured, the model call fails with PROVIDER_NOT_CONFIGURED saying what to set', async () => {
    const bare = await startTestApp();
    try {
      await bare.app.inject({ method: 'POST', url: '/api/flows', payload: chatFlow() });
      const res = await bare.app.inject({
        method: 'POST',
        url: '/api/flows/chat/runs',
        payload: { inputs: { question: 'hi' } },
      });
      expect(res.json()).toMatchObject({ status: 'failed', error: { code: 'PROVIDER_NOT_CONFIGURED' } });
      expect(res.json().error.message).toMatch(/OPENAI_API_KEY.*OPENAI_BASE_URL/);
    } finally {
      await bare.close();
    }
  });

  it('POST /api/runs takes the flow id in the body', async () => {
    const res = await post('/api/runs', { flowId: 'echo', inputs: { question: 'x' } });
    expect(res.json()).toMatchObject({ status: 'completed', outputs: { answer: 'x' } });
  });
});

describe('runs: bad input starts nothing and stores nothing', () => {
  const cases: [string, string, unknown, number, string, string?][] = [
    ['missing input', '/api/flows/echo/runs', { inputs: {} }, 400, 'RUN_INPUT_INVALID', 'question'],
    ['wrong input type', '/api/flows/echo/runs', { inputs: { question: 42 } }, 400, 'RUN_INPUT_INVALID', 'question'],
    [
      'unknown input',
      '/api/flows/echo/runs',
      { inputs: { question: 'a', extra: 1 } },
      400,
      'RUN_INPUT_INVALID',
      'extra',
    ],
    ['inputs not an object', '/api/flows/echo/runs', { inputs: 'hello' }, 400, 'VALIDATION_FAILED', 'body.inputs'],
    [
      'unknown body field',
      '/api/flows/echo/runs',
      { inputs: { question: 'a' }, startAt: 'x' },
      400,
      'VALIDATION_FAILED',
      'body.startAt',
    ],
    ['unknown flow', '/api/flows/nope/runs', { inputs: {} }, 404, 'FLOW_NOT_FOUND'],
    ['flow id with path characters', '/api/flows/..%2Fx/runs', { inputs: {} }, 400, 'VALIDATION_FAILED', 'params.id'],
    ['POST /api/runs without flowId', '/api/runs', { inputs: {} }, 400, 'VALIDATION_FAILED', 'body.flowId'],
  ];
  for (const [name, url, body, status, code, field] of cases) {
    it(`${name} → ${status} ${code}`, async () => {
      const res = await post(url, body);
      expect(res.statusCode).toBe(status);
      const { error } = res.json();
      expect(error.code).toBe(code);
      if (field) expect(JSON.stringify(error.details)).toContain(field);
      expect(await t.app.runtime.store.listRuns()).toEqual([]);
    });
  }

  it('malformed JSON → 400', async () => {
    const res = await post('/api/flows/echo/runs', '{"inputs":', { 'content-type': 'application/json' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('BAD_REQUEST');
    expect(await t.app.runtime.store.listRuns()).toEqual([]);
  });

  it('a draft with graph problems is saved but refuses to run: 400 FLOW_INVALID with every problem', async () => {
    const flow = echoFlow('broken');
    flow.edges = [];
    flow.nodes.push({ id: 'p', type: 'prompt', position: { x: 0, y: 0 }, params: { template: '{{missing}}' } });
    expect((await post('/api/flows', flow)).statusCode).toBe(201);
    const res = await post('/api/flows/broken/runs', { inputs: { question: 'a' } });
    expect(res.statusCode).toBe(400);
    const { error } = res.json();
    expect(error.code).toBe('FLOW_INVALID');
    expect(error.details).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ nodeId: 'answer', port: 'value' }),
        expect.objectContaining({ nodeId: 'p', port: 'missing' }),
      ]),
    );
    expect(await t.app.runtime.store.listRuns()).toEqual([]);
  });
});

describe('SSE', () => {
  it('streams every trace event as data: lines, in order, ending after the run end', async () => {
    const res = await post(
      '/api/flows/chat/runs',
      { inputs: { question: 'stream me' } },
      { accept: 'text/event-stream' },
    );
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/event-stream');
    const events = parseSse(res.body) as TraceEvent[];
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
    expect(events[0]?.type).toBe('run.started');
    expect(events.at(-1)?.type).toBe('run.completed');
    const deltas = events.filter((e) => e.type === 'node.delta').map((e) => (e.data as { text: string }).text);
    expect(deltas.join('')).toBe('echo: Q: stream me');
    // The same objects as GET /api/runs/:runId.
    const stored = (await get(`/api/runs/${events[0]?.runId}`)).json();
    expect(stored.events).toEqual(events);
    expect(stored.status).toBe('completed');
  });

  it('bad input with Accept: text/event-stream is still a JSON 400', async () => {
    const res = await post('/api/flows/echo/runs', { inputs: {} }, { accept: 'text/event-stream' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('RUN_INPUT_INVALID');
  });
});

describe('Prefer: respond-async', () => {
  const prefer = { prefer: 'respond-async' };
  /** The stored run once it has ended. */
  async function ended(runId: string) {
    await expect.poll(async () => (await get(`/api/runs/${runId}`)).json().status).not.toBe('running');
    return (await get(`/api/runs/${runId}`)).json();
  }

  it('answers 202 {runId, status: running} at once; the run goes on and is stored', async () => {
    const res = await post('/api/flows/chat/runs', { inputs: { question: 'wait [[hang]]' } }, prefer);
    expect(res.statusCode).toBe(202);
    const { runId } = res.json();
    expect(res.json()).toEqual({ runId: expect.stringMatching(/^r_/), status: 'running' });
    expect(res.headers['preference-applied']).toBe('respond-async');
    expect(res.headers.location).toBe(`/api/runs/${runId}`);
    // The model call hangs: the answer came while the run is still going.
    expect(t.app.runtime.runs.liveTrace(runId)).toBeDefined();
    expect((await get(`/api/runs/${runId}`)).json().status).toBe('running');

    expect((await post(`/api/runs/${runId}/cancel`)).json()).toMatchObject({ runId, status: 'cancelled' });
    const events = (await get(`/api/runs/${runId}`)).json().events as TraceEvent[];
    expect(events[0]?.type).toBe('run.started');
    expect(events.at(-1)?.type).toBe('run.cancelled');
  });

  it('is found among other preferences, before an SSE Accept', async () => {
    const res = await post(
      '/api/flows/echo/runs',
      { inputs: { question: 'x' } },
      { prefer: 'wait=10, Respond-Async', accept: 'text/event-stream' },
    );
    expect(res.statusCode).toBe(202);
    expect(res.headers['content-type']).toContain('application/json');
    expect(await ended(res.json().runId)).toMatchObject({ status: 'completed', outputs: { answer: 'x' } });
  });

  it('bad input is still a 400 or 404 before anything starts', async () => {
    const missing = await post('/api/flows/echo/runs', { inputs: {} }, prefer);
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.code).toBe('RUN_INPUT_INVALID');
    const unknown = await post('/api/flows/nope/runs', { inputs: {} }, prefer);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('FLOW_NOT_FOUND');
    expect((await post('/api/runs/r_000000000000000000000000/rerun', { fromNode: 'answer' }, prefer)).statusCode).toBe(
      404,
    );
    expect(await t.app.runtime.store.listRuns()).toEqual([]);
  });

  it('is documented: the 202 answer of run and rerun requests in the OpenAPI document', async () => {
    const doc = (await get('/api/docs')).json();
    for (const path of ['/api/flows/{id}/runs', '/api/runs', '/api/runs/{runId}/rerun']) {
      expect(doc.paths[path].post.responses, path).toHaveProperty(['202']);
      expect(doc.paths[path].post.description, path).toContain('Prefer: respond-async');
    }
  });

  it('a rerun answers 202 too', async () => {
    const first = (await post('/api/flows/echo/runs', { inputs: { question: 'x' } })).json();
    const res = await post(`/api/runs/${first.runId}/rerun`, { fromNode: 'answer' }, prefer);
    expect(res.statusCode).toBe(202);
    expect(res.json().runId).not.toBe(first.runId);
    expect(await ended(res.json().runId)).toMatchObject({ status: 'completed' });
  });
});

describe('history, detail, cancel, feedback', () => {
  it('lists runs newest first, filtered by flow and status, limited', async () => {
    for (const question of ['a', 'b', 'c']) await post('/api/flows/echo/runs', { inputs: { question } });
    await post('/api/flows/chat/runs', { inputs: { question: 'x [[error:401]]' } });
    const all = (await get('/api/runs')).json().runs;
    expect(all).toHaveLength(4);
    expect(all[0]).toMatchObject({ flowId: 'chat', status: 'failed' });
    expect(all[0]).toHaveProperty('startedAt');
    expect(all[0]).toHaveProperty('durationMs');
    expect((await get('/api/runs?flowId=echo')).json().runs).toHaveLength(3);
    expect((await get('/api/runs?status=failed')).json().runs).toHaveLength(1);
    const limited = (await get('/api/runs?flowId=echo&limit=2')).json().runs;
    expect(limited.map((r: { inputs: { question: string } }) => r.inputs.question)).toEqual(['c', 'b']);
  });

  it('rejects bad queries and ids', async () => {
    for (const [url, field] of [
      ['/api/runs?limit=0', 'querystring.limit'],
      ['/api/runs?limit=lots', 'querystring.limit'],
      ['/api/runs?status=sleeping', 'querystring.status'],
      ['/api/runs?flowId=../x', 'querystring.flowId'],
      ['/api/runs/not-a-run', 'params.runId'],
    ] as const) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(400);
      expect(JSON.stringify(res.json().error.details), url).toContain(field);
    }
    const unknown = await get('/api/runs/r_000000000000000000000000');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('RUN_NOT_FOUND');
  });

  it('cancels a running run at once; a second cancel is 409 RUN_NOT_RUNNING', async () => {
    const started = nodeStarted('chat', 'llm');
    const running = post('/api/flows/chat/runs', { inputs: { question: 'wait [[hang]]' } });
    const runId = await started;
    expect((await get(`/api/runs/${runId}`)).json().status).toBe('running');

    const cancel = await post(`/api/runs/${runId}/cancel`);
    expect(cancel.statusCode).toBe(200);
    expect(cancel.json()).toMatchObject({ runId, status: 'cancelled' });
    expect((await running).json()).toMatchObject({ runId, status: 'cancelled' });
    const events = (await get(`/api/runs/${runId}`)).json().events as TraceEvent[];
    expect(events.at(-1)?.type).toBe('run.cancelled');

    const again = await post(`/api/runs/${runId}/cancel`);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('RUN_NOT_RUNNING');
    expect((await post('/api/runs/r_000000000000000000000000/cancel')).statusCode).toBe(404);
  });

  it('stores feedback and rejects scores out of range', async () => {
    const { runId } = (await post('/api/flows/echo/runs', { inputs: { question: 'a' } })).json();
    const ok = await post(`/api/runs/${runId}/feedback`, { score: 0.5, comment: 'fine' });
    expect(ok.statusCode).toBe(201);
    expect(ok.json().feedback).toMatchObject({ runId, score: 0.5, comment: 'fine' });
    for (const body of [{ score: 2 }, { score: 'good' }, {}, { score: 1, rating: 5 }]) {
      const res = await post(`/api/runs/${runId}/feedback`, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_FAILED');
    }
    expect((await post('/api/runs/r_000000000000000000000000/feedback', { score: 1 })).statusCode).toBe(404);
    expect((await get(`/api/runs/${runId}`)).json().feedback).toEqual([
      expect.objectContaining({ score: 0.5, comment: 'fine' }),
    ]);
  });
});

describe('subflows', () => {
  it('ctx.services.flows runs a saved flow one level deeper, recorded as its own run', async () => {
    // A node kind that calls a saved flow, as subflow kinds do.
    t.app.runtime.registry.register(callFlow);
    const outer = echoFlow('outer');
    outer.nodes.splice(1, 0, {
      id: 'call',
      type: 'test-call-flow',
      position: { x: 0, y: 0 },
      params: { flowId: 'echo' },
    });
    outer.edges = [
      { id: 'e1', source: 'question', sourcePort: 'value', target: 'call', targetPort: 'value' },
      { id: 'e2', source: 'call', sourcePort: 'value', target: 'answer', targetPort: 'value' },
    ];
    expect((await post('/api/flows', outer)).statusCode).toBe(201);
    const res = await post('/api/flows/outer/runs', { inputs: { question: 'inner' } });
    expect(res.json()).toMatchObject({ status: 'completed', outputs: { answer: 'inner' } });
    const inner = await t.app.runtime.store.listRuns({ flowId: 'echo' });
    expect(inner).toEqual([expect.objectContaining({ status: 'completed', depth: 1, parentRunId: res.json().runId })]);

    // A flow calling itself stops at the depth limit instead of running forever.
    const loop = {
      ...outer,
      id: 'loop',
      nodes: outer.nodes.map((n) => (n.id === 'call' ? { ...n, params: { flowId: 'loop' } } : n)),
    };
    expect((await post('/api/flows', loop)).statusCode).toBe(201);
    const looped = await post('/api/flows/loop/runs', { inputs: { question: 'again' } });
    expect(looped.json()).toMatchObject({ status: 'failed', error: { code: 'SUBFLOW_DEPTH_EXCEEDED' } });
    expect(t.app.runtime.runs.liveRuns()).toEqual([]);
  });
});

describe('POST /api/runs/:runId/rerun', () => {
  it('reruns from a node: upstream outputs are reused, the node and its downstream run again', async () => {
    const first = (await post('/api/flows/chat/runs', { inputs: { question: 'first' } })).json();
    expect(first.status).toBe('completed');
    const callsBefore = fake.chatRequests().length;

    const res = await post(`/api/runs/${first.runId}/rerun`, { fromNode: 'answer' });
    expect(res.statusCode).toBe(200);
    const again = res.json();
    expect(again).toMatchObject({ status: 'completed', outputs: first.outputs });
    expect(again.runId).not.toBe(first.runId);
    // The model node is upstream of the rerun node: its answer is reused, not asked for again.
    expect(fake.chatRequests().length).toBe(callsBefore);
    const events = (await get(`/api/runs/${again.runId}`)).json().events as TraceEvent[];
    const llmDone = events.find((e) => e.type === 'node.completed' && e.nodeId === 'llm');
    expect(llmDone?.data).toMatchObject({ reused: true });

    const fromModel = (
      await post(`/api/runs/${first.runId}/rerun`, { fromNode: 'llm', inputs: { question: 'second' } })
    ).json();
    expect(fromModel.status).toBe('completed');
    expect(fake.chatRequests().length).toBe(callsBefore + 1);
  });

  it('reuses what completed upstream except input nodes, which take the rerun inputs; 409 CONFLICT while live', async () => {
    const first = (await post('/api/flows/chat/runs', { inputs: { question: 'first' } })).json();
    const again = (await post(`/api/runs/${first.runId}/rerun`, { fromNode: 'answer' })).json();
    const completed = ((await get(`/api/runs/${again.runId}`)).json().events as TraceEvent[]).filter(
      (e) => e.type === 'node.completed',
    );
    const reused = completed.filter((e) => e.type === 'node.completed' && e.data.reused).map((e) => e.nodeId);
    expect(reused.sort()).toEqual(['llm', 'prompt']);
    expect(completed.map((e) => e.nodeId).sort()).toEqual(['answer', 'llm', 'prompt', 'question']);

    const started = nodeStarted('chat', 'llm');
    const running = post('/api/flows/chat/runs', { inputs: { question: 'wait [[hang]]' } });
    const runId = await started;
    const live = await post(`/api/runs/${runId}/rerun`, { fromNode: 'answer' });
    expect([live.statusCode, live.json().error.code]).toEqual([409, 'CONFLICT']);
    await post(`/api/runs/${runId}/cancel`);
    await running;
  });

  it('answers 404 for an unknown run, 400 naming body.fromNode for an unknown node, 400 for a bad body', async () => {
    const first = (await post('/api/flows/echo/runs', { inputs: { question: 'x' } })).json();
    expect((await post('/api/runs/r_000000000000000000000000/rerun', { fromNode: 'answer' })).statusCode).toBe(404);
    const unknownNode = await post(`/api/runs/${first.runId}/rerun`, { fromNode: 'nope' });
    expect(unknownNode.statusCode).toBe(400);
    expect(unknownNode.json().error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ field: 'body.fromNode', message: 'node "nope" is not in flow "echo"' }],
    });
    const bad = await post(`/api/runs/${first.runId}/rerun`, { from: 'answer' });
    expect(bad.statusCode).toBe(400);
  });
});
