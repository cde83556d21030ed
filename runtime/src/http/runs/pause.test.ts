import { join } from 'node:path';
import { MAX_VALUE_DEPTH, type TraceEvent } from '@flowloom/nodes';
import { type FakeOpenAI, startFakeOpenAI } from '@flowloom/test/fake-openai';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { testConfig } from '../../config.js';
import {
  buildTestApp,
  chatFlow,
  flowOf,
  parseSse,
  removeTempDir,
  startTestApp,
  type TestApp,
  tempDir,
} from '../../testing/fixtures.js';

// Pausing runs (docs/contracts.md §9): breakpoints and approval nodes, against a real app, real SQLite and the fake
// OpenAI server; the restart test reopens the same data folder.

let fake: FakeOpenAI;
let t: TestApp;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => fake.close());
beforeEach(async () => {
  fake.reset();
  t = await startTestApp({ openai: { baseURL: fake.url, apiKey: 'test' } });
  for (const flow of [chatFlow(), approvalFlow()]) {
    expect((await t.app.inject({ method: 'POST', url: '/api/flows', payload: flow })).statusCode).toBe(201);
  }
});
afterEach(async () => t?.close());

/** question → approval → answer, and the approval's rejected branch → rejected. */
function approvalFlow() {
  return flowOf(
    'review',
    [
      ['question', 'input'],
      ['approve', 'approval', { message: 'Send it?' }],
      ['answer', 'output', { name: 'answer' }],
      ['rejected', 'output', { name: 'rejected' }],
    ],
    ['question.value→approve.value', 'approve.value→answer.value', 'approve.rejected→rejected.value'],
  );
}

function post(url: string, payload?: unknown, headers?: Record<string, string>) {
  return t.app.inject({ method: 'POST', url, payload: payload as object, headers });
}
async function events(runId: string): Promise<TraceEvent[]> {
  return (await t.app.inject({ method: 'GET', url: `/api/runs/${runId}` })).json().events;
}
function types(list: TraceEvent[]): string[] {
  return list.map((event) => (event.nodeId ? `${event.type} ${event.nodeId}` : event.type));
}

