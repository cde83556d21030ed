import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';

/**
 * socket.io's WebSocket engine (`wsEngine`), with one change: the frames a connection sends during one turn of the
 * event loop leave in one `writev` instead of one each. `ws` corks and uncorks the TCP socket around every frame, and
 * a run's trace events (one socket.io message each, docs/contracts.md §4) are sent from separate callbacks, so each cost a
 * system call: 15 % of the published endpoint's throughput with one subscriber (docs/performance.md). Here the first
 * frame of a turn corks the socket and `setImmediate` (the same turn's check phase, after its I/O callbacks) uncorks
 * it; cork counts nest, so `ws`'s own pairs inside change nothing. Bytes and order are exactly what `ws` wrote.
 */
export class CorkingWebSocketServer extends WebSocketServer {
  override handleUpgrade(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    callback: (client: WebSocket, request: IncomingMessage) => void,
  ): void {
    super.handleUpgrade(request, socket, head, (client, req) => {
      const send = client.send;
      let corked = false;
      const uncork = () => {
        corked = false;
        socket.uncork();
      };
      client.send = function corkedSend(this: WebSocket, ...args: Parameters<WebSocket['send']>) {
        if (!corked) {
          corked = true;
          socket.cork();
          setImmediate(uncork);
        }
        return send.apply(this, args);
      } as WebSocket['send'];
      callback(client, req);
    });
  }
}
