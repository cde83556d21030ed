import type { TraceEvent } from '@flowloom/nodes/spec';
import { describe, expect, it } from 'vitest';
import {
  queuedNodeRuns,
  reduceNodeRuns,
  reduceRunInfo,
  reduceSpans,
  type Span,
  spanTree,
  toolNamesOf,
} from './run-reducer';

let seq = 0;
function ev<T extends TraceEvent['type']>(
  type: T,
  data: Extract<TraceEvent, { type: T }>['data'],
  extra: Partial<TraceEvent> = {},
  at = '2026-01-01T00:00:00.000Z',
): TraceEvent {
  return { runId: 'r1', flowId: 'f', seq: seq++, at, type, data, ...extra } as TraceEvent;
}

describe('reduceNodeRuns', () => {
  it('follows a node from queued to running, streaming, and completed', () => {
    let runs = queuedNodeRuns(['llm', 'out']);
    runs = reduceNodeRuns(runs, ev('node.started', { inputs: { prompt: 'hi' } }, { nodeId: 'llm', spanId: 's1' }));
    expect(runs.llm?.status).toBe('running');
    runs = reduceNodeRuns(runs, ev('node.delta', { text: 'Hel' }, { nodeId: 'llm', spanId: 's1' }));
    runs = reduceNodeRuns(runs, ev('node.delta', { text: 'lo' }, { nodeId: 'llm', spanId: 's1' }));
    expect(runs.llm?.text).toBe('Hello');
    const before = runs.out;
    runs = reduceNodeRuns(
      runs,
      ev(
        'node.completed',
        { outputs: { text: 'Hello' }, durationMs: 12, usage: { promptTokens: 3, completionTokens: 2 } },
        { nodeId: 'llm', spanId: 's1' },
      ),
    );
    expect(runs.llm).toMatchObject({ status: 'completed', durationMs: 12, outputs: { text: 'Hello' }, text: 'Hello' });
    expect(runs.out).toBe(before); // other records are untouched, so their components do not re-render
  });

  it('drops the text of a failed attempt when the engine retries it, in the node and in its span', () => {
    const span = { nodeId: 'llm', spanId: 's1' };
    const events = [
      ev('node.started', { inputs: {} }, span),
      ev('node.delta', { text: 'half an ans' }, span),
      ev('node.log', { level: 'warn', message: 'attempt 1 failed', data: { code: 'X', retry: { attempt: 2 } } }, span),
      ev('node.delta', { text: 'a whole answer' }, span),
      ev('node.log', { level: 'info', message: 'a plain log keeps the text' }, span),
    ];
    let runs = queuedNodeRuns(['llm']);
    let state: { spans: Record<string, Span>; order: string[] } = { spans: {}, order: [] };
    for (const e of events) {
      runs = reduceNodeRuns(runs, e);
      state = reduceSpans(state.spans, state.order, e);
    }
    expect(runs.llm?.text).toBe('a whole answer');
    expect(runs.llm?.logs).toHaveLength(2);
    expect(state.spans.s1?.text).toBe('a whole answer');
  });

  it('marks a node completed with reused outputs (rerun from a later node)', () => {
    let runs = queuedNodeRuns(['prompt']);
    runs = reduceNodeRuns(runs, ev('node.started', { inputs: {} }, { nodeId: 'prompt', spanId: 's1' }));
    runs = reduceNodeRuns(
      runs,
      ev(
        'node.completed',
        { outputs: { prompt: 'p' }, durationMs: 0, reused: true },
        { nodeId: 'prompt', spanId: 's1' },
      ),
    );
    expect(runs.prompt).toMatchObject({ status: 'completed', isReused: true, outputs: { prompt: 'p' } });
  });

  it('marks a node and its span completed with pinned outputs (reused and pinned)', () => {
    const started = ev('node.started', { inputs: {} }, { nodeId: 'llm', spanId: 's1' });
    const done = ev(
      'node.completed',
      { outputs: { text: 'pinned' }, durationMs: 0, reused: true, pinned: true },
      { nodeId: 'llm', spanId: 's1' },
    );
    let runs = queuedNodeRuns(['llm']);
    let state: { spans: Record<string, Span>; order: string[] } = { spans: {}, order: [] };
    for (const e of [started, done]) {
      runs = reduceNodeRuns(runs, e);
      state = reduceSpans(state.spans, state.order, e);
    }
    expect(runs.llm).toMatchObject({ status: 'completed', isReused: true, isPinned: true });
    expect(state.spans.s1).toMatchObject({ status: 'completed', isReused: true, isPinned: true });
  });

  it('marks failures and skips, and resets unreached nodes at the end of the run', () => {
    let runs = queuedNodeRuns(['a', 'b', 'c']);
    runs = reduceNodeRuns(runs, ev('node.started', { inputs: {} }, { nodeId: 'a', spanId: 'sa' }));
    runs = reduceNodeRuns(
      runs,
      ev('node.failed', { error: { code: 'PROVIDER_ERROR', message: 'boom' } }, { nodeId: 'a', spanId: 'sa' }),
    );
    runs = reduceNodeRuns(runs, ev('node.skipped', { reason: 'branch not taken' }, { nodeId: 'b', spanId: 'sb' }));
    runs = reduceNodeRuns(runs, ev('run.failed', { error: { code: 'NODE_FAILED', message: 'x' }, durationMs: 5 }));
    expect(runs.a).toMatchObject({ status: 'failed', error: { message: 'boom' } });
    expect(runs.b).toMatchObject({ status: 'skipped', reason: 'branch not taken' });
    expect(runs.c?.status).toBe('idle');
  });

  it('stops running nodes on cancel', () => {
    let runs = queuedNodeRuns(['a']);
    runs = reduceNodeRuns(runs, ev('node.started', { inputs: {} }, { nodeId: 'a', spanId: 'sa' }));
    runs = reduceNodeRuns(runs, ev('run.cancelled', { durationMs: 3 }));
    expect(runs.a?.status).toBe('cancelled');
  });

  it('lets a child span of the same node feed only the trace, and one of another node set that node', () => {
    const spans: Record<string, Span> = {
      p: {
        spanId: 'p',
        parentSpanId: null,
        nodeId: 'agent',
        name: 'agent',
        status: 'running',
        start: 0,
        text: '',
        logs: [],
      },
    };
    let runs = reduceNodeRuns({}, ev('node.started', { inputs: {} }, { nodeId: 'agent', spanId: 'p' }));
    const item = ev(
      'node.completed',
      { outputs: {}, durationMs: 1 },
      { nodeId: 'agent', spanId: 'c1', parentSpanId: 'p' },
    );
    expect(reduceNodeRuns(runs, item, spans)).toBe(runs);
    runs = reduceNodeRuns(
      runs,
      ev('node.started', { inputs: { q: 1 } }, { nodeId: 'tool', spanId: 'c2', parentSpanId: 'p' }),
      spans,
    );
    expect(runs.tool?.status).toBe('running');
  });
});