describe('breakpoints', () => {
  it('pause before the node with its inputs; continue finishes with the outputs of a run without breakpoints', async () => {
    const plain = (await post('/api/flows/chat/runs', { inputs: { question: 'hi' } })).json();
    expect(plain.status).toBe('completed');

    const paused = await post('/api/flows/chat/runs', { inputs: { question: 'hi' }, breakpoints: ['llm'] });
    expect(paused.statusCode).toBe(200);
    expect(paused.json()).toMatchObject({ status: 'paused', outputs: {} });
    const { runId } = paused.json();
    const log = await events(runId);
    expect(types(log)).toEqual([
      'run.started',
      'node.started question',
      'node.completed question',
      'node.started prompt',
      'node.completed prompt',
      'node.paused llm',
      'run.paused',
    ]);
    expect(log.find((e) => e.type === 'node.paused')?.data).toEqual({
      reason: 'breakpoint',
      inputs: { prompt: 'Q: hi' },
    });
    expect(log.at(-1)?.data).toMatchObject({ nodeIds: ['llm'], deadline: expect.any(String) });
    expect((await t.app.runtime.store.getRun(runId))?.status).toBe('paused');
    expect(fake.requests).toHaveLength(1);

    const resumed = await post(`/api/runs/${runId}/resume`, { nodeId: 'llm', action: 'continue' });
    expect(resumed.statusCode).toBe(200);
    expect(resumed.json()).toMatchObject({ runId, status: 'completed', outputs: plain.outputs });
    const after = await events(runId);
    // Seq stays gap-free across the pause; the nodes that finished before it did not run again.
    expect(after.map((e) => e.seq)).toEqual(after.map((_, i) => i));
    expect(types(after.slice(log.length)).filter((type) => !type.startsWith('node.delta'))).toEqual([
      'run.resumed',
      'node.started llm',
      'node.completed llm',
      'node.started answer',
      'node.completed answer',
      'run.completed',
    ]);
    expect(fake.requests).toHaveLength(2);
    expect((await t.app.runtime.store.getRun(runId))?.status).toBe('completed');
  });

  it('step pauses at the next node; edited inputs change the output', async () => {
    const { runId } = (await post('/api/flows/chat/runs', { inputs: { question: 'hi' }, breakpoints: ['llm'] })).json();
    const stepped = await post(`/api/runs/${runId}/resume`, {
      nodeId: 'llm',
      action: 'step',
      inputs: { prompt: 'Q: edited' },
    });
    expect(stepped.json()).toMatchObject({ status: 'paused' });
    const log = await events(runId);
    expect(log.filter((e) => e.type === 'node.paused').map((e) => e.nodeId)).toEqual(['llm', 'answer']);
    expect(log.findLast((e) => e.type === 'node.paused')?.data).toEqual({
      reason: 'breakpoint',
      inputs: { value: 'echo: Q: edited' },
    });
    const done = await post(`/api/runs/${runId}/resume`, { nodeId: 'answer', action: 'continue' });
    expect(done.json()).toMatchObject({ status: 'completed', outputs: { answer: 'echo: Q: edited' } });
  });

  it('409 when the run is not paused or not at that node; 400 for a bad body, action or inputs', async () => {
    const { runId } = (await post('/api/flows/chat/runs', { inputs: { question: 'hi' }, breakpoints: ['llm'] })).json();
    const wrongNode = await post(`/api/runs/${runId}/resume`, { nodeId: 'prompt', action: 'continue' });
    expect(wrongNode.statusCode).toBe(409);
    expect(wrongNode.json().error.code).toBe('RUN_NOT_PAUSED');

    const badAction = await post(`/api/runs/${runId}/resume`, { nodeId: 'llm', action: 'approve' });
    expect(badAction.statusCode).toBe(400);
    expect(badAction.json().error.details).toEqual([{ field: 'body.action', message: expect.any(String) }]);
    const unknownAction = await post(`/api/runs/${runId}/resume`, { nodeId: 'llm', action: 'jump' });
    expect(unknownAction.statusCode).toBe(400);
    const badInputs = await post(`/api/runs/${runId}/resume`, {
      nodeId: 'llm',
      action: 'continue',
      inputs: { prompt: 'x', nope: 1 },
    });
    expect(badInputs.statusCode).toBe(400);
    expect(badInputs.json().error.details).toEqual([{ field: 'body.inputs.nope', message: expect.any(String) }]);
    // Nothing of that was recorded: the run still waits at llm.
    expect((await t.app.runtime.store.getRun(runId))?.status).toBe('paused');

    expect((await post(`/api/runs/${runId}/resume`, { nodeId: 'llm', action: 'continue' })).statusCode).toBe(200);
    const again = await post(`/api/runs/${runId}/resume`, { nodeId: 'llm', action: 'continue' });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('RUN_NOT_PAUSED');
    expect(
      (await post('/api/runs/r_000000000000000000000000/resume', { nodeId: 'llm', action: 'step' })).statusCode,
    ).toBe(404);
  });

  it('waits for other branches to finish; two paused nodes are resumed one by one, each announced once', async () => {
    const flow = flowOf(
      'branches',
      [
        ['question', 'input'],
        ['left', 'prompt', { template: 'L {{question}}' }],
        ['right', 'prompt', { template: 'R {{question}}' }],
        ['outLeft', 'output', { name: 'left' }],
        ['outRight', 'output', { name: 'right' }],
      ],
      [
        'question.value→left.question',
        'question.value→right.question',
        'left.prompt→outLeft.value',
        'right.prompt→outRight.value',
      ],
    );
    expect((await post('/api/flows', flow)).statusCode).toBe(201);
    const one = (
      await post('/api/flows/branches/runs', { inputs: { question: 'q' }, breakpoints: ['outLeft'] })
    ).json();
    let log = await events(one.runId);
    // The other branch ran to its end before the run paused.
    expect(types(log).indexOf('node.completed outRight')).toBeLessThan(types(log).indexOf('run.paused'));
    const done = await post(`/api/runs/${one.runId}/resume`, { nodeId: 'outLeft', action: 'continue' });
    expect(done.json()).toMatchObject({ status: 'completed', outputs: { left: 'L q', right: 'R q' } });

    const two = (
      await post('/api/flows/branches/runs', { inputs: { question: 'q' }, breakpoints: ['outLeft', 'outRight'] })
    ).json();
    log = await events(two.runId);
    expect(log.at(-1)?.data).toMatchObject({ nodeIds: ['outLeft', 'outRight'] });
    const first = await post(`/api/runs/${two.runId}/resume`, { nodeId: 'outRight', action: 'continue' });
    expect(first.json().status).toBe('paused');
    log = await events(two.runId);
    expect(log.at(-1)?.data).toMatchObject({ nodeIds: ['outLeft'] });
    expect(log.filter((e) => e.type === 'node.paused')).toHaveLength(2);
    const last = await post(`/api/runs/${two.runId}/resume`, { nodeId: 'outLeft', action: 'continue' });
    expect(last.json()).toMatchObject({ status: 'completed', outputs: { left: 'L q', right: 'R q' } });
  });

  it('after a step, a sibling still paused waits for its own decision when the other one is resumed', async () => {
    const flow = flowOf(
      'fork',
      [
        ['question', 'input'],
        ['a', 'prompt', { template: 'A {{question}}' }],
        ['b', 'output', { name: 'b' }],
        ['c', 'output', { name: 'c' }],
      ],
      ['question.value→a.question', 'a.prompt→b.value', 'a.prompt→c.value'],
    );
    expect((await post('/api/flows', flow)).statusCode).toBe(201);
    const { runId } = (await post('/api/flows/fork/runs', { inputs: { question: 'q' }, breakpoints: ['a'] })).json();
    const stepped = await post(`/api/runs/${runId}/resume`, { nodeId: 'a', action: 'step' });
    expect(stepped.json().status).toBe('paused');
    expect((await events(runId)).at(-1)?.data).toMatchObject({ nodeIds: ['b', 'c'] });

    const first = await post(`/api/runs/${runId}/resume`, { nodeId: 'b', action: 'continue' });
    expect(first.json().status).toBe('paused');
    const log = await events(runId);
    expect(log.at(-1)).toMatchObject({ type: 'run.paused', data: { nodeIds: ['c'] } });
    expect(types(log)).not.toContain('node.started c');
    // c was announced once, in the segment that paused it.
    expect(log.filter((e) => e.type === 'node.paused' && e.nodeId === 'c')).toHaveLength(1);

    const last = await post(`/api/runs/${runId}/resume`, { nodeId: 'c', action: 'continue' });
    expect(last.statusCode).toBe(200);
    expect(last.json()).toMatchObject({ status: 'completed', outputs: { b: 'A q', c: 'A q' } });
    const after = await events(runId);
    expect(after.filter((e) => e.type === 'run.resumed').map((e) => e.data)).toEqual([
      { nodeId: 'a', action: 'step' },
      { nodeId: 'b', action: 'continue' },
      { nodeId: 'c', action: 'continue' },
    ]);
    const again = await post(`/api/runs/${runId}/resume`, { nodeId: 'c', action: 'continue' });
    expect(again.statusCode).toBe(409);
  });

  it('an SSE resume streams only the new segment: run.resumed first, no earlier run.paused', async () => {
    const { runId } = (await post('/api/flows/chat/runs', { inputs: { question: 'hi' }, breakpoints: ['llm'] })).json();
    const before = await events(runId);
    const res = await post(
      `/api/runs/${runId}/resume`,
      { nodeId: 'llm', action: 'continue' },
      { accept: 'text/event-stream' },
    );
    expect(res.statusCode).toBe(200);
    const streamed = parseSse(res.body) as TraceEvent[];
    expect(streamed[0]).toMatchObject({ type: 'run.resumed', seq: before.length });
    expect(streamed.map((e) => e.type)).not.toContain('run.paused');
    expect(streamed.at(-1)?.type).toBe('run.completed');
    expect(streamed.map((e) => e.seq)).toEqual(streamed.map((_, i) => before.length + i));
  });

  it('an unknown node id is a 400 naming body.breakpoints[i]', async () => {
    const res = await post('/api/flows/chat/runs', { inputs: { question: 'hi' }, breakpoints: ['llm', 'ghost'] });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ field: 'body.breakpoints[1]', message: expect.stringContaining('ghost') }],
    });
  });

  it('an SSE run ends its stream at run.paused', async () => {
    const res = await post(
      '/api/flows/chat/runs',
      { inputs: { question: 'hi' }, breakpoints: ['answer'] },
      { accept: 'text/event-stream' },
    );
    const streamed = parseSse(res.body) as TraceEvent[];
    expect(streamed.at(-1)?.type).toBe('run.paused');
    expect(streamed.at(-2)).toMatchObject({ type: 'node.paused', nodeId: 'answer' });
  });
});

