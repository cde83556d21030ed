import type { TraceEvent } from '@flowloom/nodes';
import { type FakeOpenAI, startFakeOpenAI } from '@flowloom/test/fake-openai';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../config.js';
import type { App } from '../http/app.js';
import { buildTestApp, chatFlow, echoFlow, parseSse, removeTempDir, tempDir } from '../testing/fixtures.js';

// A really listening server (port 0): SSE over HTTP, socket.io clients, and the same run seen both ways.

let fake: FakeOpenAI;
let app: App;
let base: string;
let dataDir: string;
const sockets: Socket[] = [];

beforeAll(async () => {
  fake = await startFakeOpenAI();
  dataDir = tempDir('e2e');
  app = await buildTestApp(testConfig({ dataDir, openai: { baseURL: fake.url, apiKey: 'test' } }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  for (const flow of [echoFlow(), chatFlow()]) {
    const res = await fetch(`${base}/api/flows`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(flow),
    });
    expect(res.status).toBe(201);
  }
});

afterAll(async () => {
  for (const socket of sockets) socket.disconnect();
  await app.close();
  await fake.close();
  removeTempDir(dataDir);
});

async function client(auth?: { token: string }, url = base): Promise<Socket> {
  const socket = connect(`${url}/traces`, { transports: ['websocket'], forceNew: true, reconnection: false, auth });
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

/** Collects `trace` events; `until(runId)` resolves when that run's end event arrived. */
function collect(socket: Socket) {
  const events: TraceEvent[] = [];
  const waiters: { test: (e: TraceEvent) => boolean; resolve: (e: TraceEvent) => void }[] = [];
  socket.on('trace', (event: TraceEvent) => {
    events.push(event);
    for (const waiter of [...waiters]) {
      if (waiter.test(event)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(event);
      }
    }
  });
  const when = (test: (e: TraceEvent) => boolean) =>
    new Promise<TraceEvent>((resolve) => {
      const seen = events.find(test);
      if (seen) resolve(seen);
      else waiters.push({ test, resolve });
    });
  return {
    events,
    when,
    until: (runId: string) =>
      when((e) => e.runId === runId && ['run.completed', 'run.failed', 'run.cancelled'].includes(e.type)),
    of: (runId: string) => events.filter((e) => e.runId === runId),
  };
}

describe('SSE over a listening server', () => {
  it('streams a run as data: lines and ends after the run end event', async () => {
    const res = await fetch(`${base}/api/flows/chat/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ inputs: { question: 'one two three four [[chunk-delay:5]]' } }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const runId = res.headers.get('x-run-id');
    expect(runId).toMatch(/^r_/);
    const events = parseSse(await res.text()) as TraceEvent[];
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
    expect(events.every((e) => e.runId === runId)).toBe(true);
    expect(events[0]?.type).toBe('run.started');
    expect(events.at(-1)).toMatchObject({
      type: 'run.completed',
      data: { outputs: { answer: 'echo: Q: one two three four' } },
    });
    const detail = await body(await fetch(`${base}/api/runs/${runId}`));
    expect(detail.events).toEqual(events);
  });

  it('keeps the run going when the SSE client disconnects', async () => {
    const controller = new AbortController();
    const res = await fetch(`${base}/api/flows/chat/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ inputs: { question: 'slow [[latency:150]]' } }),
      signal: controller.signal,
    });
    const runId = res.headers.get('x-run-id') as string;
    const watcher = collect(await client());
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read(); // the first event arrived: the run is live
    controller.abort();
    const ack = await sockets.at(-1)?.emitWithAck('subscribe', { runId });
    expect(ack).toEqual({ ok: true });
    const end = await watcher.until(runId);
    expect(end.type).toBe('run.completed');
  });
});

