import { type FakeOpenAI, startFakeOpenAI } from '@flowloom/test/fake-openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBin } from '../testing/bin.js';
import { type Cluster, type ClusterProcess, createCluster, TEST_REDIS_URL } from '../testing/cluster.js';
import { removeTempDir, tempDir } from '../testing/fixtures.js';
import { startTcpProxy, type TcpProxy } from '../testing/tcp-proxy.js';
import { chainFlow } from './flows.js';
import { waitFor } from './watch.js';

// An api process and a worker reach Redis and Postgres through TCP proxies the test controls: while a part is down
// new runs get 503 with a code naming it, the processes stay up, and they work again once it is back.

let fake: FakeOpenAI;
let cluster: Cluster;
let dataDir: string;
let redisProxy: TcpProxy;
let pgProxy: TcpProxy;
let api: ClusterProcess;
let worker: ClusterProcess;

beforeAll(async () => {
  buildBin();
  fake = await startFakeOpenAI();
  dataDir = tempDir('outage');
  cluster = await createCluster(dataDir, {
    OPENAI_BASE_URL: fake.url,
    OPENAI_API_KEY: 'x',
    FLOWLOOM_QUEUE_LOCK_MS: '2000',
  });
  const redis = new URL(TEST_REDIS_URL);
  redisProxy = await startTcpProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
  const database = new URL(cluster.database.url);
  pgProxy = await startTcpProxy({ host: database.hostname, port: Number(database.port || 5432) });
  database.port = String(pgProxy.port);
  const through = { REDIS_URL: `redis://127.0.0.1:${redisProxy.port}`, DATABASE_URL: database.toString() };
  [api, worker] = await Promise.all([cluster.startApi('api', through), cluster.startWorker('worker', through)]);
  const created = await run('/api/flows', chainFlow());
  expect(created.status).toBe(201);
}, 90_000);

afterAll(async () => {
  await cluster?.close();
  await redisProxy?.close();
  await pgProxy?.close();
  await fake?.close();
  removeTempDir(dataDir);
}, 30_000);

function run(path = '/api/flows/chain/runs', body: unknown = { inputs: { q: 'hello' } }) {
  return fetch(`${api.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function health(): Promise<{
  status: string;
  role: string;
  queue: { status: string };
  storage: { status: string };
}> {
  return (await (await fetch(`${api.url}/api/health`)).json()) as Awaited<ReturnType<typeof health>>;
}

describe('a part goes down and comes back', () => {
  it('Redis down: new runs get 503 QUEUE_UNAVAILABLE, health says so, and runs work again once it is back', async () => {
    await redisProxy.refuse();
    await waitFor(async () => (await health()).queue.status === 'unavailable', 30_000, 'health to see Redis down');
    expect(await health()).toMatchObject({ status: 'degraded', role: 'api', storage: { status: 'ok' } });
    const refused = await run();
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('QUEUE_UNAVAILABLE');
    // The process is up: what needs no queue answers.
    expect((await fetch(`${api.url}/api/flows/chain`)).status).toBe(200);

    await redisProxy.restore();
    await waitFor(async () => (await health()).queue.status === 'ok', 30_000, 'health to see Redis back');
    const res = await run();
    expect(await res.json()).toMatchObject({ status: 'completed', outputs: { out: 'echo: echo: echo: hello' } });
    expect(worker.child.exitCode).toBeNull();
  }, 90_000);

  it('Redis lost during a run: the run still ends completed once Redis is back', async () => {
    fake.reset();
    fake.setLatency(400);
    try {
      const pending = run();
      await waitFor(() => fake.chatRequests().some((body) => body.messages[0]?.content === 'step a'), 30_000, 'a call');
      await redisProxy.refuse();
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await redisProxy.restore();
      const res = await pending;
      expect(await res.json()).toMatchObject({ status: 'completed', outputs: { out: 'echo: echo: echo: hello' } });
    } finally {
      fake.setLatency(0);
    }
  }, 90_000);

  it('Postgres down: new runs get 503 STORE_UNAVAILABLE, and runs work again once it is back', async () => {
    await pgProxy.refuse();
    const code = await waitFor(
      async () => {
        const res = await run();
        const body = (await res.json()) as { error?: { code: string } };
        return res.status === 503 && body.error?.code === 'STORE_UNAVAILABLE' ? body.error.code : undefined;
      },
      30_000,
      'STORE_UNAVAILABLE',
    );
    expect(code).toBe('STORE_UNAVAILABLE');
    expect((await health()).storage.status).toBe('unavailable');

    await pgProxy.restore();
    await waitFor(async () => (await health()).storage.status === 'ok', 30_000, 'health to see Postgres back');
    const res = await run();
    expect(await res.json()).toMatchObject({ status: 'completed' });
    expect(api.child.exitCode).toBeNull();
    expect(worker.child.exitCode).toBeNull();
  }, 90_000);
});
