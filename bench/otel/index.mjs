// OpenTelemetry benchmark (`npm run bench -- otel`): the published endpoint (input → prompt → llm → output, fake
// model at 0 ms) of two runtimes in this process, one exporting every run as an OTLP trace (protobuf, the default
// protocol) to a local collector, one not, in the same run at concurrency 1 and 32. The fake OpenAI server, the
// collector and the load generator (bench/http/load.mjs) each run in their own process. Scenarios alternate over
// rounds so drift in machine load spreads over both; each figure is the median over rounds.
// Then, less sensitive to other load on the machine: the CPU time per run of the engine alone (an in-process model
// that streams two chunks, 32 runs at a time, no HTTP) with the export on and off, alternating over rounds.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { testConfig } from '../../runtime/dist/config.js';
import { buildApp } from '../../runtime/dist/http/app.js';
import { createRuntime } from '../../runtime/dist/kernel.js';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 1 : 3;
const DURATION_MS = quick ? 2000 : 5000;
const WARMUP_MS = quick ? 500 : 1000;
const CONCURRENCY = [1, 32];
const TARGET = { throughputKept: 0.9 };
const HERE = fileURLToPath(new URL('.', import.meta.url));
const ROOT = join(HERE, '..', '..');

/** Starts a child process that prints its URL on its first line of stdout. */
async function startChild(file, args = []) {
  const child = spawn(process.execPath, [file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = createInterface({ input: child.stdout });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const url = await new Promise((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}: ${stderr}`)));
  });
  const stop = () =>
    new Promise((resolve) => {
      child.once('exit', () => resolve(stderr));
      child.kill('SIGTERM');
    });
  return { url, stop };
}

function load(config) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bench/http/load.mjs'), JSON.stringify(config)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load exited ${code}`))));
  });
}

