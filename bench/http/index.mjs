// HTTP benchmark (`npm run bench -- http`): the published endpoint (input → prompt → llm → output, fake model at
// 0 ms) against a bare Fastify route that makes the same single model call with the official `openai` SDK (what a
// hand-written endpoint would do), in the same process and the same run, at concurrency 1 and 32; a route making the
// call through Flowloom's own model service (its HTTP client and answer guard, no flow: the published endpoint over
// it is the flow machinery alone); then the published endpoint with a live socket.io subscriber on the flow.
// The fake OpenAI server and the load generator each run in their own process. Scenarios alternate over rounds so
// drift in machine load spreads over all of them; each figure is the median over rounds.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import OpenAI from 'openai';
import { testConfig } from '../../runtime/dist/config.js';
import { buildApp } from '../../runtime/dist/http/app.js';
import { createRuntime } from '../../runtime/dist/kernel.js';
import { createLlmService } from '../../runtime/dist/providers/openai.js';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 1 : 3;
const DURATION_MS = quick ? 2000 : 5000;
const WARMUP_MS = quick ? 500 : 1000;
const CONCURRENCY = [1, 32];
const TARGETS = { throughputRatio: 0.7, addedP50Ms: 2, tracingCost: 0.1 };
const HERE = fileURLToPath(new URL('.', import.meta.url));
const ROOT = join(HERE, '..', '..');

async function startFake() {
  const child = spawn(process.execPath, [join(ROOT, 'test/dist/fake-openai.js'), '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const url = await new Promise((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`fake OpenAI server exited with ${code}`)));
  });
  return { url, child };
}

