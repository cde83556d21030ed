// Scale-out benchmark (`npm run bench -- scale`): the same flow (input → prompt → llm → output, fake model at 0 ms)
// at concurrency 32 against (a) one process in the `all` role and (b) the queue: one `api` process and one `worker`,
// both on the local Postgres (a database of its own, dropped after) and, for (b), Redis (a key prefix of its own,
// deleted after). Then the delay from a run's event to a socket.io client in another process (bench/scale/latency.mjs),
// in both setups. The processes are real (`flowloom serve` / `flowloom worker`); the fake OpenAI server and the load
// generators run in processes of their own. Modes alternate over rounds; each figure is the median over rounds.
// On Linux, each round also gives the CPU each process used per run (from /proc: the runtime process(es), Redis, every
// Postgres backend summed, the fake model): on 2 cores the throughput ratio follows the ratio of those sums.
// Targets (docs/performance.md): queue throughput ≥ 60 % of `all`, event → socket p50 ≤ 5 ms.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 1 : 3;
const DURATION_MS = quick ? 3000 : 6000;
const WARMUP_MS = quick ? 1000 : 1500;
const CONCURRENCY = 32;
const LATENCY_RUNS = quick ? 20 : 50;
const TARGETS = { throughputRatio: 0.6, eventP50Ms: 5 };
const HERE = fileURLToPath(new URL('.', import.meta.url));
const ROOT = join(HERE, '..', '..');
const BIN = join(ROOT, 'runtime/bin/flowloom.js');
const PG = process.env.FLOWLOOM_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.FLOWLOOM_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const flow = {
  format: 'flowloom.flow/v1',
  id: 'bench-chat',
  name: 'Bench chat',
  nodes: [
    { id: 'question', type: 'input', position: { x: 0, y: 0 } },
    { id: 'prompt', type: 'prompt', position: { x: 260, y: 0 }, params: { template: 'Q: {{question}}' } },
    { id: 'llm', type: 'llm', position: { x: 520, y: 0 }, params: { model: 'gpt-4o-mini', temperature: 0 } },
    { id: 'answer', type: 'output', position: { x: 780, y: 0 } },
  ],
  edges: [
    { id: 'e1', source: 'question', sourcePort: 'value', target: 'prompt', targetPort: 'question' },
    { id: 'e2', source: 'prompt', sourcePort: 'prompt', target: 'llm', targetPort: 'prompt' },
    { id: 'e3', source: 'llm', sourcePort: 'text', target: 'answer', targetPort: 'value' },
  ],
};
const body = { inputs: { question: 'How fast is the queue?' } };

function lineOf(child, pattern) {
  const lines = createInterface({ input: child.stderr });
  return new Promise((resolve, reject) => {
    lines.on('line', (line) => {
      const match = pattern.exec(line);
      if (match) resolve(match[1] ?? line);
    });
    child.once('exit', (code) => reject(new Error(`process exited with ${code} before it was ready`)));
  });
}

async function startFake() {
  const child = spawn(process.execPath, [join(ROOT, 'test/dist/fake-openai.js'), '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`fake OpenAI server exited with ${code}`)));
  });
  return { url, child };
}

/** CPU time (user + system, ms) a process has used so far, from /proc (Linux); undefined elsewhere or once gone. */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

/** The pids of Postgres's processes here (backends serve every client: the figure is for the whole server). */
function postgresPids() {
  try {
    return execFileSync('pgrep', ['-f', '^postgres'], { encoding: 'utf8' }).trim().split('\n').map(Number);
  } catch {
    return [];
  }
}

/**
 * Samples the CPU of the processes that serve a mode: its runtime process(es), Redis, Postgres (every backend, summed)
 * and the fake model. `per(runs)` answers ms of CPU per run for each since the sample began. Needs /proc.
 */
function cpuSample(pids) {
  const postgres = () => postgresPids().reduce((sum, pid) => sum + (cpuMs(pid) ?? 0), 0);
  const read = () => ({
    ...Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMs(pid)])),
    postgres: postgres(),
  });
  const before = read();
  return {
    per(runs) {
      const after = read();
      return Object.fromEntries(
        Object.keys(after).map((k) => [
          k,
          Number((((after[k] ?? 0) - (before[k] ?? 0)) / Math.max(1, runs)).toFixed(2)),
        ]),
      );
    },
  };
}

function startRole(role, env) {
  const args = role === 'worker' ? ['worker'] : ['serve', '--port', '0'];
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', ...env, FLOWLOOM_ROLE: role },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const ready = lineOf(child, role === 'worker' ? /( worker \(queue prefix)/ : /on (http:\/\/127\.0\.0\.1:\d+)/);
  return { child, ready };
}

