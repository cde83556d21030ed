import { type FakeOpenAI, startFakeOpenAI } from '@flowloom/test/fake-openai';
import { Queue } from 'bullmq';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildBin } from '../testing/bin.js';
import { type Cluster, type ClusterProcess, createCluster, TEST_REDIS_URL } from '../testing/cluster.js';
import { removeTempDir, tempDir } from '../testing/fixtures.js';
import { chainFlow } from './flows.js';
import { waitFor } from './watch.js';

// 200 runs through 2 api processes while workers are killed (SIGKILL) 20 times at moments drawn from a seeded random
// sequence, each replaced by a new one (started at once; a kill waits while fewer than two are up): no run is lost or left running, and every output equals a run without faults.

const RUNS = 200;
const KILLS = 20;
const SEED = 0x5eed;

let fake: FakeOpenAI;
let cluster: Cluster;
let dataDir: string;
let db: pg.Client;
let queue: Queue;

beforeAll(async () => {
  buildBin();
  fake = await startFakeOpenAI();
  fake.setLatency(60);
  dataDir = tempDir('chaos');
  cluster = await createCluster(dataDir, {
    OPENAI_BASE_URL: fake.url,
    OPENAI_API_KEY: 'x',
    FLOWLOOM_QUEUE_LOCK_MS: '1000',
  });
  db = new pg.Client({ connectionString: cluster.database.url });
  await db.connect();
  queue = new Queue('runs', { connection: { url: TEST_REDIS_URL }, prefix: `${cluster.prefix}:bull` });
}, 60_000);

afterAll(async () => {
  await queue?.close();
  await db?.end();
  await cluster?.close();
  await fake?.close();
  removeTempDir(dataDir);
}, 30_000);

/** mulberry32: a small seeded generator, so the kill moments are the same on every run of the test. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function startRun(api: ClusterProcess, wait: boolean): Promise<{ runId: string; outputs?: unknown }> {
  const res = await fetch(`${api.url}/api/flows/chain/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(wait ? {} : { prefer: 'respond-async' }) },
    body: JSON.stringify({ inputs: { q: 'hello' } }),
  });
  expect(res.status).toBe(wait ? 200 : 202);
  return (await res.json()) as { runId: string; outputs?: unknown };
}

it(`${KILLS} worker kills at seeded random moments during ${RUNS} runs: none lost, none left running, same outputs`, async () => {
  const [api1, api2] = await Promise.all([cluster.startApi('api-1'), cluster.startApi('api-2')]);
  const workers = await Promise.all([0, 1, 2, 3].map((n) => cluster.startWorker(`worker-${n}`)));
  const created = await fetch(`${api1.url}/api/flows`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(chainFlow()),
  });
  expect(created.status).toBe(201);
  const baseline = await startRun(api1, true);

  const random = seeded(SEED);
  const spanMs = 10_000;
  const killAt = Array.from({ length: KILLS }, () => Math.round(random() * spanMs)).sort((a, b) => a - b);
  const t0 = Date.now();
  let kills = 0;
  let spawned = workers.length;
  const replacements: Promise<unknown>[] = [];
  const killer = (async () => {
    for (const at of killAt) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, t0 + at - Date.now())));
      // Keep one worker alive at least: wait for a replacement when only one is left.
      await waitFor(() => workers.length >= 2, 60_000, 'a replacement worker');
      const victim = workers.splice(Math.floor(random() * workers.length), 1)[0] as ClusterProcess;
      victim.child.kill('SIGKILL');
      kills++;
      const replacement = cluster.startWorker(`worker-${spawned++}`).then((w) => workers.push(w));
      replacements.push(replacement);
    }
  })();
  const runIds: string[] = [];
  const submitter = (async () => {
    for (let n = 0; n < RUNS; n++) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, t0 + (n * spanMs) / RUNS - Date.now())));
      runIds.push((await startRun(n % 2 === 0 ? api1 : api2, false)).runId);
    }
  })();
  await Promise.all([killer, submitter]);
  await Promise.all(replacements);
  expect(kills).toBe(KILLS);

  await waitFor(
    async () => {
      const { rows } = await db.query(
        "SELECT count(*)::int AS n FROM runs WHERE run_id = ANY($1) AND status IN ('queued', 'running')",
        [runIds],
      );
      return rows[0].n === 0;
    },
    120_000,
    'every run to end',
  );
  const { rows } = await db.query('SELECT run_id, status, outputs, attempt FROM runs WHERE run_id = ANY($1)', [runIds]);
  expect(rows).toHaveLength(RUNS);
  const notCompleted = rows.filter((r) => r.status !== 'completed');
  expect(notCompleted).toEqual([]);
  for (const r of rows) expect(JSON.parse(r.outputs), r.run_id).toEqual(baseline.outputs);
  // Runs that were taken over really were: some ran more than one attempt.
  expect(rows.some((r) => r.attempt > 1)).toBe(true);
  // Every stored log is gap-free and has one end.
  const { rows: logs } = await db.query(
    `SELECT run_id, count(*)::int AS n, max(seq) AS last,
       count(*) FILTER (WHERE type IN ('run.completed', 'run.failed', 'run.cancelled'))::int AS ends
     FROM run_events WHERE run_id = ANY($1) GROUP BY run_id`,
    [runIds],
  );
  expect(logs).toHaveLength(RUNS);
  for (const log of logs) expect({ n: log.n, ends: log.ends }, log.run_id).toEqual({ n: log.last + 1, ends: 1 });
  expect(await queue.getJobCounts('waiting', 'active', 'delayed')).toEqual({ waiting: 0, active: 0, delayed: 0 });
}, 240_000);