describe('reduceSpans and spanTree', () => {
  it('nests child spans under their parent, ordered by start', () => {
    let state = { spans: {} as Record<string, Span>, order: [] as string[] };
    const apply = (e: TraceEvent) => {
      state = reduceSpans(state.spans, state.order, e);
    };
    apply(ev('node.started', { inputs: {} }, { nodeId: 'llm', spanId: 'a' }, '2026-01-01T00:00:00.000Z'));
    apply(
      ev(
        'node.started',
        { inputs: {}, name: 'search_docs' },
        { nodeId: 'tool', spanId: 'b', parentSpanId: 'a' },
        '2026-01-01T00:00:00.100Z',
      ),
    );
    apply(
      ev(
        'node.log',
        { message: 'called' },
        { nodeId: 'tool', spanId: 'b', parentSpanId: 'a' },
        '2026-01-01T00:00:00.150Z',
      ),
    );
    apply(
      ev(
        'node.completed',
        { outputs: { r: 1 }, durationMs: 100 },
        { nodeId: 'tool', spanId: 'b', parentSpanId: 'a' },
        '2026-01-01T00:00:00.200Z',
      ),
    );
    apply(ev('node.started', { inputs: {} }, { nodeId: 'out', spanId: 'c' }, '2026-01-01T00:00:00.050Z'));
    apply(
      ev(
        'node.completed',
        { outputs: {}, durationMs: 300, costUsd: 0.001 },
        { nodeId: 'llm', spanId: 'a' },
        '2026-01-01T00:00:00.300Z',
      ),
    );
    const tree = spanTree(state.spans, state.order);
    expect(tree.map((r) => [r.span.name, r.depth])).toEqual([
      ['llm', 0],
      ['search_docs', 1],
      ['out', 0],
    ]);
    expect(state.spans.b).toMatchObject({ status: 'completed', logs: [{ message: 'called' }], outputs: { r: 1 } });
    const a = state.spans.a as Span;
    expect((a.end ?? 0) - a.start).toBe(300);
  });

  it('keeps spans that started in the same millisecond in event order, whatever their durations', () => {
    let state = { spans: {} as Record<string, Span>, order: [] as string[] };
    const apply = (e: TraceEvent) => {
      state = reduceSpans(state.spans, state.order, e);
    };
    const t0 = '2026-01-01T00:00:00.010Z';
    apply(ev('node.started', { inputs: {} }, { nodeId: 'prompt', spanId: 'p' }, t0));
    apply(ev('node.completed', { outputs: {}, durationMs: 0 }, { nodeId: 'prompt', spanId: 'p' }, t0));
    apply(ev('node.started', { inputs: {} }, { nodeId: 'llm', spanId: 'l' }, t0));
    // Ends 18 whole ms later after 18.4 ms of work: the start must not move before the prompt's.
    apply(
      ev(
        'node.completed',
        { outputs: {}, durationMs: 18.4 },
        { nodeId: 'llm', spanId: 'l' },
        '2026-01-01T00:00:00.028Z',
      ),
    );
    expect(spanTree(state.spans, state.order).map((r) => r.span.name)).toEqual(['prompt', 'llm']);
  });

  it('ignores run-level events', () => {
    const spans = {};
    const order: string[] = [];
    const out = reduceSpans(spans, order, ev('run.started', { inputs: {} }));
    expect(out.spans).toBe(spans);
  });
});

