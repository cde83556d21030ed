import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on loopback in front of a server (tests: a database that goes away without touching the real one).
 * `refuse()` stops listening and cuts every connection (clients get ECONNREFUSED); `mute()` keeps connections open
 * but passes nothing on, either way (a server that stops answering); `restore()` forwards again.
 */
export interface TcpProxy {
  readonly port: number;
  refuse(): Promise<void>;
  mute(): void;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let isMuted = false;
  const pairs = new Set<[Socket, Socket]>();
  const onConnection = (client: Socket) => {
    const upstream = createConnection(target);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.on('data', (chunk) => {
      if (!isMuted) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!isMuted) client.write(chunk);
    });
  };
  let server: Server = createServer(onConnection);
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
      server.close(() => resolve());
    });
  await listen(0);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  let isListening = true;
  return {
    port,
    async refuse() {
      if (!isListening) return;
      isListening = false;
      await stop();
    },
    mute() {
      isMuted = true;
    },
    async restore() {
      isMuted = false;
      if (isListening) return;
      server = createServer(onConnection);
      await listen(port);
      isListening = true;
    },
    async close() {
      if (!isListening) return;
      isListening = false;
      await stop();
    },
  };
}
