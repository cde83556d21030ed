import { getEventListeners } from 'node:events';
import {
  AppError,
  BUILTIN_KINDS,
  defineNode,
  type FlowFile,
  type LlmService,
  NodeRegistry,
  type NodeServices,
  type TraceEvent,
} from '@flowloom/nodes';
import { beforeEach, describe, expect, it } from 'vitest';
import { flakyAttempts, sleepStats, TEST_KINDS, testFlow, testRegistry } from '../testing/kinds.js';
import { newRunId, type RunOptions, resumedNodes, reusableOutputs, startRun } from './run-flow.js';
import { RunTrace } from './run-trace.js';

const registry = testRegistry();
const at = { x: 0, y: 0 };
const noLlm: LlmService = {
  chat: async () => {
    throw new AppError('PROVIDER_NOT_CONFIGURED', 'no model');
  },
};
const services: NodeServices = { llm: noLlm };

const flow = testFlow;

function run(f: FlowFile, options: Partial<RunOptions> = {}) {
  const handle = startRun(f, { registry, services, inputs: {}, ...options });
  return { handle, events: handle.trace.events, result: handle.result };
}

const types = (events: TraceEvent[], nodeId?: string) =>
  events.filter((e) => nodeId === undefined || e.nodeId === nodeId).map((e) => e.type);

beforeEach(() => {
  Object.assign(sleepStats, { active: 0, maxActive: 0, aborted: 0, started: 0 });
  flakyAttempts.clear();
});

describe('pausing (docs/contracts.md §9)', () => {
  const f = flow(
    [
      { id: 'q', type: 'input', position: at, params: { name: 'question' } },
      { id: 'a', type: 'approval', position: at },
      { id: 'o', type: 'output', position: at, params: { name: 'answer' } },
    ],
    [
      ['q', 'value', 'a', 'value'],
      ['a', 'value', 'o', 'value'],
    ],
  );

  it('pauses at an approval node and a breakpoint; resumed from its events with a decision, it finishes', async () => {
    const first = run(f, {
      inputs: { question: 'why' },
      canPause: true,
      breakpoints: new Set(['o']),
      pauseTimeoutMs: 1_000,
    });
    const paused = await first.result;
    expect(paused.status).toBe('paused');
    expect(paused.paused).toEqual([{ nodeId: 'a', reason: 'approval', deadline: expect.any(Number) }]);
    expect(types(first.events)).toEqual(['run.started', 'node.started', 'node.completed', 'node.paused', 'run.paused']);

    const trace = new RunTrace(first.handle.runId, f.id);
    for (const event of first.events) trace.append(event);
    trace.emit('run.resumed', { nodeId: 'a', action: 'approve', value: 'because' });
    const again = run(f, {
      inputs: { question: 'why' },
      canPause: true,
      breakpoints: new Set(['o']),
      trace,
      resume: resumedNodes(trace.events),
    });
    // The breakpoint at the output pauses the run again, with the approved value as the node's input.
    expect((await again.result).status).toBe('paused');
    expect(trace.events.at(-2)).toMatchObject({
      type: 'node.paused',
      nodeId: 'o',
      data: { reason: 'breakpoint', inputs: { value: 'because' } },
    });
    trace.emit('run.resumed', { nodeId: 'o', action: 'continue' });
    const last = run(f, {
      inputs: { question: 'why' },
      canPause: true,
      breakpoints: new Set(['o']),
      trace,
      resume: resumedNodes(trace.events),
    });
    expect(await last.result).toMatchObject({ status: 'completed', outputs: { answer: 'because' } });
    expect(trace.events.map((e) => e.seq)).toEqual(trace.events.map((_, i) => i));
  });

  it('without canPause, breakpoints are ignored and an approval node fails APPROVAL_UNSUPPORTED', async () => {
    const { result, events } = run(f, { inputs: { question: 'why' }, breakpoints: new Set(['o']) });
    expect(await result).toMatchObject({ status: 'failed', error: { code: 'APPROVAL_UNSUPPORTED' } });
    expect(types(events)).not.toContain('node.paused');
  });
});