describe('reduceRunInfo', () => {
  it('tracks the run status and its outputs', () => {
    let info = reduceRunInfo({ status: 'idle' }, ev('run.started', { inputs: { q: 'x' } }));
    expect(info.status).toBe('running');
    info = reduceRunInfo(info, ev('run.completed', { outputs: { answer: 'y' }, durationMs: 9 }));
    expect(info).toMatchObject({ status: 'completed', outputs: { answer: 'y' }, durationMs: 9, inputs: { q: 'x' } });
  });
});

describe('toolNamesOf', () => {
  it('names the tools a run called, once each, in the order first called', () => {
    let state = { spans: {} as Record<string, Span>, order: [] as string[] };
    const apply = (e: TraceEvent) => {
      state = reduceSpans(state.spans, state.order, e);
    };
    apply(ev('node.started', { inputs: {} }, { nodeId: 'agent', spanId: 'a' }));
    for (const [spanId, name] of [
      ['b', 'tool lookup_order'],
      ['c', 'tool refund_policy'],
      ['d', 'tool lookup_order'],
      ['e', 'item 1/2'],
    ])
      apply(ev('node.started', { inputs: {}, name }, { nodeId: 'x', spanId, parentSpanId: 'a' }));
    // A node that happens to be called "tool x" is not a tool call: only child spans count.
    apply(ev('node.started', { inputs: {} }, { nodeId: 'tool y', spanId: 'f' }));
    expect(toolNamesOf(state.spans, state.order)).toEqual(['lookup_order', 'refund_policy']);
    expect(toolNamesOf({}, [])).toEqual([]);
  });
});

describe('pausing (docs/contracts.md §9)', () => {
  it('a paused node shows its inputs and reason; the run is paused, then running again once resumed', () => {
    let runs = queuedNodeRuns(['approve', 'out']);
    const paused = ev(
      'node.paused',
      { reason: 'approval', inputs: { value: 'draft' } },
      { nodeId: 'approve', spanId: 's3', parentSpanId: null },
    );
    runs = reduceNodeRuns(runs, paused);
    expect(runs.approve).toMatchObject({ status: 'paused', pauseReason: 'approval', inputs: { value: 'draft' } });
    const { spans } = reduceSpans({}, [], paused);
    expect(spans.s3).toMatchObject({ status: 'paused', reason: 'approval', nodeId: 'approve' });

    let info = reduceRunInfo(
      { status: 'running', start: 0 },
      ev('run.paused', { nodeIds: ['approve'], deadline: '2026-01-01T01:00:00.000Z', durationMs: 5 }),
    );
    expect(info.status).toBe('paused');
    info = reduceRunInfo(info, ev('run.resumed', { nodeId: 'approve', action: 'approve' }));
    expect(info.status).toBe('running');
  });

  it('a run cancelled while paused (PAUSE_TIMEOUT) marks the waiting node cancelled', () => {
    let runs = queuedNodeRuns(['llm', 'out']);
    runs = reduceNodeRuns(
      runs,
      ev('node.paused', { reason: 'breakpoint', inputs: {} }, { nodeId: 'llm', spanId: 's1' }),
    );
    runs = reduceNodeRuns(runs, ev('run.cancelled', { durationMs: 1 }));
    expect(runs.llm?.status).toBe('cancelled');
    expect(runs.out?.status).toBe('idle');
  });
});
