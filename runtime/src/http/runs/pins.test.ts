import type { TraceEvent } from '@flowloom/nodes';
import { type FakeOpenAI, startFakeOpenAI } from '@flowloom/test/fake-openai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chatFlow, startTestApp, type TestApp } from '../../testing/fixtures.js';

let fake: FakeOpenAI;
let t: TestApp;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => fake.close());
beforeEach(async () => {
  fake.reset();
  t = await startTestApp({ openai: { baseURL: fake.url, apiKey: 'test' } });
  expect((await post('/api/flows', chatFlow())).statusCode).toBe(201);
});
afterEach(async () => t.close());

function post(url: string, payload?: unknown, headers?: Record<string, string>) {
  return t.app.inject({ method: 'POST', url, payload: payload as object, headers });
}
async function events(runId: string): Promise<TraceEvent[]> {
  return (await t.app.inject({ method: 'GET', url: `/api/runs/${runId}` })).json().events;
}

describe('pinned outputs (POST /api/flows/:id/runs {pins})', () => {
  it('does not call a pinned llm node: downstream gets the pinned value, node.completed says reused and pinned', async () => {
    const res = await post('/api/flows/chat/runs', {
      inputs: { question: 'hello' },
      pins: { llm: { text: 'pinned answer' } },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'completed', outputs: { answer: 'pinned answer' } });
    expect(fake.chatRequests()).toHaveLength(0);
    const llmDone = (await events(res.json().runId)).find((e) => e.type === 'node.completed' && e.nodeId === 'llm');
    expect(llmDone?.data).toMatchObject({ outputs: { text: 'pinned answer' }, reused: true, pinned: true });

    // Without pins the same flow asks the model.
    const unpinned = (await post('/api/flows/chat/runs', { inputs: { question: 'hello' } })).json();
    expect(unpinned.outputs).toEqual({ answer: 'echo: Q: hello' });
    expect(fake.chatRequests()).toHaveLength(1);
  });

  it('pins win over a rerun’s reused outputs', async () => {
    const first = (await post('/api/flows/chat/runs', { inputs: { question: 'one' } })).json();
    expect(fake.chatRequests()).toHaveLength(1);
    const again = await post(`/api/runs/${first.runId}/rerun`, { fromNode: 'llm', pins: { llm: { text: 'edited' } } });
    expect(again.json()).toMatchObject({ status: 'completed', outputs: { answer: 'edited' } });
    expect(fake.chatRequests()).toHaveLength(1);
  });

  it('records how each run was asked for: run history lists the origin of reruns, nodes alone and pinned runs', async () => {
    const first = (await post('/api/flows/chat/runs', { inputs: { question: 'one' } })).json();
    const rerun = (await post(`/api/runs/${first.runId}/rerun`, { fromNode: 'answer' })).json();
    const alone = (await post('/api/flows/chat/nodes/prompt/run', { inputs: { question: 'x' } })).json();
    const pinned = (
      await post('/api/flows/chat/runs', { inputs: { question: 'y' }, pins: { llm: { text: 'p' } } })
    ).json();
    const list = (await t.app.inject({ method: 'GET', url: '/api/runs?flowId=chat' })).json().runs as {
      runId: string;
      origin?: unknown;
    }[];
    const originOf = (runId: string) => list.find((run) => run.runId === runId)?.origin;
    expect(originOf(first.runId)).toBeUndefined();
    expect(originOf(rerun.runId)).toEqual({ rerunOf: first.runId, fromNode: 'answer' });
    expect(originOf(alone.runId)).toEqual({ node: 'prompt' });
    expect(originOf(pinned.runId)).toEqual({ pinned: ['llm'] });
    expect((await t.app.inject({ method: 'GET', url: `/api/runs/${alone.runId}` })).json().origin).toEqual({
      node: 'prompt',
    });
  });

  it('answers 400 naming body.pins.<node> for an unknown node and body.pins.<node>.<port> for a bad port', async () => {
    const unknown = await post('/api/flows/chat/runs', { inputs: { question: 'x' }, pins: { nope: { text: 'a' } } });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ field: 'body.pins.nope', message: expect.stringContaining('"nope"') }],
    });
    const badPort = await post('/api/flows/chat/runs', { inputs: { question: 'x' }, pins: { llm: { answer: 'a' } } });
    expect(badPort.statusCode).toBe(400);
    expect(badPort.json().error.details[0]).toMatchObject({
      field: 'body.pins.llm.answer',
      message: expect.stringContaining('no output "answer"'),
    });
    const notObject = await post('/api/flows/chat/runs', { inputs: { question: 'x' }, pins: { llm: 'text' } });
    expect(notObject.statusCode).toBe(400);
    // Nothing ran.
    expect(fake.chatRequests()).toHaveLength(0);
    expect(await t.app.runtime.store.listRuns({ limit: 10 })).toHaveLength(0);
  });

  it('the published endpoint never takes pins: its runs call the model', async () => {
    expect((await post('/api/flows/chat/publish', {})).statusCode).toBe(201);
    const key = (await post('/api/keys', { name: 'all' })).json().key as string;
    const authorization = `Bearer ${key}`;
    // Pinned in the editor run just before: nothing of it carries over.
    await post('/api/flows/chat/runs', { inputs: { question: 'q' }, pins: { llm: { text: 'pinned' } } });
    const published = await post('/api/v1/flows/chat/run', { inputs: { question: 'q' } }, { authorization });
    expect(published.json()).toMatchObject({ status: 'completed', outputs: { answer: 'echo: Q: q' } });
    expect(fake.chatRequests()).toHaveLength(1);
    const withPins = await post(
      '/api/v1/flows/chat/run',
      { inputs: { question: 'q' }, pins: { llm: { text: 'pinned' } } },
      { authorization },
    );
    expect(withPins.statusCode).toBe(400);
    expect(fake.chatRequests()).toHaveLength(1);
  });
});

