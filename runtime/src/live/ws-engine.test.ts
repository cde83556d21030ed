import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { CorkingWebSocketServer } from './ws-engine.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/**
 * A server of `engine` whose connection, on the client's `go`, sends four frames from different callbacks of one loop
 * turn: synchronously, from a microtask, from `process.nextTick` and from a nextTick queued by that one. Answers
 * what was sent, what the client received, and how many writes reached the TCP socket meanwhile.
 */
async function framesAndWrites(
  engine: new (options: { noServer: true }) => WebSocketServer,
): Promise<{ sent: string[]; received: string[]; writes: number }> {
  const wss = new engine({ noServer: true });
  let writes = 0;
  const sent: string[] = [];
  server = createServer();
  server.on('upgrade', (request, socket: Duplex, head) => {
    // Count what leaves: every write the stream hands to the socket, single or vectored.
    const stream = socket as Duplex & { _write: Duplex['_write']; _writev?: Duplex['_writev'] };
    const write = stream._write.bind(stream);
    const writev = stream._writev?.bind(stream);
    stream._write = (...args) => {
      writes++;
      write(...args);
    };
    if (writev) {
      stream._writev = (...args) => {
        writes++;
        writev(...args);
      };
    }
    wss.handleUpgrade(request, socket, head, (client) => {
      const send = (frame: string) => {
        sent.push(frame);
        client.send(frame);
      };
      client.on('message', () => {
        writes = 0;
        send('a');
        queueMicrotask(() => send('b'));
        process.nextTick(() => {
          send('c');
          process.nextTick(() => send('d'));
        });
      });
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = new WebSocket(`ws://127.0.0.1:${port}`);
  const received: string[] = [];
  await new Promise<void>((resolve, reject) => {
    client.on('open', () => client.send('go'));
    client.on('message', (data) => {
      received.push(String(data));
      if (received.length === 4) resolve();
    });
    client.on('error', reject);
  });
  const result = { sent, received, writes };
  client.close();
  await new Promise((resolve) => client.on('close', resolve));
  return result;
}

describe('CorkingWebSocketServer', () => {
  it('sends the frames of one loop turn in one write, unchanged and in order', async () => {
    const corked = await framesAndWrites(CorkingWebSocketServer);
    expect(corked.sent).toHaveLength(4);
    expect(corked.received).toEqual(corked.sent);
    expect(corked.writes).toBe(1);
    // What `ws` alone does with the same frames: one write each (the system call per trace event it saves).
    const plain = await framesAndWrites(WebSocketServer);
    expect(plain.received).toEqual(plain.sent);
    expect(plain.writes).toBeGreaterThan(1);
  });
});
