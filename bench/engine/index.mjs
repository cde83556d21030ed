// Engine benchmark (`npm run bench -- engine`). Each figure is measured beside a baseline in the same run:
// 1. per-node overhead on a chain of 1,000 pass-through nodes vs a plain loop of the same execute() calls;
// 2. one traced `llm` node against the fake model at 0 ms latency vs the same call made directly with the SDK (and
//    through the model service the node uses, without the engine);
// 3. 10 parallel branches of 100 ms model calls vs one such call.
// Also the first run of the chain in a fresh process (compile and validation included): once in this process and in
// a few more started for it (`--cold-child`), as one sample is mostly the luck of where the collector runs.
// The fake OpenAI server runs in its own process so its work does not share the event loop being measured.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
// The built runtime (tsc output), not the sources through tsx: tsx's keepNames helpers distort closure-heavy code.
import { startRun } from '../../runtime/dist/engine/index.js';
import { createLlmService } from '../../runtime/dist/providers/openai.js';
import { passThrough, testRegistry } from '../../runtime/dist/testing/kinds.js';

const TARGETS = { perNodeUs: 10, perCallMs: 0.5, branchesRatio: 1.1 };
const CHAIN = 1000;
// `npm run bench -- engine --quick`: fewer samples, for a smoke run.
const quick = process.argv.includes('--quick');
// A process started only to time the first run of the chain, after the same set-up as this one (`coldFirstRun`).
const isColdChild = process.argv.includes('--cold-child');
const COLD_CHILDREN = quick ? 2 : 6;

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
  return { median: at(0.5), p99: at(0.99), min: sorted[0] ?? 0, n: sorted.length };
}

const round = (value, digits = 3) => Number(value.toFixed(digits));

async function startFake() {
  const child = spawn(process.execPath, ['test/dist/fake-openai.js', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const url = await new Promise((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`fake OpenAI server exited with ${code}`)));
  });
  return { url, child };
}

