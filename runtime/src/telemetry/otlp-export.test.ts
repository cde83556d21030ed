import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FlowFile } from '@flowloom/nodes';
import { type FakeOpenAI, startFakeOpenAI } from '@flowloom/test/fake-openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OtlpConfig } from '../config.js';
import { chatFlow, flowOf, startTestApp, type TestApp } from '../testing/fixtures.js';
import { ThrottledErrorLog } from './otlp-export.js';

// Runs exported as OTLP traces to a local OTLP/HTTP receiver started here: the JSON body is decoded and checked span
// by span; the protobuf one is checked for its content type and the span names it carries.

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: OtlpAttribute[];
  status?: { code?: number; message?: string };
}

/** A minimal OTLP/HTTP collector: keeps every request body of POST /v1/traces. */
class Receiver {
  readonly requests: { contentType: string; body: Buffer }[] = [];
  readonly #server: Server;
  #waiters: (() => void)[] = [];

  constructor() {
    this.#server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.requests.push({ contentType: req.headers['content-type'] ?? '', body: Buffer.concat(chunks) });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        for (const wake of this.#waiters.splice(0)) wake();
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/v1/traces`;
  }

  /** Every span received as JSON so far. */
  spans(): OtlpSpan[] {
    return this.requests.flatMap(({ body }) => {
      const parsed = JSON.parse(body.toString('utf8')) as {
        resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[];
      };
      return parsed.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    });
  }

  /** Waits until `check` holds on what arrived (re-checked on every request). */
  async until(check: () => boolean): Promise<void> {
    while (!check()) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

function attr(span: OtlpSpan | undefined, key: string): unknown {
  const value = span?.attributes.find((a) => a.key === key)?.value;
  if (!value) return undefined;
  if (value.intValue !== undefined) return Number(value.intValue);
  return value.stringValue ?? value.doubleValue ?? value.boolValue;
}

/** question → agent (function-call, one tool) → answer, and question → subflow(chat) → sub. */
function tracedFlow(): FlowFile {
  return flowOf(
    'traced',
    [
      ['question', 'input'],
      [
        'lookup',
        'tool-code',
        {
          name: 'lookup',
          description: 'Looks it up.',
          parameters: { type: 'object', properties: {}, additionalProperties: false },
          code: "return 'found';",
        },
      ],
      ['agent', 'function-call', { system: 'Use the tool.', temperature: 0 }],
      ['sub', 'subflow', { flowId: 'chat', inputNames: ['question'], outputNames: ['answer'] }],
      ['answer', 'output', { name: 'answer' }],
      ['subAnswer', 'output', { name: 'sub' }],
    ],
    [
      'question.value→agent.prompt',
      'lookup.tool→agent.tools',
      'question.value→sub.question',
      'agent.text→answer.value',
      'sub.answer→subAnswer.value',
    ],
  );
}

let fake: FakeOpenAI;
let t: TestApp | undefined;
let receiver: Receiver;
let url: string;
beforeAll(async () => {
  fake = await startFakeOpenAI();
  receiver = new Receiver();
  url = await receiver.start();
});
afterAll(async () => {
  await fake.close();
  await receiver.close();
});
afterEach(async () => {
  await t?.close();
  t = undefined;
  receiver.requests.length = 0;
});

async function appWith(otlp: OtlpConfig | undefined, logger: unknown = false): Promise<TestApp> {
  t = await startTestApp({ openai: { baseURL: fake.url, apiKey: 'test' }, otlp, logger: logger as false });
  for (const flow of [chatFlow(), tracedFlow()]) {
    expect((await t.app.inject({ method: 'POST', url: '/api/flows', payload: flow })).statusCode).toBe(201);
  }
  return t;
}

async function runTraced(app: TestApp, question: string) {
  const res = await app.app.inject({
    method: 'POST',
    url: '/api/flows/traced/runs',
    payload: { inputs: { question } },
  });
  expect(res.statusCode).toBe(200);
  return res.json() as { runId: string; status: string; usage: { promptTokens: number; completionTokens: number } };
}

describe('OpenTelemetry export (OTLP/HTTP)', () => {
  it('exports a run as one trace: run, node, tool call and subflow spans, GenAI attributes on model calls', async () => {
    const app = await appWith({ url, protocol: 'http/json', scheduledDelayMs: 20, serviceName: 'flowloom-test' });
    const run = await runTraced(app, '[[tool:lookup {}]] where is it?');
    expect(run.status).toBe('completed');
    const isRoot = (s: OtlpSpan) => attr(s, 'flowloom.run.id') === run.runId;
    await receiver.until(() => receiver.spans().some(isRoot));
    const spans = receiver.spans();
    const root = spans.find(isRoot) as OtlpSpan;
    expect(root.name).toBe('invoke_workflow traced');
    expect(root.parentSpanId ?? '').toBe('');
    expect(attr(root, 'gen_ai.operation.name')).toBe('invoke_workflow');
    expect(attr(root, 'flowloom.run.status')).toBe('completed');
    expect(attr(root, 'gen_ai.usage.input_tokens')).toBe(run.usage.promptTokens);
    const inTrace = spans.filter((s) => s.traceId === root.traceId);
    const byNode = (id: string) => inTrace.filter((s) => attr(s, 'flowloom.node.id') === id);

    // One span per node, children of the run's span.
    for (const id of ['question', 'agent', 'sub', 'answer', 'subAnswer']) {
      expect(byNode(id).length, id).toBeGreaterThanOrEqual(1);
    }
    const agent = byNode('agent').find((s) => s.parentSpanId === root.spanId) as OtlpSpan;
    expect(agent.name).toBe('chat gpt-4o-mini');
    expect(attr(agent, 'gen_ai.operation.name')).toBe('chat');
    expect(attr(agent, 'gen_ai.request.model')).toBe('gpt-4o-mini');
    expect(attr(agent, 'gen_ai.provider.name')).toBe('openai');
    expect(attr(agent, 'gen_ai.system')).toBe('openai');
    expect(attr(agent, 'gen_ai.usage.input_tokens')).toBeGreaterThan(0);
    expect(attr(agent, 'gen_ai.usage.output_tokens')).toBeGreaterThan(0);

    // The tool call: a child of the agent's span.
    const tool = inTrace.find((s) => s.name === 'tool lookup') as OtlpSpan;
    expect(tool.parentSpanId).toBe(agent.spanId);
    expect(attr(tool, 'gen_ai.operation.name')).toBe('execute_tool');
    expect(attr(tool, 'gen_ai.tool.name')).toBe('lookup');

    // The subflow: node span → `flow chat` child span → the nested run's own root span, all in this trace.
    const sub = byNode('sub').find((s) => s.parentSpanId === root.spanId) as OtlpSpan;
    const call = inTrace.find((s) => s.name === 'flow chat') as OtlpSpan;
    expect(call.parentSpanId).toBe(sub.spanId);
    const nested = inTrace.find((s) => s.name === 'invoke_workflow chat') as OtlpSpan;
    expect(nested.parentSpanId).toBe(call.spanId);
    expect(attr(nested, 'flowloom.run.parent_id')).toBe(run.runId);
    const nestedLlm = inTrace.find((s) => s.parentSpanId === nested.spanId && attr(s, 'flowloom.node.id') === 'llm');
    expect(attr(nestedLlm, 'gen_ai.request.model')).toBe('gpt-4o-mini');

    const body = JSON.parse(receiver.requests[0]?.body.toString('utf8') ?? '{}');
    const resource = body.resourceSpans[0].resource.attributes as OtlpAttribute[];
    expect(resource.find((a) => a.key === 'service.name')?.value.stringValue).toBe('flowloom-test');
  });

  it('marks a failed node and run with an error status and error.type', async () => {
    const app = await appWith({ url, protocol: 'http/json', scheduledDelayMs: 20 });
    const run = await runTraced(app, '[[error:400]] x');
    expect(run.status).toBe('failed');
    const isRoot = (s: OtlpSpan) => attr(s, 'flowloom.run.id') === run.runId;
    await receiver.until(() => receiver.spans().some(isRoot));
    const root = receiver.spans().find(isRoot) as OtlpSpan;
    expect(root.status?.code).toBe(2);
    expect(attr(root, 'flowloom.run.status')).toBe('failed');
    const failed = receiver
      .spans()
      .filter((s) => s.traceId === root.traceId && s.status?.code === 2 && s.spanId !== root.spanId);
    expect(failed.map((s) => attr(s, 'error.type'))).toContain('PROVIDER_ERROR');
  });

  it('exports a paused run that ends at its time limit, with its end', async () => {
    const app = await appWith({ url, protocol: 'http/json', scheduledDelayMs: 20 });
    const flow = flowOf(
      'review',
      [
        ['question', 'input'],
        ['approve', 'approval', { message: 'Send it?', timeoutMs: 100 }],
        ['answer', 'output', { name: 'answer' }],
      ],
      ['question.value→approve.value', 'approve.value→answer.value'],
    );
    expect((await app.app.inject({ method: 'POST', url: '/api/flows', payload: flow })).statusCode).toBe(201);
    const res = await app.app.inject({
      method: 'POST',
      url: '/api/flows/review/runs',
      payload: { inputs: { question: 'q' } },
    });
    expect(res.json().status).toBe('paused');
    const { runId } = res.json() as { runId: string };
    const isRoot = (s: OtlpSpan) => attr(s, 'flowloom.run.id') === runId;
    await receiver.until(() => receiver.spans().some(isRoot));
    const root = receiver.spans().find(isRoot);
    expect(attr(root, 'flowloom.run.status')).toBe('cancelled');
    expect((await app.app.runtime.store.getRun(runId))?.error?.code).toBe('PAUSE_TIMEOUT');
  });

  it('speaks OTLP protobuf by default (http/protobuf)', async () => {
    const app = await appWith({ url, protocol: 'http/protobuf', scheduledDelayMs: 20 });
    const run = await runTraced(app, 'plain question');
    await receiver.until(() => receiver.requests.some((r) => r.body.includes(Buffer.from(run.runId))));
    const request = receiver.requests.find((r) => r.body.includes(Buffer.from(run.runId)));
    expect(request?.contentType).toBe('application/x-protobuf');
    expect(request?.body.includes(Buffer.from('invoke_workflow traced'))).toBe(true);
    expect(request?.body.includes(Buffer.from('gen_ai.usage.output_tokens'))).toBe(true);
  });

  it('leaves runs unaffected when the collector is down, and logs the failure once, not per run', async () => {
    const down = new Receiver();
    const downUrl = await down.start();
    await down.close(); // nothing listens there any more
    const lines: { level: number; message: string }[] = [];
    let wake: (() => void) | undefined;
    const logger = {
      level: 'debug',
      hooks: {
        logMethod(args: unknown[], _method: unknown, level: number) {
          const message = args.find((a): a is string => typeof a === 'string') ?? '';
          if (message.includes('OpenTelemetry export failed')) lines.push({ level, message });
          wake?.();
        },
      },
    };
    const failures = async (count: number) => {
      while (lines.length < count) await new Promise<void>((resolve) => (wake = resolve));
    };
    const app = await appWith({ url: downUrl, protocol: 'http/json', scheduledDelayMs: 10, timeoutMs: 50 }, logger);
    for (let i = 0; i < 3; i++) {
      const run = await runTraced(app, `question ${i}`);
      expect(run.status).toBe('completed');
      // This run's spans are sent, and fail, before the next run starts.
      await failures(i + 1);
    }
    const warnings = lines.filter((line) => line.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toMatch(/runs are unaffected/);
    expect(lines.filter((line) => line.level === 20).length).toBeGreaterThanOrEqual(2);
  });

  it('is off without an endpoint: no SDK loaded by the kernel, nothing sent', async () => {
    const app = await appWith(undefined);
    const run = await runTraced(app, 'quiet');
    expect(run.status).toBe('completed');
    expect(receiver.requests).toHaveLength(0);
  });
});

describe('ThrottledErrorLog', () => {
  it('logs the first failure, then at most one line a minute, counting the ones it held back', () => {
    const lines: unknown[][] = [];
    let now = 0;
    const sink = { warn: (...args: unknown[]) => lines.push(args), debug: () => {} };
    const log = new ThrottledErrorLog(sink as never, 60_000, () => now);
    log.report('ECONNREFUSED', 3);
    now = 1_000;
    log.report('ECONNREFUSED', 3);
    now = 59_999;
    log.report('ECONNREFUSED', 3);
    expect(lines).toHaveLength(1);
    now = 60_000;
    log.report('timeout', 5);
    expect(lines).toHaveLength(2);
    expect(lines[1]?.[0]).toMatchObject({ err: 'timeout', spans: 5, failedExportsSinceLastLine: 2 });
  });
});