describe('startRun', () => {
  it('resumes a run from an earlier attempt: finished nodes pass their outputs on silently, seq and spans go on', async () => {
    const f = flow(
      [
        { id: 'q', type: 'input', position: at, params: { name: 'question' } },
        { id: 'p', type: 'prompt', position: at, params: { template: 'Q: {{question}}!' } },
        { id: 'o', type: 'output', position: at, params: { name: 'answer' } },
      ],
      [
        ['q', 'value', 'p', 'question'],
        ['p', 'prompt', 'o', 'value'],
      ],
    );
    const first = run(f, { inputs: { question: 'why' } });
    await first.result;
    // The earlier attempt got as far as p's completion (its first five events), then stopped.
    const earlier = first.events.slice(0, 5);
    expect(types(earlier)).toEqual(['run.started', 'node.started', 'node.completed', 'node.started', 'node.completed']);
    const trace = new RunTrace(first.handle.runId, f.id);
    for (const event of earlier) expect(trace.append(event)).toBe(true);
    expect(trace.append(earlier[2] as TraceEvent)).toBe(false);
    const resumed = resumedNodes(earlier);
    expect([...resumed.keys()]).toEqual(['q', 'p']);
    const second = startRun(f, { registry, services, inputs: { question: 'why' }, trace, resume: resumed });
    const done = await second.result;
    expect(done).toMatchObject({ status: 'completed', outputs: { answer: 'Q: why!' } });
    const events = second.trace.events;
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
    // Only o runs: no second run.started, no events for q or p.
    expect(types(events.slice(5))).toEqual(['node.started', 'node.completed', 'run.completed']);
    expect(events[5]?.nodeId).toBe('o');
    const spans = events.filter((e) => e.spanId).map((e) => e.spanId);
    expect(new Set(spans).size).toBe(new Set(events.filter((e) => e.type === 'node.started')).size);
  });

  it('runs nodes in dependency order and returns outputs by name, with gap-free seq', async () => {
    const f = flow(
      [
        { id: 'q', type: 'input', position: at, params: { name: 'question' } },
        { id: 'p', type: 'prompt', position: at, params: { template: 'Q: {{question}}!' } },
        { id: 'o', type: 'output', position: at, params: { name: 'answer' } },
      ],
      [
        ['q', 'value', 'p', 'question'],
        ['p', 'prompt', 'o', 'value'],
      ],
    );
    const { events, result } = run(f, { inputs: { question: 'why' } });
    const done = await result;
    expect(done.status).toBe('completed');
    expect(done.outputs).toEqual({ answer: 'Q: why!' });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
    expect(types(events)).toEqual([
      'run.started',
      'node.started',
      'node.completed',
      'node.started',
      'node.completed',
      'node.started',
      'node.completed',
      'run.completed',
    ]);
    expect(events.filter((e) => e.type === 'node.started').map((e) => e.nodeId)).toEqual(['q', 'p', 'o']);
    const completed = events.find((e) => e.type === 'node.completed' && e.nodeId === 'p');
    expect(completed).toMatchObject({ parentSpanId: null, data: { outputs: { prompt: 'Q: why!' } } });
  });

  it('refuses invalid flows and bad inputs before any event', () => {
    const f = flow([{ id: 'q', type: 'input', position: at, params: { name: 'n', dataType: 'number' } }]);
    expect(() => run(f, { inputs: { n: 'x' } })).toThrow(expect.objectContaining({ code: 'RUN_INPUT_INVALID' }));
    expect(() => run(f, { inputs: {} })).toThrow(
      expect.objectContaining({
        code: 'RUN_INPUT_INVALID',
        details: [{ input: 'n', message: expect.stringContaining('required') }],
      }),
    );
    expect(() => run(f, { inputs: { n: 1, extra: 2 } })).toThrow(
      expect.objectContaining({ details: [expect.objectContaining({ input: 'extra' })] }),
    );
    const cyclic = flow(
      [
        { id: 'a', type: 'test-pass', position: at },
        { id: 'b', type: 'test-pass', position: at },
      ],
      [
        ['a', 'out', 'b', 'in'],
        ['b', 'out', 'a', 'in'],
      ],
    );
    expect(() => run(cyclic)).toThrow(expect.objectContaining({ code: 'FLOW_INVALID' }));
  });

  it('runs independent branches at the same time', async () => {
    const nodes: FlowFile['nodes'] = [{ id: 'all', type: 'test-collect', position: at }];
    const edges: [string, string, string, string][] = [];
    for (let i = 0; i < 10; i++) {
      nodes.push({ id: `s${i}`, type: 'test-sleep', position: at, params: { ms: 100 } });
      edges.push([`s${i}`, 'out', 'all', 'items']);
    }
    const done = await run(flow(nodes, edges)).result;
    expect(done.status).toBe('completed');
    expect(sleepStats.maxActive).toBe(10);
  });

  it('caps concurrency when asked', async () => {
    const nodes = Array.from({ length: 6 }, (_, i) => ({
      id: `s${i}`,
      type: 'test-sleep',
      position: at,
      params: { ms: 20 },
    }));
    await run(flow(nodes), { concurrency: 2 }).result;
    expect(sleepStats.started).toBe(6);
    expect(sleepStats.maxActive).toBe(2);
  });

  it('fails what depends on a failed node, finishes independent branches, then fails the run', async () => {
    const f = flow(
      [
        { id: 'bad', type: 'test-flaky', position: at, params: { failTimes: 5, retryable: false } },
        { id: 'after', type: 'test-pass', position: at },
        { id: 'other', type: 'test-sleep', position: at, params: { ms: 5 } },
      ],
      [['bad', 'out', 'after', 'in']],
    );
    const { events, result } = run(f);
    const done = await result;
    expect(done.status).toBe('failed');
    expect(done.error).toMatchObject({ code: 'PROVIDER_ERROR', details: [expect.objectContaining({ nodeId: 'bad' })] });
    expect(types(events, 'bad')).toEqual(['node.started', 'node.failed']);
    expect(events.find((e) => e.type === 'node.failed' && e.nodeId === 'after')).toMatchObject({
      data: { error: { code: 'UPSTREAM_FAILED' } },
    });
    expect(types(events, 'other')).toEqual(['node.started', 'node.completed']);
    expect(events.at(-1)?.type).toBe('run.failed');
  });

  it('cancels at once: in-flight nodes are aborted, nothing new starts, one run.cancelled', async () => {
    const f = flow(
      [
        { id: 'slow', type: 'test-sleep', position: at, params: { ms: 10_000 } },
        { id: 'next', type: 'test-pass', position: at },
      ],
      [['slow', 'out', 'next', 'in']],
    );
    const { handle, events, result } = run(f);
    await new Promise((r) => setTimeout(r, 20));
    handle.cancel();
    handle.cancel();
    const done = await result;
    expect(done.status).toBe('cancelled');
    expect(sleepStats.aborted).toBe(1);
    await new Promise((r) => setTimeout(r, 20));
    expect(types(events).filter((t) => t === 'run.cancelled')).toHaveLength(1);
    expect(events.at(-1)?.type).toBe('run.cancelled');
    expect(types(events, 'next')).toEqual([]);
  });

  it('cancels when the parent signal aborts', async () => {
    const parent = new AbortController();
    const { result } = run(flow([{ id: 'slow', type: 'test-sleep', position: at, params: { ms: 10_000 } }]), {
      signal: parent.signal,
    });
    setTimeout(() => parent.abort(), 10);
    expect((await result).status).toBe('cancelled');
  });

  it('lets go of the parent signal once the run ends (no abort listener left behind per subflow run)', async () => {
    const parent = new AbortController();
    const f = flow([{ id: 'p', type: 'test-pass', position: at, params: { value: 1 } }]);
    for (let i = 0; i < 3; i++) expect((await run(f, { signal: parent.signal }).result).status).toBe('completed');
    const cancelled = run(flow([{ id: 'slow', type: 'test-sleep', position: at, params: { ms: 10_000 } }]), {
      signal: parent.signal,
    });
    cancelled.handle.cancel();
    expect((await cancelled.result).status).toBe('cancelled');
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
  });

  it('a node whose outputs cannot be delivered fails once: no node.failed after its node.completed, no double count', async () => {
    const broken = defineNode({
      spec: {
        type: 'test-broken-docs',
        version: 1,
        title: 'Broken documents',
        category: 'data',
        description: 'Returns documents that cannot be joined into text.',
        inputs: [],
        outputs: [{ name: 'documents', dataType: 'documents' }],
        params: [],
      },
      async execute() {
        return { documents: [null] as never };
      },
    });
    const withBroken = new NodeRegistry([...BUILTIN_KINDS, ...TEST_KINDS, broken]);
    const f = flow(
      [
        { id: 'b', type: 'test-broken-docs', position: at },
        { id: 'p', type: 'prompt', position: at, params: { template: '{{context}}' } },
        { id: 'o', type: 'output', position: at, params: { name: 'answer' } },
      ],
      [
        ['b', 'documents', 'p', 'context'],
        ['p', 'prompt', 'o', 'value'],
      ],
    );
    const { events, result } = run(f, { registry: withBroken });
    const done = await result;
    expect(done.status).toBe('failed');
    expect(done.error?.details).toMatchObject([{ nodeId: 'b' }]);
    expect(types(events, 'b')).toEqual(['node.started', 'node.failed']);
    expect(types(events, 'p')).toEqual(['node.failed']);
  });

  it('times a node out with NODE_TIMEOUT', async () => {
    const f = flow([
      { id: 'slow', type: 'test-sleep', position: at, params: { ms: 10_000 }, settings: { timeoutMs: 30 } },
    ]);
    const done = await run(f).result;
    expect(done.status).toBe('failed');
    expect(done.error?.code).toBe('NODE_TIMEOUT');
    expect(sleepStats.aborted).toBe(1);
  });

  it('makes run ids that sort by start time (indexes keyed by run id then grow at their end)', async () => {
    const first = newRunId();
    await new Promise((resolve) => setTimeout(resolve, 3));
    const ids = Array.from({ length: 100 }, newRunId);
    expect(new Set(ids).size).toBe(100);
    for (const id of ids) {
      expect(id).toMatch(/^r_[0-9a-f]{24}$/);
      expect(id > first).toBe(true);
    }
  });

  it('cancels a run past its time limit with RUN_TIMEOUT, aborting what is in flight', async () => {
    const f = flow([{ id: 'slow', type: 'test-sleep', position: at, params: { ms: 10_000 } }]);
    const { result, events } = run(f, { timeoutMs: 30, timeoutMessage: 'over the limit of this test' });
    const done = await result;
    expect(done).toMatchObject({
      status: 'cancelled',
      error: { code: 'RUN_TIMEOUT', message: 'over the limit of this test' },
    });
    expect(sleepStats.aborted).toBe(1);
    expect(events.at(-1)?.type).toBe('run.cancelled');
  });

  it('retries retryable errors with backoff, and not others', async () => {
    const f = flow([
      {
        id: 'ok',
        type: 'test-flaky',
        position: at,
        params: { failTimes: 2 },
        settings: { retries: 2, retryBackoffMs: 1 },
      },
      {
        id: 'gives-up',
        type: 'test-flaky',
        position: at,
        params: { failTimes: 5 },
        settings: { retries: 1, retryBackoffMs: 1 },
      },
      {
        id: 'fatal',
        type: 'test-flaky',
        position: at,
        params: { failTimes: 1, retryable: false },
        settings: { retries: 3, retryBackoffMs: 1 },
      },
    ]);
    const { events, result } = run(f);
    await result;
    expect(flakyAttempts.get('ok')).toBe(3);
    expect(flakyAttempts.get('gives-up')).toBe(2);
    expect(flakyAttempts.get('fatal')).toBe(1);
    expect(types(events, 'ok')).toEqual(['node.started', 'node.log', 'node.log', 'node.completed']);
    expect(types(events, 'gives-up')).toEqual(['node.started', 'node.log', 'node.failed']);
  });

  it('marks a retry as discarding the text streamed so far, and does not retry text a client cannot take back', async () => {
    const streams = { streams: true, failTimes: 1 };
    const f = flow([
      { id: 'again', type: 'test-flaky', position: at, params: streams, settings: { retries: 2, retryBackoffMs: 1 } },
      { id: 'kept', type: 'test-flaky', position: at, params: streams, settings: { retries: 2, retryBackoffMs: 1 } },
      {
        id: 'quiet',
        type: 'test-flaky',
        position: at,
        params: { failTimes: 1 },
        settings: { retries: 2, retryBackoffMs: 1 },
      },
    ]);
    const { events, result } = run(f, { streamedToClient: new Set(['kept', 'quiet']) });
    await result;
    // Retried: the log says which attempt comes next; the text before it belongs to the failed attempt.
    expect(types(events, 'again')).toEqual(['node.started', 'node.delta', 'node.log', 'node.delta', 'node.completed']);
    const log = events.find((e) => e.nodeId === 'again' && e.type === 'node.log');
    expect(log?.data).toMatchObject({
      level: 'warn',
      data: { code: 'PROVIDER_RATE_LIMITED', retry: { attempt: 2, delayMs: expect.any(Number) } },
    });
    const text = (id: string) =>
      events.filter((e) => e.nodeId === id && e.type === 'node.delta').map((e) => (e.data as { text: string }).text);
    expect(text('again')).toEqual(['attempt 1 ', 'attempt 2 ']);
    // Streamed to a client that cannot take text back: the failure is final.
    expect(flakyAttempts.get('kept')).toBe(1);
    expect(types(events, 'kept')).toEqual(['node.started', 'node.delta', 'node.failed']);
    // Nothing streamed yet: retried as usual.
    expect(flakyAttempts.get('quiet')).toBe(2);
  });

  it('batches streamed text into few node.delta events and loses none', async () => {
    const f = flow([{ id: 's', type: 'test-stream', position: at, params: { chunks: 500 } }]);
    const { events, result } = run(f);
    const done = await result;
    expect(done.status).toBe('completed');
    const deltas = events.filter((e) => e.type === 'node.delta');
    const expected = Array.from({ length: 500 }, (_, i) => `${i} `).join('');
    expect(deltas.map((e) => (e.data as { text: string }).text).join('')).toBe(expected);
    expect(deltas.length).toBeLessThan(10);
    const completedAt = events.findIndex((e) => e.type === 'node.completed');
    expect(events.findLastIndex((e) => e.type === 'node.delta')).toBeLessThan(completedAt);
  });

  it('flushes deltas over time while a node streams slowly', async () => {
    const f = flow([{ id: 's', type: 'test-stream', position: at, params: { chunks: 12, gapMs: 15 } }]);
    const { events, result } = run(f);
    await result;
    const deltas = events.filter((e) => e.type === 'node.delta');
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.map((e) => (e.data as { text: string }).text).join('')).toBe(
      Array.from({ length: 12 }, (_, i) => `${i} `).join(''),
    );
  });

  it('skips the branch not taken and runs a node fed by several branches with whichever arrived', async () => {
    const f = flow(
      [
        { id: 'i', type: 'input', position: at, params: { name: 'x', dataType: 'boolean' } },
        { id: 'g', type: 'test-gate', position: at },
        { id: 'y', type: 'test-pass', position: at },
        { id: 'n', type: 'test-pass', position: at },
        { id: 'o', type: 'output', position: at, params: { name: 'out' } },
      ],
      [
        ['i', 'value', 'g', 'in'],
        ['g', 'yes', 'y', 'in'],
        ['g', 'no', 'n', 'in'],
        ['y', 'out', 'o', 'value'],
        ['n', 'out', 'o', 'value'],
      ],
    );
    const yes = run(f, { inputs: { x: true } });
    expect((await yes.result).outputs).toEqual({ out: true });
    expect(types(yes.events, 'n')).toEqual(['node.skipped']);
    const no = run(f, { inputs: { x: false } });
    expect((await no.result).outputs).toEqual({ out: false });
    expect(types(no.events, 'y')).toEqual(['node.skipped']);
    expect(types(no.events, 'o')).toEqual(['node.started', 'node.completed']);
  });

  it('coerces documents to text across an edge', async () => {
    const f = flow(
      [
        { id: 'd', type: 'input', position: at, params: { name: 'docs', dataType: 'documents' } },
        { id: 'p', type: 'prompt', position: at, params: { template: '[{{ctx}}]' } },
        { id: 'o', type: 'output', position: at },
      ],
      [
        ['d', 'value', 'p', 'ctx'],
        ['p', 'prompt', 'o', 'value'],
      ],
    );
    const docs = [
      { id: '1', text: 'one', metadata: {} },
      { id: '2', text: 'two', metadata: {} },
    ];
    expect((await run(f, { inputs: { docs } }).result).outputs).toEqual({ answer: '[one\n\ntwo]' });
  });

  it('fails a model call with PROVIDER_NOT_CONFIGURED when no provider is set', async () => {
    const f = flow(
      [
        { id: 'q', type: 'input', position: at },
        { id: 'l', type: 'llm', position: at },
      ],
      [['q', 'value', 'l', 'prompt']],
    );
    const done = await run(f, { inputs: { question: 'hi' } }).result;
    expect(done.error?.code).toBe('PROVIDER_NOT_CONFIGURED');
  });

  it('subscribers get past events in order, then live ones', async () => {
    const f = flow([{ id: 's', type: 'test-sleep', position: at, params: { ms: 20 } }]);
    const { handle, result } = run(f);
    const seen: number[] = [];
    await new Promise((r) => setTimeout(r, 5));
    handle.trace.subscribe((e) => seen.push(e.seq));
    await result;
    expect(seen).toEqual(handle.trace.events.map((e) => e.seq));
  });

  it('reruns from a node, reusing the earlier outputs of everything upstream', async () => {
    const f = flow(
      [
        { id: 'q', type: 'input', position: at, params: { name: 'x' } },
        { id: 'slow', type: 'test-flaky', position: at, params: { failTimes: 0 } },
        { id: 'p', type: 'prompt', position: at, params: { template: '{{a}}-{{b}}' } },
        { id: 'o', type: 'output', position: at },
      ],
      [
        ['q', 'value', 'p', 'a'],
        ['slow', 'out', 'p', 'b'],
        ['p', 'prompt', 'o', 'value'],
      ],
    );
    const first = run(f, { inputs: { x: 'one' } });
    expect((await first.result).outputs).toEqual({ answer: 'one-1' });
    const reuse = reusableOutputs(f, registry, first.events, 'p');
    expect([...reuse.keys()]).toEqual(['slow']);
    const again = run(f, { inputs: { x: 'two' }, reuse });
    expect((await again.result).outputs).toEqual({ answer: 'two-1' });
    expect(flakyAttempts.get('slow')).toBe(1);
    expect(again.events.find((e) => e.type === 'node.completed' && e.nodeId === 'slow')?.data).toMatchObject({
      reused: true,
    });
    expect(() => reusableOutputs(f, registry, first.events, 'nope')).toThrow(
      expect.objectContaining({ code: 'NOT_FOUND' }),
    );
  });
});
