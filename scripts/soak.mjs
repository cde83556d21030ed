#!/usr/bin/env node
// `npm run soak [-- --duration 600] [--concurrency 32]`: a long load on a published endpoint, to see that nothing is
// lost and memory settles. Starts the fake OpenAI server and `flowloom serve` (a fresh data folder) as processes of
// their own, publishes a chat flow (input → prompt → llm → output), keeps a live socket.io subscriber on it, and sends
// `--concurrency` requests at a time for `--duration` seconds. Prints requests, errors, runs stored vs answered, trace
// events seen live, and the server's memory: RSS (anonymous and file-backed) and each thread's V8 figures (heap used
// and total, young generation, external, array buffers; scripts/soak-probe.cjs, preloaded into the server, reports
// them) when cold (before any request), right after the warm-up, at the start (after the warm-up and a full garbage
// collection in every thread: what the warm-up kept, JIT code, pools and caches, without the garbage it left), at the
// peak, and at the end (after `--settle` seconds once the load stops, 150 by default: see settleS), with RSS and the
// main heap every 5 s of the settle period; the end again after a full collection (what is left is what is retained).
// The collections are the probe's (a diagnostic): the product never forces one. Writes the same to
// bench/results/soak.json. Flat: the end RSS within 20 % of the start (the cold figure is compared too, and printed).
// Not part of `npm test`. Exit 0 when nothing was lost (every answered run stored, no errors), else 1.
//
// Investigation flags: `--snapshots` writes heap snapshots of the main thread (after a full GC) at the start and the
// end to bench/results/ and prints what grew between them; `--server-arg <node option>` and `--server-env NAME=value`
// (each repeatable) start the server with other V8 or allocator settings (`--max-semi-space-size=4`,
// `MALLOC_ARENA_MAX=2`).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
    settle: { type: 'string', default: '150' },
    snapshots: { type: 'boolean', default: false },
    'server-arg': { type: 'string', multiple: true, default: [] },
    'server-env': { type: 'string', multiple: true, default: [] },
  },
});
const durationS = Number(values.duration);
const concurrency = Number(values.concurrency);
const warmupS = Number(values.warmup);
// Long enough for V8 to collect once the load has stopped. An idle process allocates next to nothing, so nothing
// triggers a collection: the garbage of the load stays until V8's memory reducer runs, which it does once it sees the
// allocation rate drop or, at the latest, about 100 s after the last full GC (its watchdog, checked every 8 s): here
// 55 to 110 s after the load (docs/performance.md). Memory read before that is garbage not yet collected, not memory
// the server keeps.
const settleS = Number(values.settle);
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

const serverEnv = {};
for (const pair of values['server-env']) {
  const at = pair.indexOf('=');
  if (at <= 0) {
    console.error(`soak: --server-env takes NAME=value, got "${pair}"`);
    process.exit(2);
  }
  serverEnv[pair.slice(0, at)] = pair.slice(at + 1);
}
// The probe is preloaded into every thread of the server (main, store writer, sandbox workers) and answers on the
// IPC channel: see scripts/soak-probe.cjs.
const server = spawn(
  process.execPath,
  [
    ...values['server-arg'],
    '--require',
    join(ROOT, 'scripts/soak-probe.cjs'),
    join(ROOT, 'runtime/bin/flowloom.js'),
    'serve',
    '--port',
    '0',
    '--data',
    dataDir,
  ],
  {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: { PATH: process.env.PATH ?? '', OPENAI_BASE_URL: fakeUrl, LOG_LEVEL: 'warn', ...serverEnv },
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

const MB = 1024 * 1024;

/** The server process's resident memory from /proc, in bytes: all of it, anonymous (heaps, malloc) and file-backed. */
function residentMemory() {
  const status = readFileSync(`/proc/${server.pid}/status`, 'utf8');
  const field = (name) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  const kb = (name) => field(name) * 1024;
  return { rss: kb('VmRSS'), rssAnon: kb('RssAnon'), rssFile: kb('RssFile'), threads: field('Threads') };
}

// Requests to the probe in the server (scripts/soak-probe.cjs), answered on the IPC channel.
const probeReplies = new Map();
server.on('message', (message) => {
  probeReplies.get(message?.id)?.(message);
  probeReplies.delete(message?.id);
});
let probeId = 0;
function askProbe(request, timeoutMs = 30_000) {
  const id = `p${++probeId}`;
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      probeReplies.delete(id);
      reject(new Error(`the server's probe did not answer ${request.probe} within ${timeoutMs} ms`));
    }, timeoutMs);
    probeReplies.set(id, (message) => {
      clearTimeout(timer);
      if (message.error) reject(new Error(`the server's probe: ${message.error}`));
      else resolvePromise(message);
    });
    server.send({ ...request, id });
  });
}

