import { AppError } from '@flowloom/nodes';
import { Redis, type RedisOptions } from 'ioredis';
import { describeRedisUrl } from './keys.js';

/** Reconnects quickly at first, then every second: a Redis that comes back is used again within about a second. */
function retryStrategy(times: number): number {
  return Math.min(50 * times, 1000);
}

/**
 * The Redis connections of one process and whether Redis is reachable. `command` fails fast while Redis is down (no
 * offline queue: a request must get 503 QUEUE_UNAVAILABLE, not wait); `durable` waits and retries in order (events a
 * worker relays, which must not be lost or reordered by a short outage); blocking reads and subscriptions get their own
 * connection each (`open`).
 */
export class RedisConnections {
  readonly url: string;
  readonly command: Redis;
  readonly durable: Redis;
  readonly #extra = new Set<Redis>();
  #isUp = false;

  private constructor(url: string) {
    this.url = url;
    this.command = this.open({ enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    // The commands of one tick (a run's relays, several runs' events) leave in one write.
    this.durable = this.open({ maxRetriesPerRequest: null, enableAutoPipelining: true });
    this.command.on('ready', () => {
      this.#isUp = true;
    });
    this.command.on('close', () => {
      this.#isUp = false;
    });
  }

  /**
   * Connects and checks that Redis answers within `timeoutMs`; otherwise closes what it opened and throws an error
   * that names REDIS_URL (the process stops at start with it).
   */
  static async connect(url: string, timeoutMs = 5000): Promise<RedisConnections> {
    const connections = new RedisConnections(url);
    try {
      await waitReady(connections.command, timeoutMs);
      connections.#isUp = true;
      return connections;
    } catch (err) {
      await connections.close();
      const reason = err instanceof Error ? err.message : String(err);
      throw new Error(`REDIS_URL: cannot reach Redis at ${describeRedisUrl(url)}: ${reason}`, { cause: err });
    }
  }

  /** A new connection to the same Redis, closed with the others (BullMQ, blocking reads, subscriptions). */
  open(options: RedisOptions = {}): Redis {
    const client = new Redis(this.url, {
      retryStrategy,
      connectTimeout: 5000,
      lazyConnect: false,
      ...options,
    });
    // An unreachable Redis emits `error` on every failed reconnect: expected while it is down, and not fatal.
    client.on('error', () => {});
    this.#extra.add(client);
    return client;
  }

  /** False while the last state of the command connection is not `ready` (Redis stopped, network lost). */
  get isUp(): boolean {
    return this.#isUp && this.command.status === 'ready';
  }

  /** Throws QUEUE_UNAVAILABLE (503) when Redis is known to be unreachable, without asking it. */
  assertAvailable(): void {
    if (!this.isUp)
      throw new AppError('QUEUE_UNAVAILABLE', 'the run queue (Redis) is not reachable; try again shortly', {
        status: 503,
        retryable: true,
      });
  }

  /** True when Redis answers a PING within `timeoutMs`. */
  async ping(timeoutMs = 2000): Promise<boolean> {
    if (!this.isUp) return false;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.command.ping().then((answer) => answer === 'PONG'),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), timeoutMs);
        }),
      ]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled(
      [...this.#extra].map(async (client) => {
        try {
          if (client.status === 'ready') await client.quit();
          else client.disconnect();
        } catch {
          client.disconnect();
        }
      }),
    );
    this.#extra.clear();
  }
}

function waitReady(client: Redis, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    let lastError: unknown;
    const onError = (err: unknown) => {
      lastError = err;
    };
    const timer = setTimeout(() => {
      cleanup();
      const reason = lastError instanceof Error ? lastError.message : 'no answer';
      reject(new Error(`no connection within ${timeoutMs} ms (${reason})`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('error', onError);
    };
    client.on('ready', onReady);
    client.on('error', onError);
  });
}
