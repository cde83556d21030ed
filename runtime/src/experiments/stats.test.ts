import { describe, expect, it } from 'vitest';
import { mean, normalCi, pairedBootstrapCi, percentile, seededRandom } from './stats.js';

describe('stats', () => {
  it('takes nearest-rank percentiles and means', () => {
    const sorted = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 95)).toBe(100);
    expect(percentile(sorted, 0)).toBe(10);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 50)).toBeUndefined();
    expect(mean([1, 2, 3, 6])).toBe(3);
    expect(mean([])).toBeUndefined();
  });

  it('gives the same numbers for the same seed and others for another', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const first = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(first);
    expect(seededRandom(43)()).not.toBe(first[0]);
    expect(first.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('bootstraps an interval around the mean difference that is seeded and holds 0 only when gains and losses mix', () => {
    const worse = Array.from({ length: 40 }, (_, i) => (i % 4 === 0 ? 0 : -0.5));
    const ci = pairedBootstrapCi(worse, { resamples: 2000, seed: 1 }) as [number, number];
    expect(ci).toEqual(pairedBootstrapCi(worse, { resamples: 2000, seed: 1 }));
    expect(ci[0]).toBeLessThan(-0.375);
    expect(ci[1]).toBeGreaterThan(-0.375);
    expect(ci[1]).toBeLessThan(0);
    // Differences that are all the same have no spread.
    const flat = pairedBootstrapCi([0.25, 0.25, 0.25], { resamples: 100, seed: 7 });
    expect(flat).toEqual([0.25, 0.25]);
    // A mix of gains and losses: the interval holds 0.
    const mixed = Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? 1 : -1));
    const around = pairedBootstrapCi(mixed, { resamples: 2000, seed: 3 }) as [number, number];
    expect(around[0]).toBeLessThan(0);
    expect(around[1]).toBeGreaterThan(0);
    expect(pairedBootstrapCi([], { resamples: 10, seed: 1 })).toBeUndefined();
  });

  it('gives the normal interval: the mean ± 1.96 standard errors', () => {
    const [low, high] = normalCi([1, 2, 3, 4]) as [number, number];
    const halfWidth = 1.96 * Math.sqrt(5 / 3 / 4);
    expect(low).toBeCloseTo(2.5 - halfWidth);
    expect(high).toBeCloseTo(2.5 + halfWidth);
    expect(normalCi([0.5])).toEqual([0.5, 0.5]);
    expect(normalCi([])).toBeUndefined();
  });
});