describe('POST /api/flows/:id/nodes/:nodeId/run (one node alone)', () => {
  it('runs only that node with the given inputs, traced and recorded like any run', async () => {
    const res = await post('/api/flows/chat/nodes/llm/run', { inputs: { prompt: 'just this' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'completed', outputs: { text: 'echo: just this' } });
    expect(fake.chatRequests()).toHaveLength(1);
    const trace = await events(res.json().runId);
    const types = trace.map((e) => e.type).filter((type) => type !== 'node.delta');
    expect(types).toEqual(['run.started', 'node.started', 'node.completed', 'run.completed']);
    expect(new Set(trace.map((e) => e.nodeId).filter(Boolean))).toEqual(new Set(['llm']));
    expect(trace[1]).toMatchObject({ nodeId: 'llm', data: { inputs: { prompt: 'just this' } } });
    const stored = await t.app.runtime.store.getRun(res.json().runId);
    expect(stored).toMatchObject({ flowId: 'chat', source: 'editor', inputs: { prompt: 'just this' } });
  });

  it('runs a node whose flow inputs are required without them (the flow input is not asked for)', async () => {
    const res = await post('/api/flows/chat/nodes/prompt/run', { inputs: { question: 'alone' } });
    expect(res.json()).toMatchObject({ status: 'completed', outputs: { prompt: 'Q: alone' } });
    expect(fake.chatRequests()).toHaveLength(0);
  });

  it('answers 404 naming an unknown node, 400 naming body.inputs.<port> for a bad or missing port', async () => {
    const unknown = await post('/api/flows/chat/nodes/nope/run', { inputs: {} });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('"nope"') });
    const badPort = await post('/api/flows/chat/nodes/llm/run', { inputs: { promt: 'typo' } });
    expect(badPort.statusCode).toBe(400);
    expect(badPort.json().error.details[0]).toMatchObject({
      field: 'body.inputs.promt',
      message: expect.stringContaining('no input "promt"'),
    });
    const missing = await post('/api/flows/chat/nodes/prompt/run', { inputs: {} });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.details[0]).toMatchObject({ field: 'body.inputs.question' });
    expect((await post('/api/flows/nope/nodes/llm/run', { inputs: {} })).statusCode).toBe(404);
    expect(fake.chatRequests()).toHaveLength(0);
  });
});
