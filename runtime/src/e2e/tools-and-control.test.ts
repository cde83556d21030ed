import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FlowFile, TraceEvent } from '@flowloom/nodes';
import { type FakeOpenAI, startFakeOpenAI } from '@flowloom/test/fake-openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { flowOf as flow, startTestApp, type TestApp } from '../testing/fixtures.js';

// Issue #3 end to end: the example flows and the tool, control-flow and data kinds, run through the real app
// (Fastify, SQLite store, engine, QuickJS, HTTP client) with the fake model behind the real openai SDK.

const FLOWS = new URL('../../../flows/', import.meta.url);
const example = (id: string) => JSON.parse(readFileSync(new URL(`${id}.flow.json`, FLOWS), 'utf8')) as FlowFile;

let fake: FakeOpenAI;
let t: TestApp;
let server: http.Server;
let serverUrl = '';

interface RunAnswer {
  runId: string;
  status: string;
  outputs: Record<string, unknown>;
  error?: { code: string; message: string; details?: { nodeId: string; code: string }[] };
}

beforeAll(async () => {
  fake = await startFakeOpenAI();
  t = await startTestApp({ openai: { baseURL: fake.url, apiKey: 'test' }, http: { allowPrivate: true } });
  for (const id of ['support-agent', 'triage-router', 'map-summarize', 'map-summarize-item']) await save(example(id));
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    res.setHeader('content-type', 'application/json');
    if (url.pathname.startsWith('/stock/')) {
      const sku = decodeURIComponent(url.pathname.slice('/stock/'.length));
      if (sku === 'missing') {
        res.statusCode = 404;
        res.end(JSON.stringify({ error: 'unknown sku' }));
        return;
      }
      res.end(JSON.stringify({ sku, inStock: 3 }));
      return;
    }
    res.end(JSON.stringify({ path: url.pathname, q: url.searchParams.get('q') }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await t?.close();
  await fake?.close();
  await new Promise((resolve) => server?.close(resolve));
});

beforeEach(() => fake.reset());

async function save(flow: FlowFile, app = t) {
  const res = await app.app.inject({ method: 'POST', url: '/api/flows', payload: flow });
  expect(res.statusCode, res.body).toBe(201);
}

async function run(flowId: string, inputs: Record<string, unknown>, extra: Record<string, unknown> = {}, app = t) {
  const res = await app.app.inject({ method: 'POST', url: `/api/flows/${flowId}/runs`, payload: { inputs, ...extra } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as RunAnswer;
}

async function events(runId: string, app = t): Promise<TraceEvent[]> {
  const res = await app.app.inject({ method: 'GET', url: `/api/runs/${runId}` });
  expect(res.statusCode).toBe(200);
  return (res.json() as { events: TraceEvent[] }).events;
}

async function healthy(app = t) {
  const res = await app.app.inject({ method: 'GET', url: '/api/health' });
  expect(res.statusCode).toBe(200);
}

describe('support-agent (function-call with tools)', () => {
  it('runs both tools in parallel as child spans and answers with their results', async () => {
    const question =
      'Where is order A1001 and can I get a refund? [[tool:order_status {"orderId":"A1001"}]] [[tool:refund_policy {}]]';
    const answer = await run('support-agent', { question });
    expect(answer.status, JSON.stringify(answer.error)).toBe('completed');
    expect(answer.outputs.answer).toContain('"status":"shipped"');
    expect(answer.outputs.answer).toContain('Refunds within 30 days');

    const trace = await events(answer.runId);
    const agentSpan = trace.find((e) => e.type === 'node.started' && e.nodeId === 'agent' && !e.parentSpanId)?.spanId;
    const toolSpans = trace.filter((e) => e.type === 'node.started' && e.parentSpanId === agentSpan);
    expect(toolSpans.map((e) => [e.nodeId, e.type === 'node.started' && e.data.name]).sort()).toEqual([
      ['order-status', 'tool order_status'],
      ['refund-policy', 'tool refund_policy'],
    ]);
    const orderDone = trace.find(
      (e) => e.type === 'node.completed' && e.spanId === toolSpans.find((s) => s.nodeId === 'order-status')?.spanId,
    );
    expect(orderDone?.type === 'node.completed' && orderDone.data.outputs.result).toMatchObject({
      orderId: 'A1001',
      status: 'shipped',
    });
    // Both calls started before either finished: they ran concurrently.
    const firstDone = trace.findIndex((e) => e.type === 'node.completed' && e.parentSpanId === agentSpan);
    expect(
      trace.filter((e, i) => i < firstDone && e.type === 'node.started' && e.parentSpanId === agentSpan),
    ).toHaveLength(2);
    expect(trace.some((e) => e.type === 'node.delta' && e.nodeId === 'agent')).toBe(true);
    const agentDone = trace.find((e) => e.type === 'node.completed' && e.nodeId === 'agent' && !e.parentSpanId);
    expect(agentDone?.type === 'node.completed' && agentDone.data.usage?.promptTokens).toBeGreaterThan(0);
    expect(fake.chatRequests()).toHaveLength(2);
  });

  it('sends a failing tool back to the model as a tool message instead of failing the run', async () => {
    const answer = await run('support-agent', { question: 'Order? [[tool:order_status {"orderId":"Z9"}]]' });
    expect(answer.status).toBe('completed');
    expect(answer.outputs.answer).toContain('SANDBOX_ERROR');
    expect(answer.outputs.answer).toContain('no order with id Z9');
    const toolMessage = fake.chatRequests()[1]?.messages.find((m) => m.role === 'tool');
    expect(JSON.parse(String(toolMessage?.content)).error.message).toMatch(/line 7/);
  });

  it('stops a model that keeps calling tools at maxIterations', async () => {
    const looping = example('support-agent');
    looping.id = 'support-agent-loop';
    const agent = looping.nodes.find((n) => n.id === 'agent');
    if (agent) agent.params = { ...agent.params, maxIterations: 2 };
    await save(looping);
    fake.enqueue(
      { toolCalls: [{ name: 'refund_policy', arguments: {} }] },
      { toolCalls: [{ name: 'refund_policy', arguments: {} }] },
    );
    const answer = await run('support-agent-loop', { question: 'loop' });
    expect(answer.status).toBe('failed');
    expect(answer.error?.code).toBe('TOOL_LOOP_LIMIT');
    await healthy();
  });
});

describe('triage-router (router and branches)', () => {
  it('answers on the chosen branch only and skips the others', async () => {
    fake.enqueue({ text: '{"route":"technical"}' });
    const answer = await run('triage-router', { message: 'The app crashes when I log in' });
    expect(answer.status, JSON.stringify(answer.error)).toBe('completed');
    expect(answer.outputs).toEqual({ route: 'technical', answer: 'echo: The app crashes when I log in' });
    const trace = await events(answer.runId);
    const skipped = trace
      .filter((e) => e.type === 'node.skipped')
      .map((e) => e.nodeId)
      .sort();
    expect(skipped).toEqual(['billing', 'handoff']);
    const routerRequest = fake.chatRequests()[0];
    expect(routerRequest?.response_format?.type).toBe('json_schema');
  });

  it('takes the fallback route without a model answer that names a route', async () => {
    fake.enqueue({ text: 'no idea' });
    const answer = await run('triage-router', { message: 'Hello there' });
    expect(answer.outputs).toEqual({
      route: 'other',
      answer: 'Thanks for your message. A person from our team will reply soon about: Hello there',
    });
  });
});

describe('map-summarize (map over a subflow)', () => {
  it('summarizes each paragraph in a child run, keeps their order and combines them', async () => {
    const paragraphs = ['Alpha one.', 'Beta two.', 'Gamma three.', 'Delta four.', 'Epsilon five.'];
    const answer = await run('map-summarize', { document: paragraphs.join('\n\n') });
    expect(answer.status, JSON.stringify(answer.error)).toBe('completed');
    expect(answer.outputs.parts).toEqual(paragraphs.map((p) => `echo: Summarize in one sentence: ${p}`));
    expect(String(answer.outputs.summary)).toMatch(/^echo: Combine these paragraph summaries/);
    const trace = await events(answer.runId);
    const items = trace.filter((e) => e.type === 'node.started' && e.nodeId === 'each' && e.parentSpanId);
    expect(items).toHaveLength(5);
    const progress = trace.flatMap((e) =>
      e.type === 'node.log' && e.nodeId === 'each' && e.data.progress ? [e.data.progress] : [],
    );
    expect(progress.at(-1)).toEqual({ done: 5, total: 5 });
    // Six model calls: five items and the combination.
    expect(fake.chatRequests()).toHaveLength(6);
    const runs = (await t.app.inject({ method: 'GET', url: '/api/runs?flowId=map-summarize-item' })).json() as {
      runs: unknown[];
    };
    expect(runs.runs.length).toBeGreaterThanOrEqual(5);
  });
});

describe('subflow and tool-flow', () => {
  it('runs a saved flow as a node and as a tool, and refuses recursion with SUBFLOW_DEPTH_EXCEEDED', async () => {
    await save(
      flow(
        'double',
        [
          ['n', 'input', { name: 'n', dataType: 'number' }],
          ['calc', 'code', { code: 'return inputs.n * 2;', inputNames: ['n'] }],
          ['out', 'output', { name: 'doubled' }],
        ],
        ['n.value→calc.n', 'calc.result→out.value'],
      ),
    );
    await save(
      flow(
        'uses-double',
        [
          ['x', 'input', { name: 'x', dataType: 'number' }],
          ['sub', 'subflow', { flowId: 'double', inputNames: ['n'], outputNames: ['doubled'] }],
          ['out', 'output', { name: 'y' }],
        ],
        ['x.value→sub.n', 'sub.doubled→out.value'],
      ),
    );
    expect((await run('uses-double', { x: 21 })).outputs).toEqual({ y: 42 });

    await save(
      flow(
        'tool-double',
        [
          ['q', 'input'],
          ['tool', 'tool-flow', { flowId: 'double', description: 'Doubles a number.' }],
          ['agent', 'function-call'],
          ['out', 'output'],
        ],
        ['q.value→agent.prompt', 'tool.tool→agent.tools', 'agent.text→out.value'],
      ),
    );
    const viaTool = await run('tool-double', { question: 'double 4 [[tool:double {"n":4}]]' });
    expect(viaTool.status, JSON.stringify(viaTool.error)).toBe('completed');
    expect(viaTool.outputs.answer).toBe('tool results: 8');
    const toolParams = fake.chatRequests()[0]?.tools?.[0]?.function.parameters;
    expect(toolParams).toEqual({
      type: 'object',
      properties: { n: { type: 'number' } },
      required: ['n'],
      additionalProperties: false,
    });

    await save(
      flow(
        'loop',
        [
          ['x', 'input', { name: 'x', required: false }],
          ['self', 'subflow', { flowId: 'loop', inputNames: ['x'] }],
          ['out', 'output'],
        ],
        ['x.value→self.x', 'self.outputs→out.value'],
      ),
    );
    const recursive = await run('loop', { x: 'go' });
    expect(recursive.status).toBe('failed');
    expect(recursive.error?.code).toBe('SUBFLOW_DEPTH_EXCEEDED');
    await healthy();
  });
});

describe('code node safety through the runtime', () => {
  const attempts: Record<string, [string, string]> = {
    'infinite loop': ['while (true) {}', 'SANDBOX_TIMEOUT'],
    'unbounded allocation': ['const a = []; for (let i = 0; ; i++) a.push([i, i, i, i]);', 'SANDBOX_MEMORY'],
    require: ['return require("fs").readFileSync("/etc/passwd", "utf8");', 'SANDBOX_ERROR'],
    process: ['return process.env;', 'SANDBOX_ERROR'],
    fetch: ['return await fetch("http://127.0.0.1/");', 'SANDBOX_ERROR'],
    import: ['return await import("node:fs");', 'SANDBOX_ERROR'],
  };
  for (const [name, [code, expected]] of Object.entries(attempts)) {
    it(`${name} fails only its node with ${expected}`, async () => {
      const id = `code-${name.replace(/\s+/g, '-')}`;
      await save(
        flow(
          id,
          [
            ['q', 'input'],
            ['bad', 'code', { code, timeoutMs: expected === 'SANDBOX_MEMORY' ? 20_000 : 200, memoryMb: 8 }],
            ['ok', 'text', { mode: 'format', template: 'still {{question}}' }],
            ['o1', 'output', { name: 'bad' }],
            ['o2', 'output', { name: 'ok' }],
          ],
          ['q.value→bad.input', 'q.value→ok.question', 'bad.result→o1.value', 'ok.text→o2.value'],
        ),
      );
      const answer = await run(id, { question: 'here' });
      expect(answer.status).toBe('failed');
      expect(answer.error?.details?.[0]).toMatchObject({ nodeId: 'bad', code: expected });
      expect(answer.outputs).toEqual({ ok: 'still here' });
      await healthy();
    });
  }

  it('a cancelled run ends a spinning script at once and the runtime stays healthy', async () => {
    await save(
      flow(
        'code-spin',
        [
          ['q', 'input'],
          ['spin', 'code', { code: 'while (true) {}', timeoutMs: 30_000 }],
          ['o', 'output'],
        ],
        ['q.value→spin.input', 'spin.result→o.value'],
      ),
    );
    const { handle, done } = await t.app.runtime.runs.startSaved('code-spin', { inputs: { question: 'x' } });
    await new Promise<void>((resolve) => {
      handle.trace.subscribe((event) => {
        if (event.type === 'node.started' && event.nodeId === 'spin') resolve();
      });
    });
    await healthy();
    const res = await t.app.inject({ method: 'POST', url: `/api/runs/${handle.runId}/cancel` });
    expect(res.statusCode).toBe(200);
    expect((await done).status).toBe('cancelled');
    await save(
      flow(
        'code-after',
        [
          ['q', 'input'],
          ['c', 'code', { code: 'return inputs.input + "!";' }],
          ['o', 'output'],
        ],
        ['q.value→c.input', 'c.result→o.value'],
      ),
    );
    expect((await run('code-after', { question: 'alive' })).outputs).toEqual({ answer: 'alive!' });
  });

  it('reports the line of a runtime error and returns JSON results', async () => {
    await save(
      flow(
        'code-line',
        [
          ['q', 'input'],
          ['c', 'code', { code: 'const a = inputs.input;\nreturn a.nope.deeper;' }],
          ['o', 'output'],
        ],
        ['q.value→c.input', 'c.result→o.value'],
      ),
    );
    const failed = await run('code-line', { question: 'x' });
    expect(failed.error?.message).toMatch(/line 2/);
    await save(
      flow(
        'code-json',
        [
          ['q', 'input'],
          ['c', 'code', { code: 'return { upper: inputs.input.toUpperCase(), n: [1, 2] };' }],
          ['o', 'output'],
        ],
        ['q.value→c.input', 'c.result→o.value'],
      ),
    );
    expect((await run('code-json', { question: 'hi' })).outputs).toEqual({ answer: { upper: 'HI', n: [1, 2] } });
  });
});

describe('http, tool-http, condition, json, memory and structured output', () => {
  it('http calls a local server when private addresses are allowed and json extracts from it', async () => {
    await save(
      flow(
        'http-json',
        [
          ['q', 'input'],
          ['req', 'http', { url: `${serverUrl}/search?q={{q}}`, inputNames: ['q'] }],
          ['pick', 'json', { path: '$.q' }],
          ['o', 'output'],
        ],
        ['q.value→req.q', 'req.body→pick.value', 'pick.value→o.value'],
      ),
    );
    expect((await run('http-json', { question: 'a b&c' })).outputs).toEqual({ answer: 'a b&c' });
  });

  it('http refuses loopback with HTTP_ADDRESS_BLOCKED when the operator has not allowed it', async () => {
    const strict = await startTestApp({ openai: { baseURL: fake.url, apiKey: 'test' } });
    try {
      await save(
        flow(
          'http-blocked',
          [
            ['q', 'input'],
            ['req', 'http', { url: `${serverUrl}/x` }],
            ['o', 'output'],
            ['s', 'output', { name: 'status' }],
          ],
          ['q.value→o.value', 'req.status→s.value'],
        ),
        strict,
      );
      const answer = await run('http-blocked', { question: 'x' }, {}, strict);
      expect(answer.status).toBe('failed');
      expect(answer.error?.details?.[0]).toMatchObject({ nodeId: 'req', code: 'HTTP_ADDRESS_BLOCKED' });
      await healthy(strict);
    } finally {
      await strict.close();
    }
  });

  it('tool-http answers a model call, and an error status goes back to the model', async () => {
    const params = {
      name: 'stock',
      description: 'Units in stock for a SKU.',
      parameters: { type: 'object', properties: { sku: { type: 'string' } }, required: ['sku'] },
      url: `${serverUrl}/stock/{{sku}}`,
    };
    await save(
      flow(
        'stock-agent',
        [
          ['q', 'input'],
          ['stock', 'tool-http', params],
          ['agent', 'function-call'],
          ['out', 'output'],
        ],
        ['q.value→agent.prompt', 'stock.tool→agent.tools', 'agent.text→out.value'],
      ),
    );
    expect((await run('stock-agent', { question: 'stock? [[tool:stock {"sku":"X-1"}]]' })).outputs.answer).toBe(
      'tool results: {"sku":"X-1","inStock":3}',
    );
    const missing = await run('stock-agent', { question: 'stock? [[tool:stock {"sku":"missing"}]]' });
    expect(missing.status).toBe('completed');
    expect(missing.outputs.answer).toContain('HTTP 404');
  });

  it('condition sends the value down one branch; the other is skipped', async () => {
    await save(
      flow(
        'cond',
        [
          ['q', 'input'],
          ['check', 'condition', { operator: 'regex', compareTo: '^refund', caseSensitive: false }],
          ['yes', 'text', { mode: 'format', template: 'refund: {{v}}' }],
          ['no', 'text', { mode: 'format', template: 'other: {{v}}' }],
          ['o', 'output'],
        ],
        ['q.value→check.value', 'check.true→yes.v', 'check.false→no.v', 'yes.text→o.value', 'no.text→o.value'],
      ),
    );
    const refund = await run('cond', { question: 'Refund please' });
    expect(refund.outputs).toEqual({ answer: 'refund: Refund please' });
    expect((await events(refund.runId)).filter((e) => e.type === 'node.skipped').map((e) => e.nodeId)).toEqual(['no']);
    expect((await run('cond', { question: 'Hello' })).outputs).toEqual({ answer: 'other: Hello' });
  });

  it('memory keeps chat history per sessionId across runs', async () => {
    await save(
      flow(
        'remember',
        [
          ['q', 'input'],
          ['store', 'memory', { mode: 'append', window: 10 }],
          ['count', 'code', { code: 'return inputs.input.map((m) => m.content);' }],
          ['o', 'output'],
        ],
        ['q.value→store.text', 'store.messages→count.input', 'count.result→o.value'],
      ),
    );
    await run('remember', { question: 'one' }, { sessionId: 'alice' });
    await run('remember', { question: 'x' }, { sessionId: 'bob' });
    expect((await run('remember', { question: 'two' }, { sessionId: 'alice' })).outputs).toEqual({
      answer: ['one', 'two'],
    });
    const anonymous = await run('remember', { question: 'three' });
    expect(anonymous.error?.code).toBe('NODE_INPUT_INVALID');
  });

  it('llm structured output parses the answer, and a mismatch fails with OUTPUT_SCHEMA_MISMATCH', async () => {
    const jsonSchema = {
      type: 'object',
      properties: { mood: { type: 'string', enum: ['happy', 'sad'] } },
      required: ['mood'],
    };
    await save(
      flow(
        'mood',
        [
          ['q', 'input'],
          ['llm', 'llm', { jsonSchema }],
          ['o', 'output'],
        ],
        ['q.value→llm.prompt', 'llm.json→o.value'],
      ),
    );
    const ok = await run('mood', { question: 'I love it' });
    expect(ok.outputs).toEqual({ answer: { mood: 'happy' } });
    expect(fake.chatRequests()[0]?.response_format).toMatchObject({
      type: 'json_schema',
      json_schema: { schema: jsonSchema },
    });
    fake.enqueue({ text: '{"mood":"confused"}' });
    const bad = await run('mood', { question: 'hmm' });
    expect(bad.error?.code).toBe('OUTPUT_SCHEMA_MISMATCH');
  });

  it('refuses params out of bounds before running', async () => {
    const bad = flow(
      'bounds',
      [
        ['q', 'input'],
        ['c', 'code', { timeoutMs: 999_999 }],
        ['o', 'output'],
      ],
      ['q.value→c.input', 'c.result→o.value'],
    );
    const saved = await t.app.inject({ method: 'POST', url: '/api/flows', payload: bad });
    const res =
      saved.statusCode === 201
        ? await t.app.inject({ method: 'POST', url: '/api/flows/bounds/runs', payload: { inputs: { question: 'x' } } })
        : saved;
    expect(res.statusCode).toBe(400);
    expect(JSON.stringify(res.json().error)).toMatch(/timeoutMs/);
  });
});