/** V8 figures summed per thread kind (several sandbox workers are one line). */
const THREAD_FIELDS = ['heapUsed', 'heapTotal', 'newSpace', 'oldSpace', 'external', 'arrayBuffers', 'mallocedMemory'];

/**
 * The server's memory now: RSS from /proc and each thread's V8 figures. With `gc`, every thread first runs a full,
 * memory-reducing collection (a diagnostic: what is left is retained), and RSS is read after it.
 */
async function memoryNow({ gc = false } = {}) {
  const { threads } = await askProbe({ probe: 'memory', gc });
  const byThread = {};
  for (const figures of threads) {
    byThread[figures.thread] ??= { count: 0 };
    const sum = byThread[figures.thread];
    sum.count++;
    for (const field of THREAD_FIELDS) sum[field] = (sum[field] ?? 0) + figures[field];
  }
  return { ...residentMemory(), byThread };
}

/** A field-by-field maximum of memory figures (the peak). */
function maxOf(a, b) {
  if (!a) return structuredClone(b);
  const peak = structuredClone(a);
  for (const field of ['rss', 'rssAnon', 'rssFile', 'threads']) peak[field] = Math.max(a[field] ?? 0, b[field] ?? 0);
  for (const [thread, figures] of Object.entries(b.byThread ?? {})) {
    peak.byThread[thread] ??= { count: 0 };
    const kept = peak.byThread[thread];
    for (const [field, value] of Object.entries(figures)) kept[field] = Math.max(kept[field] ?? 0, value);
  }
  return peak;
}

/** Memory figures in MB (rounded to 0.1), for the result file. */
function inMb(figures) {
  const mb = (bytes) => Math.round((bytes / MB) * 10) / 10;
  const byThread = {};
  for (const [thread, { count, ...fields }] of Object.entries(figures.byThread ?? {})) {
    byThread[thread] = { count, ...Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, mb(v)])) };
  }
  return { rss: mb(figures.rss), rssAnon: mb(figures.rssAnon), rssFile: mb(figures.rssFile), byThread };
}

/**
 * Counts and sizes per constructor (or V8 type) in a heap snapshot file: the nodes' self sizes, grouped by name for
 * objects, closures and native objects, by type for the rest (strings, arrays, code, V8's internals).
 */
function heapSummary(path) {
  const snapshot = JSON.parse(readFileSync(path, 'utf8'));
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((field) => fields.indexOf(field));
  const groups = new Map();
  const { nodes, strings } = snapshot;
  for (let i = 0; i < nodes.length; i += fields.length) {
    const type = types[nodes[i + typeAt]];
    const key = ['object', 'closure', 'native'].includes(type) ? strings[nodes[i + nameAt]] : `(${type})`;
    const group = groups.get(key) ?? { count: 0, bytes: 0 };
    group.count++;
    group.bytes += nodes[i + sizeAt];
    groups.set(key, group);
  }
  return groups;
}

