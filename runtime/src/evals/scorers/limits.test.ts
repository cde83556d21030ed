import { describe, expect, it } from 'vitest';
import { evaluateOne } from '../evaluate.js';
import { parseEvaluators } from '../parse-evaluators.js';
import type { EvalSample, EvalServices } from '../types.js';

const verdict = (spec: Record<string, unknown>, run: EvalSample['run']) =>
  evaluateOne(
    parseEvaluators([spec])[0]!,
    { input: {}, outputs: {}, ...(run && { run }) },
    {} as EvalServices,
    new AbortController().signal,
  );

describe('latency', () => {
  it('scores 1 within the limit and the share of the limit beyond it', async () => {
    expect(await verdict({ type: 'latency', maxMs: 1000 }, { runId: 'r', durationMs: 800 })).toEqual({
      score: 1,
      pass: true,
      reason: '800 ms (limit 1000 ms)',
    });
    const slow = await verdict({ type: 'latency', maxMs: 1000 }, { runId: 'r', durationMs: 2000 });
    expect(slow).toMatchObject({ score: 0.5, pass: false });
    expect(
      (await verdict({ type: 'latency', maxMs: 1000, threshold: 0.5 }, { runId: 'r', durationMs: 2000 })).pass,
    ).toBe(true);
  });

  it('scores an error without a run', async () => {
    expect((await verdict({ type: 'latency', maxMs: 1 }, undefined)).error?.code).toBe('VALIDATION_FAILED');
  });
});

describe('cost', () => {
  it('scores 1 within the limit (a run without costs costs 0) and the share of the limit beyond it', async () => {
    expect((await verdict({ type: 'cost', maxUsd: 0.01 }, { runId: 'r', costUsd: 0.002 })).pass).toBe(true);
    expect((await verdict({ type: 'cost', maxUsd: 0 }, { runId: 'r' })).pass).toBe(true);
    const over = await verdict({ type: 'cost', maxUsd: 0.01 }, { runId: 'r', costUsd: 0.04 });
    expect(over).toMatchObject({ score: 0.25, pass: false, reason: '$0.0400 (limit $0.01)' });
    expect((await verdict({ type: 'cost', maxUsd: 0 }, { runId: 'r', costUsd: 0.5 })).score).toBe(0);
  });
});
