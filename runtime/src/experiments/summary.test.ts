import { describe, expect, it } from 'vitest';
import type { ItemScore, TargetAggregate } from '../store/types.js';
import { compareScores, MAX_DRAWS, MIN_PAIRS, summarize } from './summary.js';

const targets = [
  { flowId: 'a', version: 'draft' as const, flowVersion: 3 },
  { flowId: 'a', version: 2, flowVersion: 2 },
];

describe('summarize', () => {
  it('gives each target its pass rate, means with errors as 0 (and how many each evaluator scored), latency, cost', () => {
    const first: TargetAggregate = {
      target: 0,
      total: 4,
      finished: 3,
      passed: 1,
      errors: 1,
      tokens: 30,
      costUsd: 0.03,
      p50: 200,
      p95: 300,
      // Two done cells scored by both; the error cell by neither (its judge failed: a null score).
      scores: { exact: { sum: 1, scored: 2 }, rouge: { sum: 1.2, scored: 2 } },
    };
    const [summary, empty] = summarize([first], targets, ['exact', 'rouge', 'judge']);
    expect(summary).toEqual({
      target: 0,
      flowId: 'a',
      version: 'draft',
      done: 3,
      total: 4,
      passRate: 1 / 3,
      scores: { exact: 1 / 3, rouge: 1.2 / 3, judge: 0 },
      scored: { exact: 2, rouge: 2, judge: 0 },
      latencyMs: { p50: 200, p95: 300 },
      tokens: 30,
      costUsd: 0.03,
      errors: 1,
    });
    expect(empty).toMatchObject({ target: 1, done: 0, total: 0, passRate: null, scores: {}, latencyMs: { p50: null } });
  });
});

describe('compareScores', () => {
  const score = (seq: number, target: number, value: number): ItemScore => ({ seq, target, score: value });
  const options = { baseline: 0, candidate: 1, evaluator: null, resamples: 500, seed: 1 };

  it('pairs items, sorts the largest regression first and leaves out items not finished on both', () => {
    const scores = [
      score(1, 0, 1),
      score(1, 1, 0.25),
      score(2, 0, 0),
      score(2, 1, 0.5),
      score(3, 0, 1),
      score(3, 1, 0.5),
    ];
    scores.push(score(4, 0, 1));
    const all = compareScores(scores, 5, options);
    expect(all.deltas).toEqual([
      { seq: 1, baseline: 1, candidate: 0.25, delta: -0.75 },
      { seq: 3, baseline: 1, candidate: 0.5, delta: -0.5 },
      { seq: 2, baseline: 0, candidate: 0.5, delta: 0.5 },
    ]);
    expect(all).toMatchObject({ paired: 3, unpaired: 2, wins: 1, losses: 2, ties: 0, method: 'bootstrap' });
    expect(all.meanDelta).toBeCloseTo(-0.25);
    expect(all.ci95?.[0]).toBeLessThanOrEqual(-0.25);
    expect(all.ci95?.[1]).toBeGreaterThanOrEqual(-0.25);
    expect(compareScores([], 4, options)).toMatchObject({ paired: 0, unpaired: 4, meanDelta: null, ci95: null });
  });

  it(`never calls fewer than ${MIN_PAIRS} pairs significant, and says why`, () => {
    // Two items, both far better: the interval leaves 0 out, but two items prove nothing.
    const two = compareScores([score(1, 0, 0), score(1, 1, 1), score(2, 0, 0), score(2, 1, 0.9)], 2, options);
    expect(two.ci95?.[0]).toBeGreaterThan(0);
    expect(two).toMatchObject({ isSignificant: false, minPairs: MIN_PAIRS, note: expect.stringContaining('only 2') });
    const many = Array.from({ length: MIN_PAIRS }, (_, i) => [score(i, 0, 0), score(i, 1, 0.8 + (i % 3) / 10)]).flat();
    const enough = compareScores(many, MIN_PAIRS, options);
    expect(enough).toMatchObject({ isSignificant: true, note: expect.stringContaining('leaves 0 out') });
    const mixed = Array.from({ length: 20 }, (_, i) => [score(i, 0, 0.5), score(i, 1, i % 2 ? 1 : 0)]).flat();
    expect(compareScores(mixed, 20, options)).toMatchObject({
      isSignificant: false,
      note: expect.stringContaining('includes 0'),
    });
  });

  it('caps resamples × pairs, and uses the normal interval when too few resamples would be left', () => {
    const pairs = (n: number) => Array.from({ length: n }, (_, i) => [score(i, 0, 0), score(i, 1, (i % 5) / 4)]).flat();
    const capped = compareScores(pairs(5000), 5000, { ...options, resamples: 100_000 });
    expect(capped).toMatchObject({ method: 'bootstrap', resamples: MAX_DRAWS / 5000 });
    const normal = compareScores(pairs(50_000), 50_000, { ...options, resamples: 2000 });
    expect(normal).toMatchObject({ method: 'normal', resamples: 0, isSignificant: true });
    expect(normal.ci95?.[0]).toBeLessThan(0.5);
    expect(normal.ci95?.[1]).toBeGreaterThan(0.5);
  });
});
