#!/usr/bin/env node
// `npm run soak [-- --duration 600] [--concurrency 32]`: a long load on a published endpoint, to see that nothing is
// lost and memory stays flat. Starts the fake OpenAI server and `flowloom serve` (a fresh data folder) as processes of
// their own, publishes a chat flow (input → prompt → llm → output), keeps a live socket.io subscriber on it, and sends
// `--concurrency` requests at a time for `--duration` seconds. Prints requests, errors, runs stored vs answered, trace
// events seen live, and the server's RSS at the start (after a warm-up), its peak and its end (after a settle period
// once the load stops); writes the same to bench/results/soak.json. Flat: the end within 20 % of the start.
// Not part of `npm test`. Exit 0 when nothing was lost (every answered run stored, no errors), else 1.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { io } from 'socket.io-client';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');
process.env.TURBO_TELEMETRY_DISABLED = '1';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '600' },
    concurrency: { type: 'string', default: '32' },
    warmup: { type: 'string', default: '10' },
    settle: { type: 'string', default: '' },
  },
});
const durationS = Number(values.duration);
const concurrency = Number(values.concurrency);
const warmupS = Number(values.warmup);
// Long enough for the garbage collector and the store's commits to catch up; a tenth of the load, 5 to 30 s.
const settleS = values.settle ? Number(values.settle) : Math.min(30, Math.max(5, durationS / 10));
for (const [name, value] of Object.entries({ durationS, concurrency, warmupS, settleS })) {
  if (!Number.isFinite(value) || value < 0) {
    console.error(`soak: --${name.replace(/S$/, '')} must be a number`);
    process.exit(2);
  }
}

// The processes run from the built packages.
const build = spawnSync('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], { cwd: ROOT, stdio: 'inherit' });
for (const path of ['runtime/dist/cli.js', 'test/dist/fake-openai.js']) {
  if (!existsSync(join(ROOT, path))) {
    console.error(`soak: ${path} is missing after the build (exit ${build.status})`);
    process.exit(1);
  }
}

const dataDir = join(ROOT, 'bench', 'results', `.soak-data-${process.pid}`);
rmSync(dataDir, { recursive: true, force: true });
mkdirSync(dataDir, { recursive: true });
const children = [];
const stopAll = () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
};
process.on('exit', stopAll);
process.on('SIGINT', () => process.exit(130));

function firstLine(child, pattern) {
  const lines = createInterface({ input: child.stdout ?? child.stderr });
  return new Promise((resolvePromise, reject) => {
    lines.on('line', (line) => {
      const match = pattern.exec(line);
      if (match) resolvePromise(match[1] ?? line);
    });
    child.once('exit', (code) => reject(new Error(`${child.spawnfile} exited with ${code}`)));
  });
}

const fake = spawn(process.execPath, [join(ROOT, 'test/dist/fake-openai.js'), '--port', '0'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
children.push(fake);
const fakeUrl = await firstLine(fake, /^(http\S+)/);

const server = spawn(
  process.execPath,
  [join(ROOT, 'runtime/bin/flowloom.js'), 'serve', '--port', '0', '--data', dataDir],
  {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { PATH: process.env.PATH ?? '', OPENAI_BASE_URL: fakeUrl, LOG_LEVEL: 'warn' },
  },
);
children.push(server);
const serverErr = createInterface({ input: server.stderr });
const baseUrl = await new Promise((resolvePromise, reject) => {
  serverErr.on('line', (line) => {
    const match = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
    if (match) resolvePromise(match[1]);
    else if (line.trim() !== '') process.stderr.write(`server: ${line}\n`);
  });
  server.once('exit', (code) => reject(new Error(`flowloom serve exited with ${code}`)));
});

async function api(method, path, body) {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(answer)}`);
  return answer;
}

const FLOW_ID = 'soak-chat';
await api('POST', '/api/flows', {
  format: 'flowloom.flow/v1',
  id: FLOW_ID,
  name: 'Soak chat',
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
});
await api('POST', `/api/flows/${FLOW_ID}/publish`, {});
const { key } = await api('POST', '/api/keys', { name: 'soak', rateLimit: 1_000_000_000 });

// The live subscriber: every trace event of the flow's runs, batched per tick as the editor asks for them.
let liveEvents = 0;
const socket = io(`${baseUrl}/traces`, { transports: ['websocket'], reconnection: true });
socket.on('trace', () => liveEvents++);
socket.on('traces', (events) => {
  liveEvents += events.length;
});
await new Promise((resolvePromise, reject) => {
  socket.once('connect_error', reject);
  socket.once('connect', () => socket.emit('subscribe', { flowId: FLOW_ID, batch: true }, resolvePromise));
});

function rssMb() {
  const status = readFileSync(`/proc/${server.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

const target = new URL(`${baseUrl}/api/v1/flows/${FLOW_ID}/run`);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const answered = new Set();
const stats = { requests: 0, errors: 0, failedRuns: 0, firstError: undefined };

function request(n) {
  const body = Buffer.from(JSON.stringify({ inputs: { question: `soak question ${n}` } }));
  return new Promise((resolvePromise) => {
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': body.length, authorization: `Bearer ${key}` },
      },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => {
          stats.requests++;
          const text = Buffer.concat(chunks).toString();
          try {
            const answer = JSON.parse(text);
            if (answer.runId) answered.add(answer.runId);
            if (res.statusCode !== 200 || answer.status !== 'completed') {
              stats.errors++;
              if (answer.status === 'failed') stats.failedRuns++;
              stats.firstError ??= `HTTP ${res.statusCode}: ${text.slice(0, 300)}`;
            }
          } catch {
            stats.errors++;
            stats.firstError ??= `HTTP ${res.statusCode}: ${text.slice(0, 300)}`;
          }
          resolvePromise();
        });
      },
    );
    req.on('error', (err) => {
      stats.requests++;
      stats.errors++;
      stats.firstError ??= String(err);
      resolvePromise();
    });
    req.end(body);
  });
}

