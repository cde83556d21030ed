import { type FakeOpenAI, startFakeOpenAI } from '@flowloom/test/fake-openai';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildBin } from '../testing/bin.js';
import { type Cluster, createCluster } from '../testing/cluster.js';
import { removeTempDir, tempDir } from '../testing/fixtures.js';
import { chainFlow } from './flows.js';

let fake: FakeOpenAI;
let cluster: Cluster;
let dataDir: string;
beforeAll(async () => {
  buildBin();
  fake = await startFakeOpenAI();
  dataDir = tempDir('cluster');
  cluster = await createCluster(dataDir, { OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'x' });
}, 60_000);
afterAll(async () => {
  await cluster?.close();
  await fake?.close();
  removeTempDir(dataDir);
});

it('an api process queues a run and a worker executes it', async () => {
  const [api] = await Promise.all([cluster.startApi('api-1'), cluster.startWorker('worker-1')]);
  const url = api.url as string;
  const health = await (await fetch(`${url}/api/health`)).json();
  expect(health).toMatchObject({ role: 'api', queue: { status: 'ok' }, storage: { kind: 'postgres' } });
  const created = await fetch(`${url}/api/flows`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(chainFlow()),
  });
  expect(created.status).toBe(201);
  const res = await fetch(`${url}/api/flows/chain/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ inputs: { q: 'hello' } }),
  });
  const body = await res.json();
  expect(body, JSON.stringify(body)).toMatchObject({
    status: 'completed',
    outputs: { out: 'echo: echo: echo: hello' },
  });
}, 60_000);