/** What grew between two heap summaries, most bytes first. */
function heapGrowth(before, after, top = 15) {
  const rows = [];
  for (const [name, { count, bytes }] of after) {
    const was = before.get(name) ?? { count: 0, bytes: 0 };
    rows.push({ name, count: count - was.count, bytes: bytes - was.bytes, total: bytes });
  }
  return rows
    .filter((row) => row.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, top);
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
const snapshotPath = (name) => join(ROOT, 'bench', 'results', `soak-${name}.heapsnapshot`);
mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
// Cold: the server up, the flow published, the subscriber connected, no request yet.
const memory = { cold: await memoryNow() };
await load(warmupS);
const warm = { ...stats, answered: answered.size };
// The start: after the warm-up (code compiled, pools and caches filled once) and a full collection, so that it holds
// what the warm-up kept and not the garbage it left (read first, as `afterWarmup`).
memory.afterWarmup = await memoryNow();
memory.start = await memoryNow({ gc: true });
if (values.snapshots) await askProbe({ probe: 'snapshot', path: snapshotPath('start') }, 300_000);
let peak = maxOf(undefined, memory.afterWarmup);
let sampling = false;
let samples = 0;
const sampler = setInterval(async () => {
  if (sampling) return;
  sampling = true;
  try {
    // RSS every second; the V8 figures of every thread every 5 s (asking costs the server a little).
    peak = maxOf(peak, samples++ % 5 === 0 ? await memoryNow() : { ...residentMemory(), byThread: {} });
  } catch {
    // The server is busy or stopping: the next sample counts.
  } finally {
    sampling = false;
  }
}, 1000);
const started = performance.now();
const progress = setInterval(() => {
  const s = Math.round((performance.now() - started) / 1000);
  const { rss } = residentMemory();
  console.log(`  ${s} s: ${stats.requests} requests, ${stats.errors} errors, RSS ${(rss / MB).toFixed(0)} MB`);
}, 60_000);
await load(durationS);
clearInterval(progress);
const elapsedS = (performance.now() - started) / 1000;
// The settle period, RSS and the main heap every 5 s: does the memory go back, and how fast?
memory.settle = [];
for (let s = 0; s < settleS; s += 5) {
  const now = await memoryNow();
  peak = maxOf(peak, now);
  const { heapUsed, heapTotal } = now.byThread.main;
  memory.settle.push({
    afterS: s,
    rssMb: Math.round(now.rss / MB),
    mainHeapUsedMb: Math.round(heapUsed / MB),
    mainHeapTotalMb: Math.round(heapTotal / MB),
  });
  await sleep(Math.min(5, settleS - s) * 1000);
}
clearInterval(sampler);
memory.end = await memoryNow();
memory.peak = maxOf(peak, memory.end);
memory.endAfterGc = await memoryNow({ gc: true });
let heapGrew;
if (values.snapshots) {
  await askProbe({ probe: 'snapshot', path: snapshotPath('end') }, 300_000);
  heapGrew = heapGrowth(heapSummary(snapshotPath('start')), heapSummary(snapshotPath('end')));
}
const rss = { start: memory.start.rss / MB, peak: memory.peak.rss / MB, end: memory.end.rss / MB };
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
  rssMb: {
    cold: Math.round(memory.cold.rss / MB),
    afterWarmup: Math.round(memory.afterWarmup.rss / MB),
    start: Math.round(rss.start),
    peak: Math.round(rss.peak),
    end: Math.round(rss.end),
  },
  isFlat: rss.end <= rss.start * 1.2,
  isFlatVsCold: rss.end <= (memory.cold.rss / MB) * 1.2,
  serverArgs: values['server-arg'],
  serverEnv: serverEnv,
};
const columns = ['cold', 'afterWarmup', 'start', 'peak', 'end', 'endAfterGc'];
const memoryMb = Object.fromEntries(columns.map((column) => [column, inMb(memory[column])]));
const mainLive = { start: memory.start.byThread.main.heapUsed, end: memory.endAfterGc.byThread.main.heapUsed };
const runsInLoad = answered.size - warm.answered;
Object.assign(result, {
  memoryMb,
  settle: memory.settle,
  // Live objects of the main thread (heap used after a full collection), end against start: what the load left.
  retainedHeap: {
    mb: Math.round(((mainLive.end - mainLive.start) / MB) * 10) / 10,
    bytesPerRun: runsInLoad > 0 ? Math.round((mainLive.end - mainLive.start) / runsInLoad) : null,
  },
  ...(heapGrew && { heapGrowth: heapGrew }),
});
const { memoryMb: _omitted, settle: _settle, heapGrowth: _grown, ...brief } = result;
console.log(JSON.stringify(brief, null, 2));

