// Evals benchmark (`npm run bench -- evals`). Each figure beside a baseline in the same run:
// 1. an experiment of 1,000 items × 2 targets (input → prompt → llm → output, the fake model at 0 ms, concurrency 16,
//    exact + BLEU + ROUGE-L) against the same 2,000 runs started 16 at a time without an experiment (no evaluation,
//    no cells written), on the same runtime (SQLite store, writer thread), alternating;
// 2. ROUGE-L of two 2,000-token texts against a plain dynamic-programming LCS of the same token ids.
// The fake OpenAI server runs in its own process so its work does not share the event loop being measured.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
// The built runtime (tsc output), not the sources through tsx.
import { testConfig } from '../../runtime/dist/config.js';
import { rouge, tokenizeRouge } from '../../runtime/dist/evals/metrics/index.js';
import { createRuntime } from '../../runtime/dist/kernel.js';

const TARGETS = { experimentS: 20, addedMsPerItem: 2, rougeLMs: 20 };
const quick = process.argv.includes('--quick');
const ITEMS = quick ? 200 : 1000;
const ROUNDS = quick ? 1 : 2;
const CONCURRENCY = 16;

const round = (value, digits = 3) => Number(value.toFixed(digits));

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
  return { median: at(0.5), min: sorted[0] ?? 0, max: sorted.at(-1) ?? 0, n: sorted.length };
}

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

function chatFlow(id, template) {
  return {
    format: 'flowloom.flow/v1',
    id,
    name: id,
    nodes: [
      { id: 'question', type: 'input', position: { x: 0, y: 0 }, params: { name: 'question' } },
      { id: 'prompt', type: 'prompt', position: { x: 250, y: 0 }, params: { template } },
      { id: 'llm', type: 'llm', position: { x: 500, y: 0 }, params: { temperature: 0, stream: false } },
      { id: 'answer', type: 'output', position: { x: 750, y: 0 }, params: { name: 'answer' } },
    ],
    edges: [
      { id: 'e1', source: 'question', sourcePort: 'value', target: 'prompt', targetPort: 'question' },
      { id: 'e2', source: 'prompt', sourcePort: 'prompt', target: 'llm', targetPort: 'prompt' },
      { id: 'e3', source: 'llm', sourcePort: 'text', target: 'answer', targetPort: 'value' },
    ],
  };
}

