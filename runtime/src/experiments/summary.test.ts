import { describe, expect, it } from 'vitest';
import type { ExperimentCell } from '../store/types.js';
import { compareTargets, summarize } from './summary.js';

const verdict = (score: number | null, pass = (score ?? 0) >= 0.5) =>
  score === null ? { score, pass: false, error: { code: 'PROVIDER_ERROR', message: 'down' } } : { score, pass };

function cell(seq: number, target: number, scores: Record<string, number | null>, extra: Partial<ExperimentCell> = {}) {
  const verdicts = Object.fromEntries(Object.entries(scores).map(([name, score]) => [name, verdict(score)]));
  const isPassed = Object.values(verdicts).every((v) => v.pass);
  return { seq, target, repetition: 0, status: 'done', scores: verdicts, isPassed, ...extra } as ExperimentCell;
}

describe('summarize', () => {
  it('gives each target its pass rate over finished cells, mean scores, latency percentiles, tokens, cost, errors', () => {
    const cells: ExperimentCell[] = [
      cell(1, 0, { exact: 1, rouge: 0.8 }, { durationMs: 100, tokens: 10, costUsd: 0.01 }),
      cell(2, 0, { exact: 0, rouge: 0.4 }, { durationMs: 300, tokens: 20, costUsd: 0.02 }),
      cell(3, 0, { exact: null }, { status: 'error', durationMs: 200 }),
      { seq: 4, target: 0, repetition: 0, status: 'pending' },
      cell(1, 1, { exact: 1 }),
    ];
    const [first, second] = summarize(cells, [
      { flowId: 'a', version: 'draft', flowVersion: 3 },
      { flowId: 'a', version: 2, flowVersion: 2 },
    ]);
    expect(first).toEqual({
      target: 0,
      flowId: 'a',
      version: 'draft',
      done: 3,
      total: 4,
      passRate: 1 / 3,
      scores: { exact: 0.5, rouge: 0.6000000000000001 },
      latencyMs: { p50: 200, p95: 300 },
      tokens: 30,
      costUsd: 0.03,
      errors: 1,
    });
    expect(second).toMatchObject({ done: 1, total: 1, passRate: 1, latencyMs: { p50: null, p95: null } });
  });
});

describe('compareTargets', () => {
  const items = new Map([
    [1, 'a'],
    [2, 'b'],
    [3, 'c'],
    [4, 'd'],
  ]);

  it('pairs items, averages repetitions, counts errors as 0 and sorts the largest regression first', () => {
    const cells: ExperimentCell[] = [
      cell(1, 0, { exact: 1, rouge: 1 }),
      cell(1, 1, { exact: 0, rouge: 0.5 }),
      cell(2, 0, { exact: 0, rouge: 0 }),
      cell(2, 1, { exact: 1, rouge: 1 }),
      cell(2, 1, { exact: 0, rouge: 0 }, { repetition: 1 }),
      cell(3, 0, { exact: 1, rouge: 1 }),
      cell(3, 1, { exact: null, rouge: 1 }, { status: 'error' }),
      cell(4, 0, { exact: 1, rouge: 1 }),
      { seq: 4, target: 1, repetition: 0, status: 'pending' },
    ];
    const all = compareTargets(cells, items, { baseline: 0, candidate: 1, evaluator: null, resamples: 500, seed: 1 });
    expect(all.deltas).toEqual([
      { itemId: 'a', baseline: 1, candidate: 0.25, delta: -0.75 },
      { itemId: 'c', baseline: 1, candidate: 0.5, delta: -0.5 },
      { itemId: 'b', baseline: 0, candidate: 0.5, delta: 0.5 },
    ]);
    expect(all).toMatchObject({ paired: 3, unpaired: 1, wins: 1, losses: 2, ties: 0, evaluator: null });
    expect(all.meanDelta).toBeCloseTo(-0.25);
    expect(all.ci95?.[0]).toBeLessThanOrEqual(-0.25);
    expect(all.ci95?.[1]).toBeGreaterThanOrEqual(-0.25);
    const rouge = compareTargets(cells, items, {
      baseline: 0,
      candidate: 1,
      evaluator: 'rouge',
      resamples: 500,
      seed: 1,
    });
    expect(rouge.deltas.map((d) => [d.itemId, d.delta])).toEqual([
      ['a', -0.5],
      ['c', 0],
      ['b', 0.5],
    ]);
    expect(rouge.ties).toBe(1);
    const none = compareTargets([], items, { baseline: 0, candidate: 1, evaluator: null, resamples: 500, seed: 1 });
    expect(none).toMatchObject({ paired: 0, unpaired: 4, meanDelta: null, ci95: null, isSignificant: false });
  });
});