function runNode(file, config) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`${file} exited ${code}`))));
  });
}

async function main() {
  const dataDir = join(ROOT, 'bench/results/.tmp-scale');
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const database = `flowloom_bench_scale_${process.pid}`;
  const admin = new pg.Client({ connectionString: PG });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const databaseUrl = Object.assign(new URL(PG), { pathname: `/${database}` }).toString();
  const prefix = `flowloom_bench_${process.pid}`;
  const fake = await startFake();
  const common = {
    FLOWLOOM_DATA: dataDir,
    DATABASE_URL: databaseUrl,
    OPENAI_BASE_URL: fake.url,
    OPENAI_API_KEY: 'bench',
  };
  const all = startRole('all', common);
  const queueEnv = { ...common, REDIS_URL, FLOWLOOM_QUEUE_PREFIX: prefix, FLOWLOOM_WORKER_CONCURRENCY: '64' };
  const api = startRole('api', queueEnv);
  const worker = startRole('worker', queueEnv);
  const children = [fake.child, all.child, api.child, worker.child];
  const redis = new Redis(REDIS_URL);
  try {
    const [allUrl, apiUrl] = await Promise.all([all.ready, api.ready, worker.ready]);
    const created = await fetch(`${allUrl}/api/flows`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(flow),
    });
    if (created.status !== 201) throw new Error(`creating the flow: ${created.status} ${await created.text()}`);
    const modes = { all: allUrl, queue: apiUrl };
    const pidsOf = { all: { all: all.child.pid }, queue: { api: api.child.pid, worker: worker.child.pid } };
    const hasProc = existsSync('/proc/self/stat');
    const redisPid = Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1]);
    const loadAtStart = os.loadavg()[0];
    const rounds = { all: [], queue: [] };
    const delays = { all: [], queue: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const [mode, url] of round % 2 === 0 ? Object.entries(modes) : Object.entries(modes).reverse()) {
        const sample = hasProc ? cpuSample({ ...pidsOf[mode], redis: redisPid, fake: fake.child.pid }) : undefined;
        const load = await runNode(join(ROOT, 'bench/http/load.mjs'), {
          url: `${url}/api/flows/bench-chat/runs`,
          body,
          concurrency: CONCURRENCY,
          durationMs: DURATION_MS,
          warmupMs: WARMUP_MS,
        });
        // Warm-up runs count too: the CPU was sampled around both phases.
        if (sample) load.cpuMsPerRun = sample.per(load.n + load.warmupN);
        rounds[mode].push(load);
        delays[mode].push(
          await runNode(join(HERE, 'latency.mjs'), { url, flowId: 'bench-chat', body, runs: LATENCY_RUNS }),
        );
      }
    }
    const loadAtEnd = os.loadavg()[0];
    const median = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
    const summarize = (mode) => ({
      rps: median(rounds[mode].map((r) => r.rps)),
      p50: median(rounds[mode].map((r) => r.p50)),
      p99: median(rounds[mode].map((r) => r.p99)),
      errors: rounds[mode].reduce((n, r) => n + r.errors, 0),
      eventP50Ms: median(delays[mode].map((d) => d.p50)),
      // CPU ms per run, per process, the median over rounds (Linux only).
      ...(rounds[mode][0]?.cpuMsPerRun && {
        cpuMsPerRun: Object.fromEntries(
          Object.keys(rounds[mode][0].cpuMsPerRun).map((k) => [k, median(rounds[mode].map((r) => r.cpuMsPerRun[k]))]),
        ),
      }),
      eventP99Ms: median(delays[mode].map((d) => d.p99)),
    });
    const summary = { all: summarize('all'), queue: summarize('queue') };
    const throughputRatio = summary.queue.rps / summary.all.rps;
    const verdict = {
      throughputRatio,
      isThroughputOk: throughputRatio >= TARGETS.throughputRatio,
      isEventDelayOk: summary.queue.eventP50Ms <= TARGETS.eventP50Ms,
    };
    const result = {
      at: new Date().toISOString(),
      quick,
      rounds: ROUNDS,
      durationMs: DURATION_MS,
      concurrency: CONCURRENCY,
      targets: TARGETS,
      node: process.version,
      cpus: os.cpus().length,
      cpu: os.cpus()[0]?.model,
      loadavg: [loadAtStart, loadAtEnd],
      summary,
      verdict,
      raw: { rounds, delays },
    };
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench/results/scale.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify({ summary, verdict, loadavg: result.loadavg }, null, 2));
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await Promise.all(
      children.map(
        (child) => new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve))),
      ),
    );
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
    redis.disconnect();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