describe('approval nodes', () => {
  it('refuses an approval value nested deeper than any value may be, naming body.value; the run stays paused', async () => {
    const paused = (await post('/api/flows/review/runs', { inputs: { question: 'draft' } })).json();
    expect(paused.status).toBe('paused');
    let value: unknown = 'leaf';
    for (let i = 0; i < MAX_VALUE_DEPTH + 2; i++) value = { v: value };
    const res = await post(`/api/runs/${paused.runId}/resume`, { nodeId: 'approve', action: 'approve', value });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].field).toMatch(/^body\.value/);
    expect((await t.app.runtime.store.getRun(paused.runId))?.status).toBe('paused');
    const ok = await post(`/api/runs/${paused.runId}/resume`, { nodeId: 'approve', action: 'approve', value: 'fine' });
    expect(ok.json()).toMatchObject({ status: 'completed', outputs: { answer: 'fine' } });
  });

  it('approve passes the value on; an edited value replaces it', async () => {
    const paused = (await post('/api/flows/review/runs', { inputs: { question: 'draft' } })).json();
    expect(paused.status).toBe('paused');
    const log = await events(paused.runId);
    expect(log.find((e) => e.type === 'node.paused')).toMatchObject({
      nodeId: 'approve',
      data: { reason: 'approval', inputs: { value: 'draft' } },
    });
    const wrong = await post(`/api/runs/${paused.runId}/resume`, { nodeId: 'approve', action: 'continue' });
    expect(wrong.statusCode).toBe(400);
    const done = await post(`/api/runs/${paused.runId}/resume`, { nodeId: 'approve', action: 'approve' });
    expect(done.json()).toMatchObject({ status: 'completed', outputs: { answer: 'draft' } });

    const second = (await post('/api/flows/review/runs', { inputs: { question: 'draft' } })).json();
    const edited = await post(`/api/runs/${second.runId}/resume`, {
      nodeId: 'approve',
      action: 'approve',
      value: 'final',
    });
    expect(edited.json()).toMatchObject({ status: 'completed', outputs: { answer: 'final' } });
    expect((await events(second.runId)).find((e) => e.type === 'run.resumed')?.data).toEqual({
      nodeId: 'approve',
      action: 'approve',
      value: 'final',
    });
  });

  it('reject sends the value out on "rejected"; the approved branch is skipped', async () => {
    const paused = (await post('/api/flows/review/runs', { inputs: { question: 'draft' } })).json();
    const done = await post(`/api/runs/${paused.runId}/resume`, { nodeId: 'approve', action: 'reject' });
    expect(done.json()).toMatchObject({ status: 'completed', outputs: { rejected: 'draft' } });
    expect(done.json().outputs).not.toHaveProperty('answer');
    expect(types(await events(paused.runId))).toContain('node.skipped answer');
  });

  it('ends cancelled with PAUSE_TIMEOUT when nobody decides in time (the node’s own timeoutMs)', async () => {
    const flow = approvalFlow();
    const node = flow.nodes.find((n) => n.id === 'approve');
    if (node) node.params = { timeoutMs: 150 };
    expect((await t.app.inject({ method: 'PUT', url: '/api/flows/review', payload: flow })).statusCode).toBe(200);
    const paused = (await post('/api/flows/review/runs', { inputs: { question: 'draft' } })).json();
    expect(paused.status).toBe('paused');
    await expect
      .poll(async () => (await t.app.runtime.store.getRun(paused.runId))?.status, { timeout: 5_000 })
      .toBe('cancelled');
    expect((await t.app.runtime.store.getRun(paused.runId))?.error?.code).toBe('PAUSE_TIMEOUT');
    expect((await events(paused.runId)).at(-1)?.type).toBe('run.cancelled');
    const late = await post(`/api/runs/${paused.runId}/resume`, { nodeId: 'approve', action: 'approve' });
    expect(late.statusCode).toBe(409);
  });

  it('a resume past the time limit, before the timer fired, ends the run PAUSE_TIMEOUT and answers 409', async () => {
    const paused = (await post('/api/flows/review/runs', { inputs: { question: 'draft' } })).json();
    expect(paused.status).toBe('paused');
    // The timer waits the default hour: only the clock the resume reads is past the deadline.
    const now = Date.now();
    const clock = vi.spyOn(Date, 'now').mockReturnValue(now + 2 * 60 * 60 * 1000);
    let late: Awaited<ReturnType<typeof post>>;
    try {
      late = await post(`/api/runs/${paused.runId}/resume`, { nodeId: 'approve', action: 'approve' });
    } finally {
      clock.mockRestore();
    }
    expect(late.statusCode).toBe(409);
    expect(late.json().error.code).toBe('RUN_NOT_PAUSED');
    const row = await t.app.runtime.store.getRun(paused.runId);
    expect(row).toMatchObject({ status: 'cancelled', error: { code: 'PAUSE_TIMEOUT' } });
    const log = await events(paused.runId);
    expect(log.at(-1)?.type).toBe('run.cancelled');
    expect(types(log)).not.toContain('run.resumed');
  });

  it('a paused run cannot be rerun: 409 CONFLICT, as a running one', async () => {
    const paused = (await post('/api/flows/review/runs', { inputs: { question: 'draft' } })).json();
    const rerun = await post(`/api/runs/${paused.runId}/rerun`, { fromNode: 'approve' });
    expect(rerun.statusCode).toBe(409);
    expect(rerun.json().error).toMatchObject({
      code: 'CONFLICT',
      details: [{ runId: paused.runId, status: 'paused' }],
    });
    expect((await t.app.runtime.store.getRun(paused.runId))?.status).toBe('paused');
    // Once it ended, it can.
    await post(`/api/runs/${paused.runId}/cancel`);
    expect((await post(`/api/runs/${paused.runId}/rerun`, { fromNode: 'approve' })).statusCode).toBe(200);
  });

  it('a paused run can be cancelled; an approval inside a subflow fails with APPROVAL_UNSUPPORTED', async () => {
    const paused = (await post('/api/flows/review/runs', { inputs: { question: 'draft' } })).json();
    const cancelled = await post(`/api/runs/${paused.runId}/cancel`);
    expect(cancelled.json()).toMatchObject({ status: 'cancelled', error: { code: 'RUN_CANCELLED' } });
    expect((await events(paused.runId)).at(-1)?.type).toBe('run.cancelled');

    const outer = flowOf(
      'outer',
      [
        ['question', 'input'],
        ['inner', 'subflow', { flowId: 'review', inputNames: ['question'], outputNames: ['answer'] }],
        ['answer', 'output', { name: 'answer' }],
      ],
      ['question.value→inner.question', 'inner.answer→answer.value'],
    );
    expect((await post('/api/flows', outer)).statusCode).toBe(201);
    const run = (await post('/api/flows/outer/runs', { inputs: { question: 'x' } })).json();
    expect(run).toMatchObject({ status: 'failed', error: { code: 'APPROVAL_UNSUPPORTED' } });
  });

  it('experiment, flow-test and CLI runs do not pause: the approval node fails with APPROVAL_UNSUPPORTED', async () => {
    for (const source of ['experiment', 'test', 'cli'] as const) {
      const started = await t.app.runtime.runs.startSaved('review', { inputs: { question: 'draft' }, source });
      const run = await started.done;
      expect(run, source).toMatchObject({ status: 'failed', error: { code: 'APPROVAL_UNSUPPORTED' } });
      expect(types(await events(run.runId))).not.toContain('node.paused approve');
    }
    // An editor run of the same flow pauses there.
    expect((await post('/api/flows/review/runs', { inputs: { question: 'draft' } })).json().status).toBe('paused');
  });

  it('a published caller resumes with the key that made the run; another key gets a 404', async () => {
    expect((await post('/api/flows/review/publish', {})).statusCode).toBe(201);
    const key = (await post('/api/keys', { name: 'maker' })).json().key as string;
    const other = (await post('/api/keys', { name: 'other' })).json().key as string;
    const made = await post(
      '/api/v1/flows/review/run',
      { inputs: { question: 'draft' } },
      { authorization: `Bearer ${key}` },
    );
    expect(made.json()).toMatchObject({ status: 'paused' });
    const { runId } = made.json();
    const body = { nodeId: 'approve', action: 'approve', value: 'ok' };
    const stranger = await post(`/api/v1/runs/${runId}/resume`, body, { authorization: `Bearer ${other}` });
    expect(stranger.statusCode).toBe(404);
    const owner = await post(`/api/v1/runs/${runId}/resume`, body, { authorization: `Bearer ${key}` });
    expect(owner.statusCode).toBe(200);
    expect(owner.json()).toMatchObject({ runId, status: 'completed', outputs: { answer: 'ok' } });
  });
});

