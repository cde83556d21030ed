import { type FakeOpenAI, startFakeOpenAI } from '@flowloom/test/fake-openai';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chatFlow, echoFlow, parseSse, startTestApp, type TestApp } from '../../testing/fixtures.js';

// Feedback on runs (docs/contracts.md §7): the editor's route on any run, and published callers' on their own runs.

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
    expect((await post('/api/flows', flow)).statusCode).toBe(201);
    expect((await post(`/api/flows/${flow.id}/publish`, {})).statusCode).toBe(201);
  }
});
afterEach(async () => t.close());

function post(url: string, payload?: unknown, headers?: Record<string, string>) {
  return t.app.inject({ method: 'POST', url, payload: payload as object, headers });
}
async function createKey(name: string): Promise<string> {
  const res = await post('/api/keys', { name });
  expect(res.statusCode).toBe(201);
  return res.json().key;
}
async function draftRun(): Promise<string> {
  return (await post('/api/flows/chat/runs', { inputs: { question: 'hi' } })).json().runId;
}

describe('POST /api/runs/:runId/feedback', () => {
  it('takes thumbs with a comment, a node rating with a correction, updates by id and withdraws with null', async () => {
    const runId = await draftRun();
    const thumbs = await post(`/api/runs/${runId}/feedback`, {
      id: 'chat-turn-1',
      score: 1,
      comment: 'nice',
      source: 'editor',
    });
    expect(thumbs.statusCode).toBe(201);
    expect(thumbs.json().feedback).toEqual({
      id: 'chat-turn-1',
      runId,
      key: 'user',
      score: 1,
      comment: 'nice',
      source: 'editor',
      author: 'admin',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const node = await post(`/api/runs/${runId}/feedback`, {
      key: 'answer-quality',
      nodeId: 'llm',
      score: -1,
      correction: 'A better answer',
    });
    expect(node.statusCode).toBe(201);
    expect(node.json().feedback).toMatchObject({
      id: expect.stringMatching(/^fb_[0-9a-f]{24}$/),
      nodeId: 'llm',
      correction: 'A better answer',
      source: 'api',
    });

    const changed = await post(`/api/runs/${runId}/feedback`, { id: 'chat-turn-1', score: -1, comment: 'wrong' });
    expect(changed.json().feedback).toMatchObject({ id: 'chat-turn-1', score: -1, comment: 'wrong' });
    let detail = (await t.app.inject({ method: 'GET', url: `/api/runs/${runId}` })).json();
    expect(detail.feedback.map((f: { id: string; score: number }) => [f.id, f.score])).toEqual([
      ['chat-turn-1', -1],
      [node.json().feedback.id, -1],
    ]);

    const withdrawn = await post(`/api/runs/${runId}/feedback`, { id: 'chat-turn-1', score: null });
    expect(withdrawn.statusCode).toBe(201);
    expect(withdrawn.json().feedback.score).toBeNull();
    detail = (await t.app.inject({ method: 'GET', url: `/api/runs/${runId}` })).json();
    expect(detail.feedback.map((f: { id: string }) => f.id)).toEqual([node.json().feedback.id]);
  });

  it('keeps the old body {score, comment} working', async () => {
    const runId = await draftRun();
    const res = await post(`/api/runs/${runId}/feedback`, { score: 0.5, comment: 'fine' });
    expect(res.statusCode).toBe(201);
    expect(res.json().feedback).toMatchObject({ runId, score: 0.5, comment: 'fine', key: 'user' });
  });

  it('keeps ids per run: the same id on another run is other feedback', async () => {
    const runId = await draftRun();
    const other = await draftRun();
    expect((await post(`/api/runs/${other}/feedback`, { id: 'editor', score: 1 })).statusCode).toBe(201);
    expect((await post(`/api/runs/${runId}/feedback`, { id: 'editor', score: -1 })).statusCode).toBe(201);
    expect((await t.app.runtime.store.listFeedback(other)).map((f) => [f.id, f.score])).toEqual([['editor', 1]]);
    expect((await t.app.runtime.store.listFeedback(runId)).map((f) => [f.id, f.score])).toEqual([['editor', -1]]);
  });

  it('takes the editor’s id for a node with a long id (128 characters)', async () => {
    const nodeId = `n${'x'.repeat(127)}`;
    const flow = echoFlow('long-node');
    flow.nodes = flow.nodes.map((node) => (node.type === 'output' ? { ...node, id: nodeId } : node));
    flow.edges = flow.edges.map((edge) => ({ ...edge, target: nodeId }));
    expect((await post('/api/flows', flow)).statusCode).toBe(201);
    const runId = (await post('/api/flows/long-node/runs', { inputs: { question: 'hi' } })).json().runId;
    const res = await post(`/api/runs/${runId}/feedback`, { id: `editor.${nodeId}`, nodeId, score: 1 });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().feedback).toMatchObject({ id: `editor.${nodeId}`, nodeId });
  });

  it('refuses bad bodies naming the field, unknown runs and nodes; stores nothing', async () => {
    const runId = await draftRun();
    const other = await draftRun();
    expect((await post(`/api/runs/${other}/feedback`, { id: 'taken', score: 1 })).statusCode).toBe(201);
    for (const [body, field] of [
      [{ score: 2 }, 'score'],
      [{ score: 1, id: 'has space' }, 'id'],
      [{ score: 1, source: 'Editor!' }, 'source'],
      [{ score: 1, key: '' }, 'key'],
      [{ comment: 'no score' }, 'score'],
    ] as const) {
      const res = await post(`/api/runs/${runId}/feedback`, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_FAILED');
      expect(JSON.stringify(res.json().error.details)).toContain(field);
    }
    const node = await post(`/api/runs/${runId}/feedback`, { score: 1, nodeId: 'nope' });
    expect(node.statusCode).toBe(400);
    expect(node.json().error.details).toEqual([{ field: 'body.nodeId', message: expect.stringContaining('nope') }]);
    expect((await post('/api/runs/r_000000000000000000000000/feedback', { score: 1 })).statusCode).toBe(404);
    expect(await t.app.runtime.store.listFeedback(runId)).toEqual([]);
    expect((await t.app.runtime.store.listFeedback(other))[0]?.score).toBe(1);
  });
});

describe('published answers carry their run id, and callers rate their own runs', () => {
  it('names the run in the run endpoint’s JSON and header, in SSE headers and in the OpenAI face’s id', async () => {
    const key = await createKey('caller');
    const auth = { authorization: `Bearer ${key}` };
    const json = await post('/api/v1/flows/echo/run', { inputs: { question: 'a' } }, auth);
    expect(json.headers['x-flowloom-run-id']).toBe(json.json().runId);
    const sse = await post(
      '/api/v1/flows/echo/run',
      { inputs: { question: 'a' } },
      {
        ...auth,
        accept: 'text/event-stream',
      },
    );
    const events = parseSse(sse.body) as { runId: string }[];
    expect(sse.headers['x-flowloom-run-id']).toBe(events[0]?.runId);

    const failed = await post(
      '/api/v1/chat/completions',
      { model: 'chat', messages: [{ role: 'user', content: 'x [[error:500]]' }] },
      auth,
    );
    expect(failed.statusCode).toBe(502);
    expect(failed.headers['x-flowloom-run-id']).toMatch(/^r_/);

    const client = new OpenAI({ baseURL: `${await listen()}/api/v1`, apiKey: key, maxRetries: 0 });
    const { data, response } = await client.chat.completions
      .create({ model: 'chat', messages: [{ role: 'user', content: 'hello' }] })
      .withResponse();
    const runId = response.headers.get('x-flowloom-run-id');
    expect(data.id).toBe(`chatcmpl-${runId}`);
    // The OpenAI face's id is taken as it is.
    const rated = await post(`/api/v1/runs/${data.id}/feedback`, { score: 1, comment: 'thanks' }, auth);
    expect(rated.statusCode).toBe(201);
    expect(rated.json().feedback).toMatchObject({ runId, score: 1, source: 'api' });
  });

  it('accepts only the key that made the run: another key, a draft run or an unknown run is a 404', async () => {
    const mine = await createKey('mine');
    const theirs = await createKey('theirs');
    const { runId } = (
      await post('/api/v1/flows/echo/run', { inputs: { question: 'a' } }, { authorization: `Bearer ${mine}` })
    ).json();
    const draft = await draftRun();
    for (const [id, secret] of [
      [runId, theirs],
      [draft, mine],
      ['r_000000000000000000000000', mine],
    ] as const) {
      const res = await post(`/api/v1/runs/${id}/feedback`, { score: 1 }, { authorization: `Bearer ${secret}` });
      expect(res.statusCode, id).toBe(404);
      expect(res.json().error.code).toBe('RUN_NOT_FOUND');
    }
    expect((await post(`/api/v1/runs/${runId}/feedback`, { score: 1 })).statusCode).toBe(401);
    expect(await t.app.runtime.store.listFeedback(runId)).toEqual([]);
    const ok = await post(
      `/api/v1/runs/${runId}/feedback`,
      { id: 'w-1', score: -1, correction: 'b', source: 'widget' },
      { authorization: `Bearer ${mine}` },
    );
    expect(ok.statusCode).toBe(201);
    expect(await t.app.runtime.store.listFeedback(runId)).toEqual([
      expect.objectContaining({ id: 'w-1', score: -1, correction: 'b', source: 'widget' }),
    ]);
  });

  it('keeps a key to its own feedback: it cannot replace or withdraw the editor’s, nor claim another source', async () => {
    const secret = await createKey('caller');
    const key = (await t.app.runtime.keys.list()).find((k) => k.name === 'caller');
    const auth = { authorization: `Bearer ${secret}` };
    const { runId } = (await post('/api/v1/flows/echo/run', { inputs: { question: 'a' } }, auth)).json();
    const editor = await post(`/api/runs/${runId}/feedback`, { id: 'editor', score: -1, source: 'editor' });
    expect(editor.json().feedback).toMatchObject({ author: 'admin', source: 'editor' });

    for (const score of [1, null]) {
      const res = await post(`/api/v1/runs/${runId}/feedback`, { id: 'editor', score }, auth);
      expect(res.statusCode).toBe(409);
      expect(res.json().error.code).toBe('CONFLICT');
    }
    for (const source of ['editor', 'admin']) {
      const res = await post(`/api/v1/runs/${runId}/feedback`, { score: 1, source }, auth);
      expect(res.statusCode).toBe(400);
      expect(JSON.stringify(res.json().error.details)).toContain('source');
    }
    const own = await post(`/api/v1/runs/${runId}/feedback`, { id: 'w', score: 1, source: 'widget' }, auth);
    expect(own.json().feedback).toMatchObject({ id: 'w', author: `key:${key?.id}`, source: 'widget' });
    expect((await post(`/api/v1/runs/${runId}/feedback`, { id: 'w', score: null }, auth)).statusCode).toBe(201);
    // Nor does the editor change a caller's feedback.
    expect((await post(`/api/runs/${runId}/feedback`, { id: 'w', score: -1 })).statusCode).toBe(409);
    expect((await t.app.runtime.store.listFeedback(runId)).map((f) => [f.id, f.score, f.author])).toEqual([
      ['editor', -1, 'admin'],
    ]);
  });
});

/** The app on a real port (the openai SDK needs one); closed with the app. */
async function listen(): Promise<string> {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}