/** The first run of the chain in a fresh process set up as this one is (`--cold-child`), in ms. */
async function coldFirstRun() {
  const script = fileURLToPath(import.meta.url);
  // The same node flags as this process (`--expose-gc`, `--cpu-prof` under `npm run bench -- --profile`).
  const child = spawn(process.execPath, [...process.execArgv, script, '--cold-child'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += chunk;
  });
  // 'close', not 'exit': its output may still be arriving when it exits.
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const code = await new Promise((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`cold-run process ended with ${code}`);
  return JSON.parse(out).coldMs;
}

function chainFlow() {
  const nodes = Array.from({ length: CHAIN }, (_, i) => ({
    id: `n${i}`,
    type: 'test-pass',
    position: { x: i * 10, y: 0 },
    params: i === 0 ? { value: 1 } : {},
  }));
  const edges = Array.from({ length: CHAIN - 1 }, (_, i) => ({
    id: `e${i}`,
    source: `n${i}`,
    sourcePort: 'out',
    target: `n${i + 1}`,
    targetPort: 'in',
  }));
  return { format: 'flowloom.flow/v1', id: 'bench-chain', name: 'chain', nodes, edges };
}

function llmFlow(branches) {
  const nodes = [{ id: 'question', type: 'input', position: { x: 0, y: 0 }, params: { name: 'question' } }];
  const edges = [];
  for (let i = 0; i < branches; i++) {
    nodes.push({ id: `llm${i}`, type: 'llm', position: { x: 200, y: i * 100 }, params: { temperature: 0 } });
    nodes.push({ id: `out${i}`, type: 'output', position: { x: 400, y: i * 100 }, params: { name: `answer${i}` } });
    edges.push({ id: `q${i}`, source: 'question', sourcePort: 'value', target: `llm${i}`, targetPort: 'prompt' });
    edges.push({ id: `a${i}`, source: `llm${i}`, sourcePort: 'text', target: `out${i}`, targetPort: 'value' });
  }
  return { format: 'flowloom.flow/v1', id: `bench-llm-${branches}`, name: 'llm', nodes, edges };
}

/** A difference with its sign: +0.12, −0.05. */
function signed(value) {
  const r = round(value);
  return r < 0 ? `−${-r}` : `+${r}`;
}

async function main() {
  const loadAtStart = os.loadavg()[0] ?? 0;
  const registry = testRegistry();
  const { url, child } = await startFake();
  const llm = createLlmService({ baseURL: url });
  const services = { llm };
  const sdk = new OpenAI({ baseURL: url, apiKey: 'not-needed', maxRetries: 0 });

  // --- 1. chain of 1,000 pass-through nodes -----------------------------------------------------------------
  const chain = chainFlow();
  const coldStart = performance.now();
  const first = await startRun(chain, { registry, services, inputs: {} }).result;
  const coldMs = performance.now() - coldStart;
  if (first.status !== 'completed') throw new Error(`chain run ${first.status}: ${JSON.stringify(first.error)}`);
  if (isColdChild) {
    console.log(JSON.stringify({ coldMs }));
    child.kill('SIGTERM');
    return;
  }

  const ctx = { signal: new AbortController().signal };
  const execute = passThrough.execute;
  async function plainLoop() {
    let value;
    for (let i = 0; i < CHAIN; i++) {
      const out = await execute({ inputs: { in: value }, params: { value: i === 0 ? 1 : undefined } }, ctx);
      value = out.out;
    }
    return value;
  }
  const engineChain = [];
  const loopChain = [];
  const chainRuns = quick ? 30 : 200;
  for (let i = 0; i < chainRuns + 20; i++) {
    const t0 = performance.now();
    const result = await startRun(chain, { registry, services, inputs: {} }).result;
    const t1 = performance.now();
    await plainLoop();
    const t2 = performance.now();
    if (result.status !== 'completed') throw new Error('chain run failed');
    if (i >= 20) {
      engineChain.push(((t1 - t0) * 1000) / CHAIN);
      loopChain.push(((t2 - t1) * 1000) / CHAIN);
    }
  }
  const engineNode = stats(engineChain);
  const loopNode = stats(loopChain);
  const perNodeOverhead = engineNode.median - loopNode.median;

  // --- 2. one traced llm node at 0 ms vs the direct SDK call ----------------------------------------------------
  const single = llmFlow(1);
  const question = 'What is the capital of France?';
  async function direct(content) {
    const stream = await sdk.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content }],
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    return text;
  }
  // The same call through Flowloom's model service (its HTTP client and answer guard) without the engine.
  async function service(content) {
    const result = await llm.chat(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content }], temperature: 0 },
      { signal: new AbortController().signal, onDelta: () => {} },
    );
    return result.message.content;
  }
  const calls = { engine: [], direct: [], service: [] };
  // CPU time of this process per call, per side: less sensitive than wall time to other load on the machine.
  const cpuUs = { engine: 0, direct: 0, service: 0 };
  const callRuns = quick ? 100 : 600;
  const sides = ['engine', 'direct', 'service'];
  for (let i = 0; i < callRuns + 100; i++) {
    // Rotate the order so drift and connection reuse favour no side.
    for (let k = 0; k < sides.length; k++) {
      const side = sides[(i + k) % sides.length];
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      if (side === 'engine') {
        const result = await startRun(single, { registry, services, inputs: { question } }).result;
        if (result.status !== 'completed') throw new Error(`llm run ${result.status}: ${JSON.stringify(result.error)}`);
      } else if (side === 'direct') await direct(question);
      else await service(question);
      const ms = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      if (i >= 100) {
        cpuUs[side] += cpu.user + cpu.system;
        calls[side].push(ms);
      }
    }
  }
  const engineOne = stats(calls.engine);
  const directOne = stats(calls.direct);
  const serviceOne = stats(calls.service);
  const perCallOverhead = engineOne.median - directOne.median;

  // --- 3. 10 parallel branches of 100 ms model calls vs one ------------------------------------------------------
  const ten = llmFlow(10);
  const slowQuestion = '[[latency:100]] Summarise the plot.';
  const engineTen = [];
  const directSlow = [];
  const directTen = [];
  const branchRuns = quick ? 5 : 25;
  for (let i = 0; i < branchRuns + 3; i++) {
    const t0 = performance.now();
    const result = await startRun(ten, { registry, services, inputs: { question: slowQuestion } }).result;
    const t1 = performance.now();
    await direct(slowQuestion);
    const t2 = performance.now();
    // Control: the same 10 calls straight through the SDK with Promise.all, no engine.
    await Promise.all(Array.from({ length: 10 }, () => direct(slowQuestion)));
    const t3 = performance.now();
    if (result.status !== 'completed') throw new Error(`branches run ${result.status}`);
    if (i >= 3) {
      engineTen.push(t1 - t0);
      directSlow.push(t2 - t1);
      directTen.push(t3 - t2);
    }
  }
  const tenStats = stats(engineTen);
  const oneStats = stats(directSlow);
  const tenDirectStats = stats(directTen);
  // How many of the engine's 10 calls the fake server held at the same time.
  const control = url.replace(/\/v1$/, '/_fake');
  await fetch(`${control}/reset`, { method: 'POST' });
  await startRun(ten, { registry, services, inputs: { question: slowQuestion } }).result;
  const { maxInFlight } = await (await fetch(`${control}/state`)).json();
  const ratio = tenStats.median / oneStats.median;

  child.kill('SIGTERM');

  const coldSamples = [coldMs];
  for (let i = 0; i < COLD_CHILDREN; i++) coldSamples.push(await coldFirstRun());
  const cold = stats(coldSamples);

  const results = {
    date: new Date().toISOString(),
    machine: {
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      memoryGiB: round(os.totalmem() / 2 ** 30, 1),
      node: process.version,
      platform: `${os.type()} ${os.release()} ${os.arch()}`,
      // Other work on the machine skews every figure: record the 1-minute load average at the start and end.
      loadAverage: [round(loadAtStart, 2), round(os.loadavg()[0] ?? 0, 2)],
    },
    chain: {
      nodes: CHAIN,
      runs: engineNode.n,
      // Median over fresh processes (this one and COLD_CHILDREN more).
      coldFirstRunMs: round(cold.median, 2),
      coldFirstRunSamplesMs: coldSamples.map((ms) => round(ms, 2)),
      engineUsPerNode: { median: round(engineNode.median), p99: round(engineNode.p99) },
      baselineUsPerNode: { median: round(loopNode.median), p99: round(loopNode.p99) },
      overheadUsPerNode: round(perNodeOverhead),
      target: TARGETS.perNodeUs,
      met: perNodeOverhead <= TARGETS.perNodeUs,
    },
    llmCall: {
      calls: engineOne.n,
      engineMs: { median: round(engineOne.median), p99: round(engineOne.p99) },
      directSdkMs: { median: round(directOne.median), p99: round(directOne.p99) },
      addedMsPerCall: round(perCallOverhead),
      // The engine and its trace alone: over the same call through the model service the llm node uses.
      modelServiceMs: { median: round(serviceOne.median), p99: round(serviceOne.p99) },
      addedMsOverService: round(engineOne.median - serviceOne.median),
      cpuMsPerCall: {
        engine: round(cpuUs.engine / 1000 / callRuns),
        directSdk: round(cpuUs.direct / 1000 / callRuns),
        modelService: round(cpuUs.service / 1000 / callRuns),
      },
      target: TARGETS.perCallMs,
      met: perCallOverhead <= TARGETS.perCallMs,
    },
    branches: {
      runs: tenStats.n,
      tenBranchesMs: { median: round(tenStats.median, 1), p99: round(tenStats.p99, 1) },
      oneCallMs: { median: round(oneStats.median, 1), p99: round(oneStats.p99, 1) },
      tenDirectParallelMs: { median: round(tenDirectStats.median, 1), p99: round(tenDirectStats.p99, 1) },
      ratioToTenDirect: round(tenStats.median / tenDirectStats.median),
      maxCallsInFlight: maxInFlight,
      ratio: round(ratio),
      target: TARGETS.branchesRatio,
      met: ratio <= TARGETS.branchesRatio,
    },
  };

  const mark = (met) => (met ? 'met' : 'MISSED');
  console.log(
    `machine: ${results.machine.cpu} x${results.machine.cores}, ${results.machine.node}, ` +
      `load average ${results.machine.loadAverage.join(' → ')}`,
  );
  console.log('| measure | engine (median / p99) | baseline (median / p99) | result | target |');
  console.log('|---|---|---|---|---|');
  console.log(
    `| chain of ${CHAIN} pass-through nodes, µs/node | ${round(engineNode.median)} / ${round(engineNode.p99)} | ` +
      `${round(loopNode.median)} / ${round(loopNode.p99)} (plain loop) | +${round(perNodeOverhead)} µs/node | ` +
      `≤ ${TARGETS.perNodeUs} µs: ${mark(results.chain.met)} |`,
  );
  console.log(
    `| one traced llm node at 0 ms, ms/call | ${round(engineOne.median)} / ${round(engineOne.p99)} | ` +
      `${round(directOne.median)} / ${round(directOne.p99)} (direct SDK) | ${signed(perCallOverhead)} ms/call | ` +
      `≤ ${TARGETS.perCallMs} ms: ${mark(results.llmCall.met)} |`,
  );
  console.log(
    `| CPU time of this process per llm call, ms | ${results.llmCall.cpuMsPerCall.engine} | ` +
      `${results.llmCall.cpuMsPerCall.directSdk} (direct SDK) | ` +
      `${signed(results.llmCall.cpuMsPerCall.engine - results.llmCall.cpuMsPerCall.directSdk)} ms/call | |`,
  );
  console.log(
    `| the same llm node over the model service alone, ms/call | ${round(engineOne.median)} / ${round(engineOne.p99)} | ` +
      `${round(serviceOne.median)} / ${round(serviceOne.p99)} (model service) | ` +
      `${signed(results.llmCall.addedMsOverService)} ms/call; CPU ${results.llmCall.cpuMsPerCall.engine} vs ` +
      `${results.llmCall.cpuMsPerCall.modelService} | |`,
  );
  console.log(
    `| 10 branches of 100 ms calls, ms | ${round(tenStats.median, 1)} / ${round(tenStats.p99, 1)} | ` +
      `${round(oneStats.median, 1)} / ${round(oneStats.p99, 1)} (one call) | ×${round(ratio)} | ` +
      `≤ ×${TARGETS.branchesRatio}: ${mark(results.branches.met)} |`,
  );
  console.log(
    `| control: the same 10 calls straight through the SDK (Promise.all), ms | ${round(tenStats.median, 1)} | ` +
      `${round(tenDirectStats.median, 1)} / ${round(tenDirectStats.p99, 1)} | ×${results.branches.ratioToTenDirect} | |`,
  );
  console.log(`(the fake server held ${maxInFlight} of the engine's 10 calls at the same time)`);
  console.log(
    `(first run of the 1,000-node chain in a fresh process, compile and validation included: median ${round(cold.median, 1)} ms ` +
      `of ${cold.n} processes, ${round(cold.min, 1)} at best)`,
  );

  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/engine.json', `${JSON.stringify(results, null, 2)}\n`);
}

await main();
