import type { TraceEvent } from '@flowloom/nodes';
import { type FakeOpenAI, startFakeOpenAI } from '@flowloom/test/fake-openai';
import { Queue } from 'bullmq';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBin } from '../testing/bin.js';
import { type Cluster, type ClusterProcess, createCluster, TEST_REDIS_URL } from '../testing/cluster.js';
import { removeTempDir, tempDir } from '../testing/fixtures.js';
import { chainFlow } from './flows.js';
import { isEnded, isGapFree, type Watcher, waitFor, watch } from './watch.js';

// Two api processes and two workers on the local Postgres and Redis; workers are killed, an api process is killed,
// a worker is stopped with SIGTERM, and no run is lost, left running, or has a finished node's model call repeated.

let fake: FakeOpenAI;
let cluster: Cluster;
let dataDir: string;
let db: pg.Client;
let queue: Queue;
const apis: ClusterProcess[] = [];
const workers: ClusterProcess[] = [];
const watchers: Watcher[] = [];

const EXPECTED = { out: 'echo: echo: echo: hello' };

beforeAll(async () => {
  buildBin();
  fake = await startFakeOpenAI();
  dataDir = tempDir('cluster');
  cluster = await createCluster(dataDir, {
    OPENAI_BASE_URL: fake.url,
    OPENAI_API_KEY: 'x',
    FLOWLOOM_QUEUE_LOCK_MS: '3000',
  });
  const started = await Promise.all([
    cluster.startApi('api-1'),
    cluster.startApi('api-2'),
    cluster.startWorker('worker-1'),
    cluster.startWorker('worker-2'),
  ]);
  apis.push(...started.slice(0, 2));
  workers.push(...started.slice(2));
  db = new pg.Client({ connectionString: cluster.database.url });
  await db.connect();
  queue = new Queue('runs', { connection: { url: TEST_REDIS_URL }, prefix: `${cluster.prefix}:bull` });
  const created = await post(apis[0] as ClusterProcess, '/api/flows', chainFlow());
  expect(created.status).toBe(201);
}, 90_000);

afterAll(async () => {
  for (const watcher of watchers) watcher.close();
  await queue?.close();
  await db?.end();
  await cluster?.close();
  await fake?.close();
  removeTempDir(dataDir);
}, 30_000);