// The memory table: one row per figure, one column per moment.
const heads = ['cold', 'warm-up', 'start', 'peak', 'end', 'end+GC'];
const rows = [
  ['RSS', (m) => m.rss],
  ['  anonymous', (m) => m.rssAnon],
  ['  file-backed', (m) => m.rssFile],
];
const threadNames = [...new Set(columns.flatMap((column) => Object.keys(memoryMb[column].byThread)))];
for (const thread of threadNames) {
  for (const [label, field] of [
    ['heap used', 'heapUsed'],
    ['heap total', 'heapTotal'],
    ['  young gen.', 'newSpace'],
    ['  old space', 'oldSpace'],
    ['external', 'external'],
    ['  array buffers', 'arrayBuffers'],
    ['V8 malloc', 'mallocedMemory'],
  ]) {
    rows.push([`${thread}: ${label}`, (m) => m.byThread[thread]?.[field]]);
  }
}
rows.push([
  'anonymous − V8 heaps − external',
  (m) =>
    Math.round((m.rssAnon - Object.values(m.byThread).reduce((sum, t) => sum + t.heapTotal + t.external, 0)) * 10) / 10,
]);
const cell = (value) => (value === undefined ? '' : value.toFixed(1)).padStart(9);
console.log(`\nserver memory, MB${' '.repeat(22)}${heads.map((head) => head.padStart(9)).join('')}`);
for (const [label, get] of rows) {
  console.log(`${label.padEnd(39)}${columns.map((column) => cell(get(memoryMb[column]))).join('')}`);
}
console.log(
  `cold: before any request; warm-up: right after the ${warmupS} s warm-up; start: then after a full collection in ` +
    "every thread (the probe's; the product never forces one); peak: the highest of each figure on its own (RSS " +
    `every 1 s, V8 every 5 s); end: ${settleS} s after the load; end+GC: then after a full collection`,
);
if (values.snapshots) {
  console.log('with --snapshots: RSS from the start on includes the memory taken by writing the heap snapshot');
}
console.log(
  `settle (s after the load: RSS / main heap used / main heap total, MB): ${memory.settle
    .map((s) => `${s.afterS} s ${s.rssMb}/${s.mainHeapUsedMb}/${s.mainHeapTotalMb}`)
    .join(', ')}`,
);
console.log(
  `main thread live heap: ${(mainLive.start / MB).toFixed(1)} → ${(mainLive.end / MB).toFixed(1)} MB after ${runsInLoad} runs ` +
    `(${result.retainedHeap.bytesPerRun ?? '-'} bytes per run)`,
);
if (heapGrew) {
  console.log('\nheap growth, main thread, start → end (after a full GC each), by constructor:');
  for (const row of heapGrew) {
    console.log(
      `  ${row.name.slice(0, 50).padEnd(50)} ${String(row.count).padStart(9)} objects ${(row.bytes / 1024).toFixed(0).padStart(9)} KB`,
    );
  }
  for (const name of ['start', 'end']) {
    const path = snapshotPath(name);
    console.log(`  ${path} (${(statSync(path).size / MB).toFixed(0)} MB)`);
  }
}
writeFileSync(join(ROOT, 'bench', 'results', 'soak.json'), `${JSON.stringify(result, null, 2)}\n`);
rmSync(dataDir, { recursive: true, force: true });
const ok = stats.errors === 0 && missing === 0;
console.log(
  `\nsoak: ${result.requests} requests, ${result.errors} errors, runs stored ${result.runsStored} / answered ${result.runsAnswered}, ` +
    `RSS cold ${result.rssMb.cold}, start ${result.rssMb.start} → peak ${result.rssMb.peak} → end ${result.rssMb.end} MB ` +
    `(${result.isFlat ? 'flat' : 'NOT flat'}: the end ${result.isFlat ? 'within' : 'more than'} 20 % above the start; ` +
    `${Math.round((rss.end / (memory.cold.rss / MB) - 1) * 100)} % above the cold figure)`,
);
process.exit(ok ? 0 : 1);
