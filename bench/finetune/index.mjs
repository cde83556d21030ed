// Fine-tuning export benchmark (`npm run bench -- finetune`): 10,000 completed runs of a chat flow with history
// (each with an input, an llm and an output node, the llm's events as a real run writes them), then the time to
// export them all as OpenAI fine-tuning JSONL: supervised examples (each line checked and counted with js-tiktoken)
// through GET /api/runs/export, and DPO pairs. Target: ≤ 5 s for 10,000 runs, the first export of the process
// included. Then the median of 3 more exports each.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testConfig } from '../../runtime/dist/config.js';
import { buildApp } from '../../runtime/dist/http/app.js';
import { createRuntime } from '../../runtime/dist/kernel.js';

const quick = process.argv.includes('--quick');
const RUNS = quick ? 2_000 : 10_000;
const TARGET_MS = 5_000;
const HERE = fileURLToPath(new URL('.', import.meta.url));
const ROOT = join(HERE, '..', '..');

const flow = {
  format: 'flowloom.flow/v1',
  id: 'bench-support',
  name: 'Bench support',
  nodes: [
    { id: 'question', type: 'input', position: { x: 0, y: 0 } },
    {
      id: 'history',
      type: 'input',
      position: { x: 0, y: 200 },
      params: { name: 'history', dataType: 'messages', required: false, default: [] },
    },
    {
      id: 'llm',
      type: 'llm',
      position: { x: 300, y: 0 },
      params: { model: 'gpt-4o-mini', system: 'You answer questions about orders in two sentences.' },
    },
    { id: 'answer', type: 'output', position: { x: 600, y: 0 } },
  ],
  edges: [
    { id: 'e1', source: 'question', sourcePort: 'value', target: 'llm', targetPort: 'prompt' },
    { id: 'e2', source: 'history', sourcePort: 'value', target: 'llm', targetPort: 'messages' },
    { id: 'e3', source: 'llm', sourcePort: 'text', target: 'answer', targetPort: 'value' },
  ],
};

function seed(store, count) {
  const start = Date.now() - count * 1000;
  for (let i = 0; i < count; i++) {
    const runId = `r_${String(i).padStart(24, '0')}`;
    const at = new Date(start + i * 1000).toISOString();
    const question = `Where is my order A${1000 + i}? It was due on Monday and the tracking page says nothing.`;
    const history = [
      { role: 'user', content: `Hello, I ordered a lamp (order A${1000 + i}).` },
      { role: 'assistant', content: 'Thanks! How can I help with that order?' },
    ];
    const answer = `Order A${1000 + i} left our warehouse on Friday and is with the carrier; it should arrive within two days.`;
    store.insertRun({
      runId,
      flowId: flow.id,
      flowVersion: 1,
      status: 'running',
      inputs: { question, history },
      startedAt: at,
      source: 'api',
    });
    let seq = 0;
    const event = (type, extra) => store.enqueueEvent({ runId, seq: seq++, at, type, flowId: flow.id, ...extra }, 1);
    event('run.started', { data: { inputs: { question, history } } });
    event('node.started', { nodeId: 'question', spanId: 's_1', parentSpanId: null, data: { inputs: {} } });
    event('node.completed', {
      nodeId: 'question',
      spanId: 's_1',
      parentSpanId: null,
      data: { outputs: { value: question }, durationMs: 0.1 },
    });
    event('node.started', { nodeId: 'history', spanId: 's_2', parentSpanId: null, data: { inputs: {} } });
    event('node.completed', {
      nodeId: 'history',
      spanId: 's_2',
      parentSpanId: null,
      data: { outputs: { value: history }, durationMs: 0.1 },
    });
    event('node.started', {
      nodeId: 'llm',
      spanId: 's_3',
      parentSpanId: null,
      data: { inputs: { prompt: question, messages: history } },
    });
    event('node.delta', { nodeId: 'llm', spanId: 's_3', parentSpanId: null, data: { text: answer } });
    const usage = { promptTokens: 60, completionTokens: 25 };
    event('node.completed', {
      nodeId: 'llm',
      spanId: 's_3',
      parentSpanId: null,
      data: {
        outputs: {
          text: answer,
          messages: [...history, { role: 'user', content: question }, { role: 'assistant', content: answer }],
        },
        durationMs: 420,
        usage,
        costUsd: 0.00002,
        model: 'gpt-4o-mini',
      },
    });
    event('node.started', { nodeId: 'answer', spanId: 's_4', parentSpanId: null, data: { inputs: { value: answer } } });
    event('node.completed', {
      nodeId: 'answer',
      spanId: 's_4',
      parentSpanId: null,
      data: { outputs: { value: answer }, durationMs: 0.1 },
    });
    event('run.completed', { data: { outputs: { answer }, durationMs: 421, usage, costUsd: 0.00002 } });
    store.finishRun(runId, 1, {
      status: 'completed',
      outputs: { answer },
      usage,
      costUsd: 0.00002,
      endedAt: at,
      durationMs: 421,
    });
  }
}

async function main() {
  const dataDir = join(ROOT, 'bench/results/.tmp-finetune');
  rmSync(dataDir, { recursive: true, force: true });
  const config = testConfig({ dataDir, openai: { baseURL: 'http://127.0.0.1:9/v1', apiKey: 'bench' } });
  const runtime = await createRuntime(config);
  const app = await buildApp(runtime, config);
  await runtime.store.createFlow(flow);
  const t0 = performance.now();
  seed(runtime.store, RUNS);
  await runtime.store.flush();
  const seedMs = performance.now() - t0;
  // The first export of a process also builds the tokenizer (reads its ranks): reported apart, as `coldMs`.
  const measure = async (url) => {
    const times = [];
    const cpu = [];
    let headers;
    let bytes = 0;
    for (let i = 0; i < 4; i++) {
      const start = performance.now();
      const cpu0 = process.cpuUsage();
      const res = await app.inject({ method: 'GET', url });
      const used = process.cpuUsage(cpu0);
      times.push(performance.now() - start);
      cpu.push((used.user + used.system) / 1000);
      if (res.statusCode !== 200) throw new Error(`${res.statusCode}: ${res.body.slice(0, 300)}`);
      headers = res.headers;
      bytes = res.body.length;
    }
    const [cold, ...warm] = times;
    const [coldCpu, ...warmCpu] = cpu;
    warm.sort((a, b) => a - b);
    warmCpu.sort((a, b) => a - b);
    // CPU time of this process (wall time suffers most from other load on the machine).
    return {
      coldMs: Math.round(cold),
      ms: Math.round(warm[1]),
      coldCpuMs: Math.round(coldCpu),
      cpuMs: Math.round(warmCpu[1]),
      examples: Number(headers['x-flowloom-examples']),
      tokens: Number(headers['x-flowloom-tokens']),
      bytes,
    };
  };
  const sft = await measure('/api/runs/export?format=openai-sft');
  const dpo = await measure('/api/runs/export?format=openai-dpo');
  const result = {
    at: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model,
    loadavg: os.loadavg(),
    runs: RUNS,
    seedMs: Math.round(seedMs),
    targetMs: TARGET_MS,
    sft: { ...sft, met: sft.coldMs <= TARGET_MS && sft.examples === RUNS },
    dpo,
  };
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/finetune.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
  await app.close();
  rmSync(dataDir, { recursive: true, force: true });
}

await main();