describe('socket.io /traces', () => {
  it('replays a live run to a late subscriber, then streams it, with no gap or duplicate', async () => {
    const early = collect(await client());
    expect(await sockets.at(-1)?.emitWithAck('subscribe', { flowId: 'chat' })).toEqual({ ok: true });

    const answer = fetch(`${base}/api/flows/chat/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: { question: 'wait for me [[hang]]' } }),
    });
    const llmStarted = await early.when((e) => e.type === 'node.started' && e.nodeId === 'llm');
    const runId = llmStarted.runId;

    // The run is blocked in the model call: a late subscriber gets the past first, then what follows.
    const lateSocket = await client();
    const late = collect(lateSocket);
    expect(await lateSocket.emitWithAck('subscribe', { runId })).toEqual({ ok: true });
    expect(late.of(runId).map((e) => e.seq)).toEqual(early.of(runId).map((e) => e.seq));

    const cancel = await fetch(`${base}/api/runs/${runId}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(200);
    await late.until(runId);
    await early.until(runId);
    expect((await body(await answer)).status).toBe('cancelled');

    const stored = (await body(await fetch(`${base}/api/runs/${runId}`))).events as TraceEvent[];
    expect(stored.at(-1)?.type).toBe('run.cancelled');
    expect(late.of(runId)).toEqual(stored);
    expect(early.of(runId)).toEqual(stored);

    // A subscriber after the end gets the whole run from the store.
    const afterSocket = await client();
    const after = collect(afterSocket);
    expect(await afterSocket.emitWithAck('subscribe', { runId })).toEqual({ ok: true });
    expect(after.of(runId)).toEqual(stored);
  });

  it('a flow subscription sees every new run of the flow; unsubscribe stops it', async () => {
    const socket = await client();
    const seen = collect(socket);
    expect(await socket.emitWithAck('subscribe', { flowId: 'echo' })).toEqual({ ok: true });
    const first = await body(await postRun('echo', { question: 'a' }));
    const second = await body(await postRun('echo', { question: 'b' }));
    await seen.until(first.runId);
    await seen.until(second.runId);
    expect(seen.of(first.runId).map((e) => e.seq)).toEqual(seen.of(first.runId).map((_, i) => i));

    expect(await socket.emitWithAck('unsubscribe', { flowId: 'echo' })).toEqual({ ok: true });
    const third = await body(await postRun('echo', { question: 'c' }));
    // Subscribing by id now replays the finished run once: a leftover flow subscription would have added a copy.
    expect(await socket.emitWithAck('subscribe', { runId: third.runId })).toEqual({ ok: true });
    const stored = (await body(await fetch(`${base}/api/runs/${third.runId}`))).events;
    expect(seen.of(third.runId)).toEqual(stored);
  });

  it('batch: true delivers the same events as `traces` arrays, fewer messages, replay before the ack', async () => {
    const plain = collect(await client());
    expect(await sockets.at(-1)?.emitWithAck('subscribe', { flowId: 'chat' })).toEqual({ ok: true });
    const socket = await client();
    const batches: TraceEvent[][] = [];
    socket.on('traces', (events: TraceEvent[]) => batches.push(events));
    socket.on('trace', () => batches.push([]));
    expect(await socket.emitWithAck('subscribe', { flowId: 'chat', batch: true })).toEqual({ ok: true });
    const run = await body(await postRun('chat', { question: 'batched please' }));
    await plain.until(run.runId);
    const stored = (await body(await fetch(`${base}/api/runs/${run.runId}`))).events;
    await expect.poll(() => batches.flat().filter((e) => e.runId === run.runId).length).toBe(stored.length);
    expect(batches.every((b) => b.length > 0)).toBe(true);
    expect(batches.flat().filter((e) => e.runId === run.runId)).toEqual(stored);
    expect(batches.length).toBeLessThan(stored.length);

    // A finished run replays as one message, delivered before the ack.
    const late = await client();
    const replayed: TraceEvent[][] = [];
    late.on('traces', (events: TraceEvent[]) => replayed.push(events));
    expect(await late.emitWithAck('subscribe', { runId: run.runId, batch: true })).toEqual({ ok: true });
    expect(replayed).toEqual([stored]);
  });

  it('subscribe {runId, afterSeq} sends the events after afterSeq, then live ones; from the store once finished', async () => {
    const watcher = collect(await client());
    expect(await sockets.at(-1)?.emitWithAck('subscribe', { flowId: 'chat' })).toEqual({ ok: true });
    const { runId } = await body(await postRun('chat', { question: 'hold on [[hang]]' }, { prefer: 'respond-async' }));
    await watcher.when((e) => e.runId === runId && e.type === 'node.started' && e.nodeId === 'llm');

    const socket = await client();
    const late = collect(socket);
    expect(await socket.emitWithAck('subscribe', { runId, afterSeq: 1 })).toEqual({ ok: true });
    expect(late.of(runId).map((e) => e.seq)).toEqual(
      watcher
        .of(runId)
        .map((e) => e.seq)
        .filter((seq) => seq > 1),
    );

    expect((await fetch(`${base}/api/runs/${runId}/cancel`, { method: 'POST' })).status).toBe(200);
    await late.until(runId);
    const stored = (await body(await fetch(`${base}/api/runs/${runId}`))).events;
    expect(late.of(runId)).toEqual(stored.filter((e) => e.seq > 1));

    const afterSocket = await client();
    const after = collect(afterSocket);
    expect(await afterSocket.emitWithAck('subscribe', { runId, afterSeq: 3 })).toEqual({ ok: true });
    expect(after.of(runId)).toEqual(stored.filter((e) => e.seq > 3));
  });

  it('subscribe {runId, afterSeq} replays even what a flow subscription sent, then every live event once', async () => {
    const socket = await client();
    const seen = collect(socket);
    expect(await socket.emitWithAck('subscribe', { flowId: 'chat' })).toEqual({ ok: true });
    const { runId } = await body(await postRun('chat', { question: 'mine [[hang]]' }, { prefer: 'respond-async' }));
    await seen.when((e) => e.runId === runId && e.type === 'node.started' && e.nodeId === 'llm');
    const before = seen.of(runId).length;

    // The editor ignored those (its run request had not answered yet) and asks for the run from the start.
    expect(await socket.emitWithAck('subscribe', { runId, afterSeq: -1 })).toEqual({ ok: true });
    expect(
      seen
        .of(runId)
        .slice(before)
        .map((e) => e.seq),
    ).toEqual(
      seen
        .of(runId)
        .slice(0, before)
        .map((e) => e.seq),
    );
    // Asking again with a later seq replays only what follows it.
    const replayed = seen.of(runId).length;
    expect(await socket.emitWithAck('subscribe', { runId, afterSeq: 1 })).toEqual({ ok: true });
    expect(
      seen
        .of(runId)
        .slice(replayed)
        .map((e) => e.seq),
    ).toEqual(
      seen
        .of(runId)
        .slice(0, before)
        .map((e) => e.seq)
        .filter((seq) => seq > 1),
    );
    const again = seen.of(runId).length;

    expect((await fetch(`${base}/api/runs/${runId}/cancel`, { method: 'POST' })).status).toBe(200);
    await seen.until(runId);
    const stored = (await body(await fetch(`${base}/api/runs/${runId}`))).events;
    // Live events after the requests came once, though the socket has the run both by flow and by id.
    expect(seen.of(runId).slice(again)).toEqual(stored.slice(before));
  });

  it('a client that reconnects and subscribes with the last seq it has misses nothing', async () => {
    const words = Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ');
    const { runId } = await body(
      await postRun('chat', { question: `${words} [[chunk-delay:15]]` }, { prefer: 'respond-async' }),
    );
    const socket = await client();
    const got: TraceEvent[] = [];
    const ended = new Promise<void>((resolve) => {
      socket.on('traces', (events: TraceEvent[]) => {
        for (const event of events) {
          // What a client keeps: the next event in order (a copy of an older one is dropped).
          if (event.seq !== (got.at(-1)?.seq ?? -1) + 1) continue;
          got.push(event);
          if (event.type === 'run.completed') resolve();
        }
      });
    });
    expect(await socket.emitWithAck('subscribe', { runId, afterSeq: -1, batch: true })).toEqual({ ok: true });
    await expect.poll(() => got.some((e) => e.type === 'node.delta')).toBe(true);
    socket.disconnect();
    const atDisconnect = got.length;
    await new Promise((resolve) => setTimeout(resolve, 120));
    socket.connect();
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const afterSeq = got.at(-1)?.seq ?? -1;
    expect(await socket.emitWithAck('subscribe', { runId, afterSeq, batch: true })).toEqual({ ok: true });
    await ended;
    const stored = (await body(await fetch(`${base}/api/runs/${runId}`))).events;
    expect(got).toEqual(stored);
    expect(atDisconnect).toBeLessThan(stored.length);
  });

  it('validates payloads and answers errors in the ack', async () => {
    const socket = await client();
    const invalid = [
      {},
      { runId: 42 },
      { flowId: '../x' },
      { runId: 'r_1', flowId: 'echo' },
      { flowId: 'echo', batch: 1 },
      { runId: 'r_1', afterSeq: -2 },
      { runId: 'r_1', afterSeq: 1.5 },
      { runId: 'r_1', afterSeq: '3' },
      { flowId: 'echo', afterSeq: 1 },
      'r_1',
      null,
    ];
    for (const payload of invalid) {
      const ack = await socket.emitWithAck('subscribe', payload);
      expect(ack, JSON.stringify(payload)).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    }
    expect(await socket.emitWithAck('subscribe', { runId: 'r_000000000000000000000000' })).toMatchObject({
      ok: false,
      error: { code: 'RUN_NOT_FOUND' },
    });
    expect(await socket.emitWithAck('unsubscribe', { flowId: 7 })).toMatchObject({ ok: false });
    // The connection and the server are fine afterwards.
    expect(socket.connected).toBe(true);
    expect((await fetch(`${base}/api/health`)).status).toBe(200);
  });

  it('requires the admin token in the handshake when FLOWLOOM_ADMIN_TOKEN is set', async () => {
    const dir = tempDir('e2e-auth');
    const guarded = await buildTestApp(testConfig({ dataDir: dir, adminToken: 'sesame' }));
    await guarded.listen({ port: 0, host: '127.0.0.1' });
    try {
      const address = guarded.server.address();
      const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      await expect(client(undefined, url)).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
      await expect(client({ token: 'wrong' }, url)).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
      const ok = await client({ token: 'sesame' }, url);
      expect(ok.connected).toBe(true);
      ok.disconnect();
    } finally {
      await guarded.close();
      removeTempDir(dir);
    }
  });
});

/** The fields these tests read from run answers and run details. */
interface RunJson {
  runId: string;
  status: string;
  events: TraceEvent[];
}

async function body(res: Response): Promise<RunJson> {
  return (await res.json()) as RunJson;
}

function postRun(flowId: string, inputs: Record<string, unknown>, headers: Record<string, string> = {}) {
  return fetch(`${base}/api/flows/${flowId}/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ inputs }),
  });
}