const chatFlow = {
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

/** A runtime serving the published bench flow; answers its endpoint and key. */
async function startRuntime(name, fakeUrl, otlp) {
  const dataDir = join(ROOT, `bench/results/.tmp-otel-${name}`);
  rmSync(dataDir, { recursive: true, force: true });
  const config = testConfig({ dataDir, openai: { baseURL: fakeUrl, apiKey: 'bench' }, otlp });
  const app = await buildApp(await createRuntime(config), config);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const must = async (res, status) => {
    if (res.statusCode !== status) throw new Error(`${res.statusCode}: ${res.body}`);
    return res.json();
  };
  await must(await app.inject({ method: 'POST', url: '/api/flows', payload: chatFlow }), 201);
  await must(await app.inject({ method: 'POST', url: '/api/flows/bench-chat/publish', payload: {} }), 201);
  const { key } = await must(
    await app.inject({ method: 'POST', url: '/api/keys', payload: { name: 'bench', rateLimit: 1_000_000_000 } }),
    201,
  );
  const url = `http://127.0.0.1:${app.server.address().port}/api/v1/flows/bench-chat/run`;
  return {
    scenario: (c) => ({ url, body, headers: { authorization: `Bearer ${key}` }, concurrency: c }),
    close: async () => {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const body = { inputs: { question: 'How fast is the published endpoint with tracing on?' } };

/** A model answering at once in two streamed chunks, in this process (no network between engine and model). */
const instantModel = {
  async chat(request, options) {
    options.onDelta?.('hello ');
    options.onDelta?.('world');
    return {
      message: { role: 'assistant', content: 'hello world' },
      usage: { promptTokens: 10, completionTokens: 2 },
      costUsd: 0.00001,
      model: request.model,
    };
  },
};

/** CPU milliseconds the main thread has used (Linux: /proc/self/task/<pid>/stat, utime + stime), else null. */
function mainThreadCpuMs() {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // After the command: state is field 3, utime 14 and stime 15 (1-based), in clock ticks (100 a second).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

/**
 * CPU milliseconds per run of the engine alone (runs 32 at a time, the event loop turning between batches as it does
 * when serving), the export on or off: the whole process (main thread, store writer thread, export worker) and the
 * main thread alone, the one that serves requests.
 */
async function engineCpuPerRun(name, otlp, runs) {
  const dataDir = join(ROOT, `bench/results/.tmp-otel-engine-${name}`);
  rmSync(dataDir, { recursive: true, force: true });
  const runtime = await createRuntime(testConfig({ dataDir, llm: instantModel, otlp }));
  const start = async (count) => {
    for (let done = 0; done < count; done += 32) {
      await Promise.all(
        Array.from({ length: Math.min(32, count - done) }, () => runtime.runs.start(chatFlow, body).done),
      );
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  await start(300);
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpuMs();
  await start(runs);
  // The batch processor's exports of these runs count too: closing flushes them.
  await runtime.close();
  const cpu = process.cpuUsage(cpu0);
  const main1 = mainThreadCpuMs();
  rmSync(dataDir, { recursive: true, force: true });
  return {
    process: (cpu.user + cpu.system) / 1000 / runs,
    main: main0 === null || main1 === null ? null : (main1 - main0) / runs,
  };
}

async function main() {
  const fake = await startChild(join(ROOT, 'test/dist/fake-openai.js'), ['--port', '0']);
  const collector = await startChild(join(HERE, 'collector.mjs'));
  const runtimes = {
    off: await startRuntime('off', fake.url),
    otlp: await startRuntime('on', fake.url, { url: `${collector.url}/v1/traces`, protocol: 'http/protobuf' }),
  };
  const samples = {};
  const loadAtStart = os.loadavg()[0];
  for (let round = 0; round < ROUNDS; round++) {
    const order = Object.keys(runtimes);
    if (round % 2 === 1) order.reverse();
    for (const c of CONCURRENCY) {
      for (const name of order) {
        const cpu0 = process.cpuUsage();
        const result = await load({ ...runtimes[name].scenario(c), durationMs: DURATION_MS, warmupMs: WARMUP_MS });
        const cpu = process.cpuUsage(cpu0);
        result.cpuMsPerRequest = (cpu.user + cpu.system) / 1000 / Math.max(1, result.n + result.warmupN);
        if (result.errors > 0) throw new Error(`${name} c=${c}: ${result.errors} errors, first: ${result.firstError}`);
        samples[`${name}/c${c}`] ??= [];
        samples[`${name}/c${c}`].push(result);
        console.error(
          `round ${round + 1} ${name.padEnd(5)} c=${String(c).padEnd(2)} ${result.rps.toFixed(0).padStart(6)} rps  p50 ${result.p50.toFixed(2)} ms  p99 ${result.p99.toFixed(2)} ms  cpu ${result.cpuMsPerRequest.toFixed(3)} ms/req`,
        );
      }
    }
  }
  for (const runtime of Object.values(runtimes)) await runtime.close();
  const engine = { off: [], otlp: [] };
  const ENGINE_RUNS = quick ? 1000 : 3000;
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ['off', 'otlp'] : ['otlp', 'off'];
    for (const name of order) {
      const otlp = name === 'otlp' ? { url: `${collector.url}/v1/traces`, protocol: 'http/protobuf' } : undefined;
      engine[name].push(await engineCpuPerRun(name, otlp, ENGINE_RUNS));
      const last = engine[name].at(-1);
      console.error(
        `round ${round + 1} engine ${name.padEnd(5)} ${last.process.toFixed(3)} ms CPU per run (main thread ${last.main?.toFixed(3)})`,
      );
    }
  }
  const loadAtEnd = os.loadavg()[0];
  const received = JSON.parse((await collector.stop()).trim().split('\n').at(-1) ?? '{}');
  await fake.stop();

  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
  const summary = {};
  for (const [name, runs] of Object.entries(samples)) {
    summary[name] = {
      rps: median(runs.map((r) => r.rps)),
      p50: median(runs.map((r) => r.p50)),
      p99: median(runs.map((r) => r.p99)),
      cpuMsPerRequest: median(runs.map((r) => r.cpuMsPerRequest)),
      n: runs.reduce((a, r) => a + r.n + r.warmupN, 0),
    };
  }
  const verdict = {};
  for (const c of CONCURRENCY) {
    const off = summary[`off/c${c}`];
    const on = summary[`otlp/c${c}`];
    verdict[`c${c}`] = {
      throughputKept: on.rps / off.rps,
      perRound: samples[`otlp/c${c}`].map((r, i) => r.rps / samples[`off/c${c}`][i].rps),
      addedP50Ms: on.p50 - off.p50,
      addedCpuMsPerRequest: on.cpuMsPerRequest - off.cpuMsPerRequest,
      met: on.rps / off.rps >= TARGET.throughputKept,
    };
  }
  const engineCpuMsPerRun = {};
  for (const part of ['process', 'main']) {
    const off = median(engine.off.map((e) => e[part] ?? Number.NaN));
    const on = median(engine.otlp.map((e) => e[part] ?? Number.NaN));
    engineCpuMsPerRun[part] = { off, otlp: on, added: on - off };
  }
  const result = {
    at: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model,
    loadavg: [loadAtStart, loadAtEnd],
    rounds: ROUNDS,
    durationMs: DURATION_MS,
    target: TARGET,
    collector: received,
    summary,
    verdict,
    engineCpuMsPerRun,
  };
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/otel.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(
    JSON.stringify({ summary, verdict, engineCpuMsPerRun, collector: received, loadavg: result.loadavg }, null, 2),
  );
}

await main();