describe('v1 resume', () => {
  it('refuses a browser key with 403 FORBIDDEN: a page visitor cannot approve their own run', async () => {
    const shop = 'https://shop.example';
    expect((await post('/api/flows/review/publish', {})).statusCode).toBe(201);
    const created = await post('/api/keys', { name: 'widget', kind: 'browser', flows: ['review'], origins: [shop] });
    expect(created.statusCode, created.body).toBe(201);
    const headers = { authorization: `Bearer ${created.json().key}`, origin: shop };
    const made = await post('/api/v1/flows/review/run', { inputs: { question: 'draft' } }, headers);
    expect(made.json()).toMatchObject({ status: 'paused' });
    const { runId } = made.json();
    const refused = await post(`/api/v1/runs/${runId}/resume`, { nodeId: 'approve', action: 'approve' }, headers);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('secret key') });
    // Nothing was decided: the run still waits at the approval node.
    expect((await t.app.runtime.store.getRun(runId))?.status).toBe('paused');
    expect(types(await events(runId))).not.toContain('run.resumed');
  });
});

describe('socket.io', () => {
  it('a run subscriber gets node.paused, run.paused, then run.resumed and the rest on the same subscription', async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const socket: Socket = connect(`http://127.0.0.1:${port}/traces`, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
    });
    try {
      const seen: string[] = [];
      socket.on('trace', (event: TraceEvent) => seen.push(event.type));
      // Started async: the resume below is sent as soon as the socket shows run.paused.
      const accepted = await post(
        '/api/flows/review/runs',
        { inputs: { question: 'draft' } },
        { prefer: 'respond-async' },
      );
      expect(accepted.statusCode).toBe(202);
      const { runId } = accepted.json();
      expect(await socket.emitWithAck('subscribe', { runId, afterSeq: -1 })).toEqual({ ok: true });
      await expect.poll(() => seen.at(-1)).toBe('run.paused');
      expect(seen.slice(-2)).toEqual(['node.paused', 'run.paused']);
      const resumed = await post(`/api/runs/${runId}/resume`, { nodeId: 'approve', action: 'approve' });
      expect(resumed.statusCode).toBe(200);
      await expect.poll(() => seen.at(-1)).toBe('run.completed');
      expect(seen).toContain('run.resumed');
      // Each event once, in order.
      expect(seen.filter((type) => type === 'run.paused')).toHaveLength(1);
    } finally {
      socket.disconnect();
    }
  });
});

