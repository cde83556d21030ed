// OpenTelemetry benchmark (`npm run bench -- otel`): the published endpoint (input → prompt → llm → output, fake
// model at 0 ms) of two runtimes in this process, one exporting every run as an OTLP trace (protobuf, the default
// protocol) to a local collector, one not, in the same run at concurrency 1 and 32. The fake OpenAI server, the
// collector and the load generator (bench/http/load.mjs) each run in their own process. Scenarios alternate over
// rounds so drift in machine load spreads over both; each figure is the median over rounds.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
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
  const loadAtEnd = os.loadavg()[0];
  for (const runtime of Object.values(runtimes)) await runtime.close();
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
  };
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/otel.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify({ summary, verdict, collector: received, loadavg: result.loadavg }, null, 2));
}

await main();
