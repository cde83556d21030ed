import { join } from 'node:path';
import type { TraceEvent } from '@flowloom/nodes';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../config.js';
import { Store } from '../store/store.js';
import { buildTestApp, echoFlow, removeTempDir, startTestApp, type TestApp, tempDir } from '../testing/fixtures.js';

// socket.io `/traces` with a real client on a listening server (port 0).

let t: TestApp;
let socket: Socket;

/** A socket.io client on `/traces` of an app listening on a free port, connected. */
async function connectTo(app: TestApp['app']): Promise<Socket> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const client = connect(`http://127.0.0.1:${port}/traces`, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('connect_error', reject);
  });
  return client;
}

beforeAll(async () => {
  t = await startTestApp();
  socket = await connectTo(t.app);
});

afterAll(async () => {
  socket?.disconnect();
  await t?.close();
});

const post = (url: string, payload?: object) => t.app.inject({ method: 'POST', url, payload });

describe('subscribe {flowId}', () => {
  it('answers FLOW_NOT_FOUND for a flow that does not exist, and subscribes to one that does', async () => {
    expect(await socket.emitWithAck('subscribe', { flowId: 'no-such-flow' })).toEqual({
      ok: false,
      error: { code: 'FLOW_NOT_FOUND', message: 'flow "no-such-flow" does not exist' },
    });

    expect((await post('/api/flows', echoFlow('later'))).statusCode).toBe(201);
    expect(await socket.emitWithAck('subscribe', { flowId: 'later' })).toEqual({ ok: true });
    const seen: string[] = [];
    socket.on('trace', (event: { type: string; flowId: string }) => seen.push(`${event.flowId} ${event.type}`));
    const run = (await post('/api/flows/later/runs', { inputs: { question: 'hi' } })).json();
    expect(run.status).toBe('completed');
    await expect.poll(() => seen).toContain('later run.completed');
  });

  it('takes a published flow whose draft was deleted: its endpoint still runs', async () => {
    expect((await post('/api/flows', echoFlow('published-only'))).statusCode).toBe(201);
    expect((await post('/api/flows/published-only/publish')).statusCode).toBe(201);
    expect((await t.app.inject({ method: 'DELETE', url: '/api/flows/published-only' })).statusCode).toBe(204);
    expect(await socket.emitWithAck('subscribe', { flowId: 'published-only' })).toEqual({ ok: true });
  });
});

// A run killed with its process (kill -9): the client saw seq 0..4 live, but the last group commit (≤ 10 ms) was lost,
// so the store holds 0..2. At the next start, recovery appends run.failed at seq 3, which the client has passed.
describe('a run recovered after a crash, followed by a client that saw more than was stored', () => {
  it('still gets its end event on `subscribe {runId, afterSeq}` past the last stored seq', async () => {
    const dataDir = tempDir();
    const runId = 'r_crashed00000001';
    const store = Store.open(dataDir, { writer: 'inline' });
    const at = new Date().toISOString();
    store.insertRun({ runId, flowId: 'f', flowVersion: 1, status: 'running', inputs: {}, startedAt: at });
    store.appendEvents(
      [0, 1, 2].map(
        (seq) =>
          ({
            runId,
            flowId: 'f',
            seq,
            at,
            ...(seq === 0
              ? { type: 'run.started', data: { inputs: {} } }
              : { type: 'node.log', data: { message: 'x' } }),
          }) as TraceEvent,
      ),
    );
    // A pid no process has: the owner is gone.
    store.db.prepare('UPDATE runs SET pid = 2147483646 WHERE runId = ?').run(runId);
    store.close();

    const app = await buildTestApp(testConfig({ dataDir, templatesDir: join(dataDir, 'no-templates') }));
    const client = await connectTo(app);
    try {
      const got: TraceEvent[] = [];
      client.on('trace', (event: TraceEvent) => got.push(event));
      // The editor resubscribes from the last seq it applied (4); the ack comes after the replay.
      expect(await client.emitWithAck('subscribe', { runId, afterSeq: 4 })).toEqual({ ok: true });
      expect(got).toEqual([
        expect.objectContaining({
          seq: 3,
          type: 'run.failed',
          data: expect.objectContaining({ error: expect.objectContaining({ code: 'RUN_INTERRUPTED' }) }),
        }),
      ]);
      // A client that is not past the end gets only what follows afterSeq, as always.
      got.length = 0;
      expect(await client.emitWithAck('subscribe', { runId, afterSeq: 1 })).toEqual({ ok: true });
      expect(got.map((e) => [e.seq, e.type])).toEqual([
        [2, 'node.log'],
        [3, 'run.failed'],
      ]);
    } finally {
      client.disconnect();
      await app.close();
      removeTempDir(dataDir);
    }
  });
});