describe('a restart', () => {
  it('ends a paused run whose deadline passed while no runtime ran: cancelled, PAUSE_TIMEOUT', async () => {
    const dataDir = tempDir();
    const config = () =>
      testConfig({
        dataDir,
        templatesDir: join(dataDir, 'none'),
        pauseTimeoutMs: 300,
        openai: { baseURL: fake.url, apiKey: 'test' },
      });
    try {
      let app = await buildTestApp(config());
      expect((await app.inject({ method: 'POST', url: '/api/flows', payload: approvalFlow() })).statusCode).toBe(201);
      const paused = await app.inject({
        method: 'POST',
        url: '/api/flows/review/runs',
        payload: { inputs: { question: 'x' } },
      });
      const { runId } = paused.json();
      await app.close();
      await new Promise((resolve) => setTimeout(resolve, 400));
      app = await buildTestApp(config());
      try {
        await expect.poll(async () => (await app.runtime.store.getRun(runId))?.status).toBe('cancelled');
        expect((await app.runtime.store.getRun(runId))?.error?.code).toBe('PAUSE_TIMEOUT');
      } finally {
        await app.close();
      }
    } finally {
      removeTempDir(dataDir);
    }
  });

  it('keeps a paused run: resumed by a new runtime on the same data, finished nodes do not run again', async () => {
    const dataDir = tempDir();
    const config = () =>
      testConfig({ dataDir, templatesDir: join(dataDir, 'none'), openai: { baseURL: fake.url, apiKey: 'test' } });
    try {
      let app = await buildTestApp(config());
      expect((await app.inject({ method: 'POST', url: '/api/flows', payload: chatFlow() })).statusCode).toBe(201);
      const paused = await app.inject({
        method: 'POST',
        url: '/api/flows/chat/runs',
        payload: { inputs: { question: 'again' }, breakpoints: ['answer'] },
      });
      expect(paused.json().status).toBe('paused');
      const { runId } = paused.json();
      expect(fake.requests).toHaveLength(1);
      await app.close();

      app = await buildTestApp(config());
      try {
        expect((await app.runtime.store.getRun(runId))?.status).toBe('paused');
        const done = await app.inject({
          method: 'POST',
          url: `/api/runs/${runId}/resume`,
          payload: { nodeId: 'answer', action: 'continue' },
        });
        expect(done.json()).toMatchObject({ status: 'completed', outputs: { answer: 'echo: Q: again' } });
        // The model was called once, before the restart: the llm node did not run again.
        expect(fake.requests).toHaveLength(1);
        const log = (await app.inject({ method: 'GET', url: `/api/runs/${runId}` })).json().events as TraceEvent[];
        expect(log.filter((e) => e.type === 'node.started' && e.nodeId === 'llm')).toHaveLength(1);
      } finally {
        await app.close();
      }
    } finally {
      removeTempDir(dataDir);
    }
  });
});