function load(config) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(HERE, 'load.mjs'), JSON.stringify(config)], {
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

async function main() {
  const fake = await startFake();
  const dataDir = join(ROOT, 'bench/results/.tmp-http');
  rmSync(dataDir, { recursive: true, force: true });
  const config = testConfig({ dataDir, openai: { baseURL: fake.url, apiKey: 'bench' } });
  const app = await buildApp(await createRuntime(config), config);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const runtimeUrl = `http://127.0.0.1:${app.server.address().port}`;
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

  // The bare route: the model call the llm node makes (streamed, usage asked for), same prompt, same JSON answer,
  // written by hand with the official SDK and its default `fetch`.
  const sdk = new OpenAI({ baseURL: fake.url, apiKey: 'bench', maxRetries: 0 });
  const bare = Fastify({ logger: false });
  bare.post('/bare', async (request) => {
    const question = request.body?.inputs?.question;
    const controller = new AbortController();
    const stream = await sdk.chat.completions.create(
      {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: `Q: ${question}` }],
        temperature: 0,
        stream: true,
        stream_options: { include_usage: true },
      },
      { signal: controller.signal },
    );
    let answer = '';
    for await (const chunk of stream) answer += chunk.choices[0]?.delta?.content ?? '';
    return { status: 'completed', outputs: { answer } };
  });
  // The same call through Flowloom's model service (what the llm node calls), without a flow.
  const llm = createLlmService({ baseURL: fake.url, apiKey: 'bench' });
  bare.post('/service', async (request) => {
    const question = request.body?.inputs?.question;
    const controller = new AbortController();
    const result = await llm.chat(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: `Q: ${question}` }], temperature: 0 },
      { signal: controller.signal, onDelta: () => {} },
    );
    return { status: 'completed', outputs: { answer: result.message.content } };
  });
  await bare.listen({ port: 0, host: '127.0.0.1' });
  const bareUrl = `http://127.0.0.1:${bare.server.address().port}/bare`;
  const serviceUrl = `http://127.0.0.1:${bare.server.address().port}/service`;

  const body = { inputs: { question: 'How fast is the published endpoint?' } };
  const scenarios = {
    bare: (c) => ({ url: bareUrl, body, headers: {}, concurrency: c }),
    service: (c) => ({ url: serviceUrl, body, headers: {}, concurrency: c }),
    published: (c) => ({
      url: `${runtimeUrl}/api/v1/flows/bench-chat/run`,
      body,
      headers: { authorization: `Bearer ${key}` },
      concurrency: c,
    }),
    subscribed: (c) => ({
      url: `${runtimeUrl}/api/v1/flows/bench-chat/run`,
      body,
      headers: { authorization: `Bearer ${key}` },
      concurrency: c,
      subscribe: { url: runtimeUrl, flowId: 'bench-chat' },
    }),
    // The editor's mode: one `traces` message per tick instead of one per event.
    batched: (c) => ({
      url: `${runtimeUrl}/api/v1/flows/bench-chat/run`,
      body,
      headers: { authorization: `Bearer ${key}` },
      concurrency: c,
      subscribe: { url: runtimeUrl, flowId: 'bench-chat', batch: true },
    }),
  };
  const samples = {};
  const loadAtStart = os.loadavg()[0];
  for (let round = 0; round < ROUNDS; round++) {
    const order = Object.keys(scenarios);
    // Rotate the order each round.
    for (let i = 0; i < round; i++) order.push(order.shift());
    for (const c of CONCURRENCY) {
      for (const name of order) {
        // CPU time of this process (runtime app and bare route; only one is under load at a time) per request:
        // less disturbed by other load on the machine than wall time. Includes the warm-up requests' share.
        const cpu0 = process.cpuUsage();
        const result = await load({ ...scenarios[name](c), durationMs: DURATION_MS, warmupMs: WARMUP_MS });
        const cpu = process.cpuUsage(cpu0);
        result.cpuMsPerRequest = (cpu.user + cpu.system) / 1000 / Math.max(1, result.n + result.warmupN);
        if (result.errors > 0) throw new Error(`${name} c=${c}: ${result.errors} errors, first: ${result.firstError}`);
        samples[`${name}/c${c}`] ??= [];
        samples[`${name}/c${c}`].push(result);
        console.error(
          `round ${round + 1} ${name.padEnd(10)} c=${String(c).padEnd(2)} ${result.rps.toFixed(0).padStart(6)} rps  p50 ${result.p50.toFixed(2)} ms  p99 ${result.p99.toFixed(2)} ms  cpu ${result.cpuMsPerRequest.toFixed(3)} ms/req${result.traceEvents ? `  (${result.traceEvents} trace events to the subscriber)` : ''}`,
        );
      }
    }
  }
  const loadAtEnd = os.loadavg()[0];
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
  const summary = {};
  for (const [name, runs] of Object.entries(samples)) {
    summary[name] = {
      rps: median(runs.map((r) => r.rps)),
      p50: median(runs.map((r) => r.p50)),
      p99: median(runs.map((r) => r.p99)),
      cpuMsPerRequest: median(runs.map((r) => r.cpuMsPerRequest)),
      n: runs.reduce((a, r) => a + r.n, 0),
    };
  }
  const verdict = {};
  for (const c of CONCURRENCY) {
    const b = summary[`bare/c${c}`];
    const m = summary[`service/c${c}`];
    const p = summary[`published/c${c}`];
    const s = summary[`subscribed/c${c}`];
    const sb = summary[`batched/c${c}`];
    verdict[`c${c}`] = {
      throughputRatio: p.rps / b.rps,
      addedP50Ms: p.p50 - b.p50,
      tracingCost: 1 - s.rps / p.rps,
      addedCpuMsPerRequest: p.cpuMsPerRequest - b.cpuMsPerRequest,
      // The flow machinery alone: the published endpoint over the same model service without a flow.
      throughputRatioOverService: p.rps / m.rps,
      addedCpuMsOverService: p.cpuMsPerRequest - m.cpuMsPerRequest,
      tracingCpuCost: s.cpuMsPerRequest / p.cpuMsPerRequest - 1,
      batchedTracingCost: 1 - sb.rps / p.rps,
      batchedTracingCpuCost: sb.cpuMsPerRequest / p.cpuMsPerRequest - 1,
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
    targets: TARGETS,
    summary,
    verdict,
  };
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/http.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify({ summary, verdict, loadavg: result.loadavg }, null, 2));
  await bare.close();
  await app.close();
  fake.child.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
}

await main();