function post(api: ClusterProcess, path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${api.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

/** Starts a chain run through an api process without waiting for it (`Prefer: respond-async`). */
async function startRun(api: ClusterProcess): Promise<string> {
  const res = await post(api, '/api/flows/chain/runs', { inputs: { q: 'hello' } }, { prefer: 'respond-async' });
  expect(res.status).toBe(202);
  return ((await res.json()) as { runId: string }).runId;
}

async function row(runId: string): Promise<{ status: string; attempt: number; pid: number; outputs: string | null }> {
  const result = await db.query('SELECT status, attempt, pid, outputs FROM runs WHERE run_id = $1', [runId]);
  return result.rows[0];
}

/** Model calls made so far for one chain node (`step a`...). */
function callsOf(node: string): number {
  return fake.chatRequests().filter((body) => body.messages[0]?.content === `step ${node}`).length;
}

async function watcherOn(api: ClusterProcess): Promise<Watcher> {
  const watcher = await watch(api.url as string);
  watchers.push(watcher);
  return watcher;
}

function completedNodes(events: readonly TraceEvent[] | undefined): string[] {
  return (events ?? []).filter((e) => e.type === 'node.completed' && !e.parentSpanId).map((e) => e.nodeId as string);
}

describe('a cluster of 2 api processes and 2 workers', () => {
  it('api processes report their role and the queue in health, and run a flow through a worker', async () => {
    fake.reset();
    const api = apis[1] as ClusterProcess;
    const health = await (await fetch(`${api.url}/api/health`)).json();
    expect(health).toMatchObject({ role: 'api', queue: { status: 'ok' }, storage: { kind: 'postgres' } });
    const res = await post(api, '/api/flows/chain/runs', { inputs: { q: 'hello' } });
    expect(await res.json()).toMatchObject({ status: 'completed', outputs: EXPECTED });
  }, 60_000);

  it('a flow subscription on one api process gets the runs started through the other; SSE streams from a worker', async () => {
    fake.reset();
    const [api1, api2] = apis as [ClusterProcess, ClusterProcess];
    const watcher = await watcherOn(api2);
    await new Promise<void>((resolve, reject) => {
      watcher.socket.emit('subscribe', { flowId: 'chain' }, (ack: { ok: boolean }) =>
        ack.ok ? resolve() : reject(new Error('subscribe failed')),
      );
    });
    const runId = await startRun(api1);
    await waitFor(() => isEnded(watcher.events.get(runId)), 30_000, 'the run on the flow subscription');
    expect(isGapFree(watcher.events.get(runId) ?? [])).toBe(true);

    const sse = await post(api2, '/api/flows/chain/runs', { inputs: { q: 'hello' } }, { accept: 'text/event-stream' });
    const lines = (await sse.text()).split('\n').filter((line) => line.startsWith('data: '));
    const events = lines.map((line) => JSON.parse(line.slice(6)) as TraceEvent);
    expect(isGapFree(events)).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'run.completed', data: { outputs: EXPECTED } });
  }, 60_000);

  it('a flow subscription gets the whole run when the run ended before its announcement reached the api process', async () => {
    fake.reset();
    fake.setLatency(0);
    const [api1, api2] = apis as [ClusterProcess, ClusterProcess];
    const watcher = await watcherOn(api2);
    await new Promise<void>((resolve, reject) => {
      watcher.socket.emit('subscribe', { flowId: 'chain' }, (ack: { ok: boolean }) =>
        ack.ok ? resolve() : reject(new Error('subscribe failed')),
      );
    });
    // api-2 is stopped while the run starts and ends: the announcement waits in its socket until the run is over.
    api2.child.kill('SIGSTOP');
    let runId: string;
    try {
      runId = await startRun(api1);
      await waitFor(async () => (await row(runId)).status === 'completed', 30_000, 'the run to end');
    } finally {
      api2.child.kill('SIGCONT');
    }
    await waitFor(() => isEnded(watcher.events.get(runId)), 30_000, 'the ended run on the flow subscription');
    const events = watcher.events.get(runId) ?? [];
    expect(isGapFree(events)).toBe(true);
    expect(events[0]?.type).toBe('run.started');
    expect(events.at(-1)).toMatchObject({ type: 'run.completed', data: { outputs: EXPECTED } });
  }, 60_000);

  it('a cancel asked through one api process stops the run on the worker that runs it', async () => {
    fake.reset();
    fake.setLatency(700);
    const [api1, api2] = apis as [ClusterProcess, ClusterProcess];
    const watcher = await watcherOn(api1);
    const runId = await startRun(api1);
    await watcher.subscribe(runId);
    await waitFor(() => callsOf('a') === 1, 30_000, 'node a to be called');
    const res = await post(api2, `/api/runs/${runId}/cancel`, {});
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ runId, status: 'cancelled' });
    await waitFor(() => isEnded(watcher.events.get(runId)), 30_000, 'the end');
    expect(watcher.events.get(runId)?.at(-1)?.type).toBe('run.cancelled');
    expect(callsOf('b')).toBe(0);
    expect((await row(runId)).status).toBe('cancelled');
    const again = await post(api1, `/api/runs/${runId}/cancel`, {});
    expect(again.status).toBe(409);
  }, 60_000);

  it('a cancel asked while the run waits in the queue ends it when a worker claims it, before any node runs', async () => {
    fake.reset();
    fake.setLatency(0);
    const [api1, api2] = apis as [ClusterProcess, ClusterProcess];
    const idle = workers.slice();
    for (const w of idle) w.child.kill('SIGSTOP');
    let cancelled: Promise<Response>;
    let runId: string;
    try {
      runId = await startRun(api1);
      cancelled = post(api2, `/api/runs/${runId}/cancel`, {});
      // The flag the claiming worker reads (with its attempt, in one script call).
      const flag = `${cluster.prefix}:run:${runId}:cancel`;
      await waitFor(async () => (await cluster.redis.exists(flag)) === 1, 10_000, 'the cancel flag');
    } finally {
      for (const w of idle) w.child.kill('SIGCONT');
    }
    const res = await cancelled;
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ runId, status: 'cancelled' });
    expect((await row(runId)).status).toBe('cancelled');
    expect(callsOf('a')).toBe(0);
  }, 60_000);

  it('the sweeper queues again a run whose job is gone from Redis, and a worker runs it', async () => {
    fake.reset();
    fake.setLatency(0);
    const idle = workers.slice();
    for (const w of idle) w.child.kill('SIGSTOP');
    let runId: string;
    try {
      runId = await startRun(apis[0] as ClusterProcess);
      // The job is lost (a Redis restart without persistence would do the same); the run's row stays queued.
      const job = await queue.getJob(runId);
      await job?.remove();
      expect(await queue.getJob(runId)).toBeUndefined();
      expect((await row(runId)).status).toBe('queued');
    } finally {
      for (const w of idle) w.child.kill('SIGCONT');
    }
    await waitFor(async () => (await row(runId)).status === 'completed', 60_000, 'the swept run to complete');
    expect(JSON.parse((await row(runId)).outputs as string)).toEqual(EXPECTED);
  }, 90_000);

  it('API keys: one rate-limit budget across api processes, and a key revoked on one is refused by the other', async () => {
    fake.reset();
    const [api1, api2] = apis as [ClusterProcess, ClusterProcess];
    expect((await post(api1, '/api/flows/chain/publish', {})).status).toBe(201);
    const created = (await (await post(api1, '/api/keys', { name: 'shared', rateLimit: 3 })).json()) as {
      id: string;
      key: string;
    };
    const call = (api: ClusterProcess, key = created.key) =>
      post(api, '/api/v1/flows/chain/run', { inputs: { q: 'hello' } }, { authorization: `Bearer ${key}` });
    // Three requests per minute in all, whichever process answers: the fourth is refused by either.
    const statuses = [];
    for (const api of [api1, api2, api1, api2]) statuses.push((await call(api)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect((await call(api1)).status).toBe(429);

    const other = (await (await post(api2, '/api/keys', { name: 'revoked' })).json()) as { id: string; key: string };
    expect((await call(api1, other.key)).status).toBe(200);
    const revoked = await fetch(`${api2.url}/api/keys/${other.id}`, { method: 'DELETE' });
    expect(revoked.status).toBe(200);
    const refused = await call(api1, other.key);
    expect(refused.status).toBe(401);
  }, 60_000);

  it('SIGKILL on the worker running a 5-node run: the other finishes it from its unfinished nodes', async () => {
    fake.reset();
    fake.setLatency(700);
    const [api1, api2] = apis as [ClusterProcess, ClusterProcess];
    const [watch1, watch2] = await Promise.all([watcherOn(api1), watcherOn(api2)]);
    const runId = await startRun(api1);
    await Promise.all([watch1.subscribe(runId), watch2.subscribe(runId)]);
    // Once node a has completed (its event reached a subscriber), kill the worker that holds the run.
    await waitFor(() => completedNodes(watch1.events.get(runId)).includes('a'), 30_000, 'node a to complete');
    const { pid } = await row(runId);
    const victim = workers.find((w) => w.child.pid === pid) as ClusterProcess;
    expect(victim, `worker pid ${pid}`).toBeDefined();
    victim.child.kill('SIGKILL');
    await victim.exited;
    workers.splice(workers.indexOf(victim), 1);

    await waitFor(() => isEnded(watch1.events.get(runId)) && isEnded(watch2.events.get(runId)), 60_000, 'the end');
    const stored = await row(runId);
    expect(stored.status).toBe('completed');
    // Attempt 2 (a machine so loaded that a lock renewal comes late may add a takeover, never remove one).
    expect(stored.attempt).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(stored.outputs as string)).toEqual(EXPECTED);
    // Node a finished before the kill: its model call was not made again.
    expect(callsOf('a')).toBe(1);
    for (const watcher of [watch1, watch2]) {
      const events = watcher.events.get(runId) ?? [];
      expect(isGapFree(events), JSON.stringify(events.map((e) => [e.seq, e.type]))).toBe(true);
      expect(events.at(-1)?.type).toBe('run.completed');
      expect(events.filter((e) => e.type === 'run.started')).toHaveLength(1);
    }
    // The store holds the same log as the subscribers saw.
    const detail = (await (await fetch(`${api2.url}/api/runs/${runId}`)).json()) as { events: TraceEvent[] };
    expect(detail.events.map((e) => e.type)).toEqual((watch1.events.get(runId) ?? []).map((e) => e.type));
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed');
    expect(counts).toEqual({ waiting: 0, active: 0, delayed: 0 });
    // Back to two workers for the next tests.
    workers.push(await cluster.startWorker('worker-3'));
  }, 120_000);

  it('SIGKILL on the api process holding a socket: the client goes to the other with afterSeq and misses nothing', async () => {
    fake.reset();
    fake.setLatency(500);
    const [api1, api2] = apis as [ClusterProcess, ClusterProcess];
    const first = await watcherOn(api1);
    const runId = await startRun(api2);
    await first.subscribe(runId);
    await waitFor(() => completedNodes(first.events.get(runId)).includes('a'), 30_000, 'node a to complete');
    const disconnected = new Promise<void>((resolve) => first.socket.once('disconnect', () => resolve()));
    api1.child.kill('SIGKILL');
    await Promise.all([api1.exited, disconnected]);
    const seen = first.events.get(runId) ?? [];
    const lastSeq = seen.at(-1)?.seq ?? -1;
    const second = await watcherOn(api2);
    await second.subscribe(runId, lastSeq);
    await waitFor(() => isEnded(second.events.get(runId)), 60_000, 'the end on the other api process');
    const all = [...seen, ...(second.events.get(runId) ?? [])];
    expect(isGapFree(all), JSON.stringify(all.map((e) => [e.seq, e.type]))).toBe(true);
    expect(all.at(-1)?.type).toBe('run.completed');
    expect((await row(runId)).status).toBe('completed');
    // Back to two api processes.
    apis.splice(apis.indexOf(api1), 1);
    apis.push(await cluster.startApi('api-3'));
  }, 120_000);

  it('SIGTERM on a worker: it hands its run back after its grace time and another worker finishes it', async () => {
    fake.reset();
    fake.setLatency(700);
    // A worker of its own with a short grace time, alone in taking runs until it has one.
    const patient = workers.splice(0);
    for (const w of patient) w.child.kill('SIGSTOP');
    const leaving = await cluster.startWorker('worker-leaving', { FLOWLOOM_WORKER_GRACE_MS: '300' });
    try {
      const runId = await startRun(apis[0] as ClusterProcess);
      await waitFor(async () => (await row(runId)).pid === leaving.child.pid, 30_000, 'the leaving worker to claim it');
      const watcher = await watcherOn(apis[1] as ClusterProcess);
      await watcher.subscribe(runId);
      await waitFor(() => completedNodes(watcher.events.get(runId)).includes('a'), 30_000, 'node a to complete');
      for (const w of patient) w.child.kill('SIGCONT');
      leaving.child.kill('SIGTERM');
      expect(await leaving.exited).toBe('0');
      await waitFor(() => isEnded(watcher.events.get(runId)), 60_000, 'the end');
      const stored = await row(runId);
      expect(stored.status).toBe('completed');
      expect(stored.attempt).toBeGreaterThanOrEqual(2);
      expect(callsOf('a')).toBe(1);
      const events = watcher.events.get(runId) ?? [];
      expect(isGapFree(events), JSON.stringify(events.map((e) => [e.seq, e.type]))).toBe(true);
      expect(events.filter((e) => e.type === 'run.cancelled')).toHaveLength(0);
    } finally {
      for (const w of patient) w.child.kill('SIGCONT');
      workers.push(...patient);
    }
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed');
    expect(counts).toEqual({ waiting: 0, active: 0, delayed: 0 });
  }, 120_000);

  it('SIGTERM on a worker within its grace time: it finishes its run itself, then exits', async () => {
    fake.reset();
    fake.setLatency(300);
    const patient = workers.splice(0);
    for (const w of patient) w.child.kill('SIGSTOP');
    const leaving = await cluster.startWorker('worker-finishing', { FLOWLOOM_WORKER_GRACE_MS: '60000' });
    try {
      const runId = await startRun(apis[0] as ClusterProcess);
      await waitFor(async () => (await row(runId)).pid === leaving.child.pid, 30_000, 'the worker to claim it');
      leaving.child.kill('SIGTERM');
      expect(await leaving.exited).toBe('0');
      expect(await row(runId)).toMatchObject({ status: 'completed', attempt: 1 });
    } finally {
      for (const w of patient) w.child.kill('SIGCONT');
      workers.push(...patient);
    }
  }, 120_000);
});