/** The same runs an experiment makes, 16 at a time, nothing else: each target's draft on each item. */
async function plainRuns(runtime, flows, items) {
  const queue = items.flatMap((item) => flows.map((flow) => ({ flow, item })));
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const run = await runtime.runs.start(next.flow, { inputs: next.item.input }, next.flow.version ?? null).done;
      if (run.status !== 'completed') throw new Error(`baseline run ${run.status}: ${JSON.stringify(run.error)}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

/** Starts an experiment and resolves with its final state once it has ended. */
async function experiment(runtime, datasetId, flowIds) {
  const ended = new Promise((resolve) => {
    const stop = runtime.experiments.onEvent((event) => {
      if (event.type === 'experiment.completed') {
        stop();
        resolve(event);
      }
    });
  });
  await runtime.experiments.create({
    datasetId,
    targets: flowIds.map((flowId) => ({ flowId, version: 'draft' })),
    evaluators: [{ type: 'exact' }, { type: 'bleu' }, { type: 'rouge', variant: 'rougeL' }],
    concurrency: CONCURRENCY,
  });
  const event = await ended;
  if (event.status !== 'completed' || event.progress.errors > 0) {
    throw new Error(`experiment ${event.status} with ${event.progress.errors} errors`);
  }
  return event;
}

/** Seeded text of `count` words from a small vocabulary (mulberry32), so every run measures the same texts. */
function words(count, seed) {
  const vocabulary = Array.from({ length: 400 }, (_, i) => `w${i.toString(36)}`);
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: count }, () => vocabulary[Math.floor(random() * vocabulary.length)]).join(' ');
}

/** The textbook O(n·m) LCS table on token ids, two rows at a time: the baseline of the bit-parallel one. */
function dpLcs(a, b) {
  let previous = new Int32Array(b.length + 1);
  let current = new Int32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    const x = a[i - 1];
    for (let j = 1; j <= b.length; j++) {
      current[j] = x === b[j - 1] ? previous[j - 1] + 1 : Math.max(previous[j], current[j - 1]);
    }
    [previous, current] = [current, previous];
  }
  return previous[b.length];
}

async function main() {
  const loadAtStart = os.loadavg()[0] ?? 0;
  const { url, child } = await startFake();
  const dataDir = join(os.tmpdir(), `flowloom-bench-evals-${process.pid}`);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const runtime = await createRuntime(testConfig({ dataDir, openai: { baseURL: url, apiKey: 'bench' } }));
  try {
    // --- 1. experiment vs the same runs without one ------------------------------------------------------------
    const flows = [];
    for (const [id, template] of [
      ['bench-a', 'Q: {{question}}'],
      ['bench-b', '{{question}}'],
    ]) {
      flows.push((await runtime.store.createFlow(chatFlow(id, template))).flow);
    }
    const dataset = await runtime.datasets.create({ name: 'bench' });
    const items = Array.from({ length: ITEMS }, (_, i) => ({
      input: { question: `question number ${i} about the weather in town ${i % 37}` },
      expected: `echo: question number ${i} about the weather in town ${i % 37}`,
    }));
    await runtime.datasets.addItems(dataset.id, items);
    // Warm-up: compile the flows, open connections.
    await plainRuns(runtime, flows, items.slice(0, 64));

    const experimentMs = [];
    const baselineMs = [];
    for (let r = 0; r < ROUNDS; r++) {
      for (const side of r % 2 === 0 ? ['baseline', 'experiment'] : ['experiment', 'baseline']) {
        global.gc?.();
        const t0 = performance.now();
        if (side === 'baseline') await plainRuns(runtime, flows, items);
        else await experiment(runtime, dataset.id, ['bench-a', 'bench-b']);
        (side === 'baseline' ? baselineMs : experimentMs).push(performance.now() - t0);
      }
    }
    const exp = stats(experimentMs);
    const base = stats(baselineMs);
    const addedMsPerItem = (exp.median - base.median) / ITEMS;

    // --- 2. ROUGE-L on two 2,000-token texts ---------------------------------------------------------------------
    const target = words(2000, 1);
    const prediction = words(2000, 2);
    const ids = new Map();
    const encode = (text) => Int32Array.from(tokenizeRouge(text), (t) => ids.get(t) ?? ids.set(t, ids.size).get(t));
    const rougeMs = [];
    const dpMs = [];
    let check = 0;
    for (let i = 0; i < (quick ? 10 : 40); i++) {
      const t0 = performance.now();
      const score = rouge(target, prediction, 'rougeL');
      const t1 = performance.now();
      const lcs = dpLcs(encode(target), encode(prediction));
      const t2 = performance.now();
      if (i >= 5) {
        rougeMs.push(t1 - t0);
        dpMs.push(t2 - t1);
      }
      check = Math.abs(score.recall * 2000 - lcs);
    }
    if (check > 1e-6) throw new Error('ROUGE-L and the plain LCS disagree');
    const rougeStats = stats(rougeMs);
    const dpStats = stats(dpMs);

    const results = {
      date: new Date().toISOString(),
      machine: {
        cpu: os.cpus()[0]?.model ?? 'unknown',
        cores: os.cpus().length,
        node: process.version,
        loadAverage: [round(loadAtStart, 2), round(os.loadavg()[0] ?? 0, 2)],
      },
      experiment: {
        items: ITEMS,
        targets: 2,
        concurrency: CONCURRENCY,
        evaluators: ['exact', 'bleu', 'rougeL'],
        rounds: exp.n,
        experimentMs: { median: round(exp.median, 1), min: round(exp.min, 1), max: round(exp.max, 1) },
        baselineMs: { median: round(base.median, 1), min: round(base.min, 1), max: round(base.max, 1) },
        addedMsPerItem: round(addedMsPerItem),
        addedMsPerCell: round(addedMsPerItem / 2),
        goals: { experimentS: TARGETS.experimentS, addedMsPerItem: TARGETS.addedMsPerItem },
        met: exp.median / 1000 <= TARGETS.experimentS && addedMsPerItem <= TARGETS.addedMsPerItem,
      },
      rougeL: {
        tokens: 2000,
        rougeMs: { median: round(rougeStats.median), max: round(rougeStats.max) },
        plainDpLcsMs: { median: round(dpStats.median), max: round(dpStats.max) },
        target: TARGETS.rougeLMs,
        met: rougeStats.median <= TARGETS.rougeLMs,
      },
    };
    const mark = (met) => (met ? 'met' : 'MISSED');
    console.log(
      `machine: ${results.machine.cpu} x${results.machine.cores}, ${results.machine.node}, ` +
        `load average ${results.machine.loadAverage.join(' → ')}`,
    );
    console.log('| measure | result (median) | baseline (median) | added | target |');
    console.log('|---|---|---|---|---|');
    console.log(
      `| experiment, ${ITEMS} items × 2 targets, c=${CONCURRENCY}, exact+BLEU+ROUGE-L | ${round(exp.median / 1000, 2)} s | ` +
        `${round(base.median / 1000, 2)} s (same runs, no experiment) | +${round(addedMsPerItem)} ms/item | ` +
        `≤ ${TARGETS.experimentS} s, ≤ ${TARGETS.addedMsPerItem} ms/item: ${mark(results.experiment.met)} |`,
    );
    console.log(
      `| ROUGE-L, two 2,000-token texts | ${round(rougeStats.median, 2)} ms | ${round(dpStats.median, 2)} ms ` +
        `(plain DP LCS) | | ≤ ${TARGETS.rougeLMs} ms: ${mark(results.rougeL.met)} |`,
    );
    mkdirSync('bench/results', { recursive: true });
    writeFileSync('bench/results/evals.json', `${JSON.stringify(results, null, 2)}\n`);
  } finally {
    await runtime.close();
    child.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
