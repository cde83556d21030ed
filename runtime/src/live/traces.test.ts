import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoFlow, startTestApp, type TestApp } from '../testing/fixtures.js';

// socket.io `/traces` with a real client on a listening server (port 0).

let t: TestApp;
let socket: Socket;

beforeAll(async () => {
  t = await startTestApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  socket = connect(`http://127.0.0.1:${port}/traces`, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
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
