import type { TraceEvent } from '@flowloom/nodes/spec';
import { describe, expect, it } from 'vitest';
import { compareRuns, digestRun, isTimeDifferent } from './run-compare';

/** The events of a run of input → llm → answer, with the llm's answer, time and cost given. */
function runOf(runId: string, question: string, llm: { text?: string; ms: number; cost: number; error?: string }) {
  const events: Omit<TraceEvent, 'seq' | 'runId' | 'flowId' | 'at'>[] = [
    { type: 'run.started', data: { inputs: { question } } },
    { type: 'node.started', nodeId: 'question', spanId: 's1', data: { inputs: {} } },
    { type: 'node.completed', nodeId: 'question', spanId: 's1', data: { outputs: { value: question }, durationMs: 1 } },
    { type: 'node.started', nodeId: 'llm', spanId: 's2', data: { inputs: { prompt: question } } },
    // A tool call of the llm: a child span of the same node, which speaks only for the trace.
    { type: 'node.started', nodeId: 'llm', spanId: 's3', parentSpanId: 's2', data: { inputs: {}, name: 'tool x' } },
    { type: 'node.completed', nodeId: 'llm', spanId: 's3', parentSpanId: 's2', data: { outputs: {}, durationMs: 1 } },
    llm.error
      ? {
          type: 'node.failed',
          nodeId: 'llm',
          spanId: 's2',
          data: { error: { code: 'PROVIDER_ERROR', message: llm.error }, durationMs: llm.ms },
        }
      : {
          type: 'node.completed',
          nodeId: 'llm',
          spanId: 's2',
          data: { outputs: { text: llm.text }, durationMs: llm.ms, costUsd: llm.cost },
        },
    ...(llm.error
      ? [{ type: 'node.skipped', nodeId: 'answer', spanId: 's4', data: { reason: 'an input failed' } }]
      : [
          { type: 'node.started', nodeId: 'answer', spanId: 's4', data: { inputs: { value: llm.text } } },
          {
            type: 'node.completed',
            nodeId: 'answer',
            spanId: 's4',
            data: { outputs: { value: llm.text }, durationMs: 0 },
          },
        ]),
    llm.error
      ? { type: 'run.failed', data: { error: { code: 'PROVIDER_ERROR', message: llm.error }, durationMs: llm.ms + 5 } }
      : {
          type: 'run.completed',
          data: { outputs: { answer: llm.text }, durationMs: llm.ms + 5, costUsd: llm.cost },
        },
  ] as Omit<TraceEvent, 'seq' | 'runId' | 'flowId' | 'at'>[];
  return digestRun({
    runId,
    status: llm.error ? 'failed' : 'completed',
    inputs: { question },
    // Stored out of order: the digest follows seq.
    events: events
      .map((e, seq) => ({ ...e, seq, runId, flowId: 'f', at: new Date(1_000 + seq).toISOString() }) as TraceEvent)
      .reverse(),
  });
}

describe('comparing two runs', () => {
  it('digests a run: its nodes in the order reached, each with outputs, time and cost', () => {
    const run = runOf('r_a', 'hi', { text: 'echo: hi', ms: 120, cost: 0.00002 });
    expect(run.nodeOrder).toEqual(['question', 'llm', 'answer']);
    expect(run.nodes.llm).toMatchObject({ status: 'completed', outputs: { text: 'echo: hi' }, durationMs: 120 });
    expect(run).toMatchObject({ status: 'completed', outputs: { answer: 'echo: hi' }, durationMs: 125 });
  });

  it('marks nothing but what differs, whatever the key order of equal values', () => {
    const a = runOf('r_a', 'hi', { text: 'echo: hi', ms: 120, cost: 0.00002 });
    const b = runOf('r_b', 'hi', { text: 'echo: hi', ms: 130, cost: 0.00002 });
    a.inputs = { question: 'hi', options: { tone: 'dry', limit: 2 } };
    b.inputs = { options: { limit: 2, tone: 'dry' }, question: 'hi' };
    const same = compareRuns(a, b);
    expect(same.differences).toBe(0);
    expect(same.nodes.map((n) => n.differs)).toEqual([false, false, false]);

    const c = runOf('r_c', 'bye', { text: 'echo: bye', ms: 900, cost: 0.00005 });
    const diff = compareRuns(runOf('r_a', 'hi', { text: 'echo: hi', ms: 120, cost: 0.00002 }), c);
    expect(diff.inputs).toEqual([expect.objectContaining({ label: 'question', a: 'hi', b: 'bye', differs: true })]);
    expect(diff.outputs[0]).toMatchObject({ label: 'answer', differs: true });
    const llm = diff.nodes.find((n) => n.nodeId === 'llm');
    expect(llm?.rows.map((r) => [r.label, r.differs])).toEqual([
      ['Status', false],
      ['Outputs', true],
      ['Time', true],
      ['Cost', true],
    ]);
    expect(llm?.rows[2]).toMatchObject({ a: '120 ms', b: '900 ms' });
  });

  it('tells a failed node and a skipped one from completed ones', () => {
    const a = runOf('r_a', 'hi', { text: 'echo: hi', ms: 120, cost: 0.00002 });
    const b = runOf('r_b', 'hi', { ms: 40, cost: 0, error: 'rate limited' });
    const diff = compareRuns(a, b);
    const llm = diff.nodes.find((n) => n.nodeId === 'llm');
    expect(llm?.rows[0]).toMatchObject({ a: 'completed', b: 'failed: PROVIDER_ERROR', differs: true });
    expect(llm?.rows[1]?.label).toBe('Result');
    expect(diff.nodes.find((n) => n.nodeId === 'answer')?.rows[0]).toMatchObject({ b: 'skipped', differs: true });
    expect(diff.outputs.map((r) => r.label)).toEqual(['answer', 'Error']);
  });

  it('marks timings only when one is clearly slower', () => {
    expect(isTimeDifferent(100, 120)).toBe(false); // within 25 %
    expect(isTimeDifferent(10, 40)).toBe(false); // 4× but 30 ms
    expect(isTimeDifferent(100, 400)).toBe(true);
    expect(isTimeDifferent(undefined, 5)).toBe(true);
    expect(isTimeDifferent(undefined, undefined)).toBe(false);
  });
});