async function load(seconds) {
  const end = performance.now() + seconds * 1000;
  let n = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) await request(n++);
    }),
  );
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
console.log(`soak: ${durationS} s at c=${concurrency} on ${target.href} (warm-up ${warmupS} s, settle ${settleS} s)`);
await load(warmupS);
const warm = { ...stats, answered: answered.size };
const rss = { start: rssMb(), peak: 0, end: 0 };
rss.peak = rss.start;
const sampler = setInterval(() => {
  rss.peak = Math.max(rss.peak, rssMb());
}, 1000);
const started = performance.now();
const progress = setInterval(() => {
  const s = Math.round((performance.now() - started) / 1000);
  console.log(`  ${s} s: ${stats.requests} requests, ${stats.errors} errors, RSS ${rssMb().toFixed(0)} MB`);
}, 60_000);
await load(durationS);
clearInterval(progress);
const elapsedS = (performance.now() - started) / 1000;
await sleep(settleS * 1000);
clearInterval(sampler);
rss.end = rssMb();
rss.peak = Math.max(rss.peak, rss.end);
socket.close();
agent.destroy();

// Stop the server (SIGTERM: it writes what is queued and closes the store), then count what the database holds.
await new Promise((resolvePromise) => {
  server.once('exit', resolvePromise);
  server.kill('SIGTERM');
});
fake.kill('SIGTERM');
const db = new Database(join(dataDir, 'flowloom.db'), { readonly: true });
const stored = db.prepare('SELECT status, COUNT(*) AS n FROM runs WHERE flowId = ? GROUP BY status').all(FLOW_ID);
const storedIds = new Set(db.prepare('SELECT runId FROM runs WHERE flowId = ?').pluck().all(FLOW_ID));
const events = db.prepare('SELECT COUNT(*) FROM run_events').pluck().get();
db.close();
const missing = [...answered].filter((id) => !storedIds.has(id)).length;

const result = {
  at: new Date().toISOString(),
  machine: `${os.cpus().length} cores, Node ${process.version}`,
  durationS: Math.round(elapsedS),
  concurrency,
  requests: stats.requests - warm.requests,
  requestsWithWarmup: stats.requests,
  rps: Math.round((stats.requests - warm.requests) / elapsedS),
  errors: stats.errors,
  failedRuns: stats.failedRuns,
  firstError: stats.firstError,
  runsAnswered: answered.size,
  runsStored: storedIds.size,
  storedByStatus: Object.fromEntries(stored.map((row) => [row.status, row.n])),
  answeredNotStored: missing,
  eventsStored: events,
  eventsSeenLive: liveEvents,
  rssMb: { start: Math.round(rss.start), peak: Math.round(rss.peak), end: Math.round(rss.end) },
  isFlat: rss.end <= rss.start * 1.2,
};
console.log(JSON.stringify(result, null, 2));
mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(join(ROOT, 'bench', 'results', 'soak.json'), `${JSON.stringify(result, null, 2)}\n`);
rmSync(dataDir, { recursive: true, force: true });
const ok = stats.errors === 0 && missing === 0;
console.log(
  `soak: ${result.requests} requests, ${result.errors} errors, runs stored ${result.runsStored} / answered ${result.runsAnswered}, RSS ${result.rssMb.start} → peak ${result.rssMb.peak} → end ${result.rssMb.end} MB (${result.isFlat ? 'flat' : 'NOT flat'})`,
);
process.exit(ok ? 0 : 1);
