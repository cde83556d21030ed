/** The mean of some numbers (undefined for none). */
export function mean(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

/**
 * The p-th percentile (0..100) of sorted numbers by the nearest-rank method: the smallest value with at least p % of
 * the values at or below it. Undefined for none.
 */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  // In integers until the one division: the same rank the store's SQL takes, (p × n + 99) / 100.
  const rank = Math.max(1, Math.ceil((p * sorted.length) / 100));
  return sorted[Math.min(rank, sorted.length) - 1];
}

/** A small, fast, seeded PRNG (mulberry32): the same seed gives the same numbers, in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A 95 % confidence interval for the mean of paired differences by the percentile bootstrap: `resamples` times, draw
 * as many differences as there are, with replacement, and take the mean; the interval is the 2.5th and 97.5th
 * percentiles of those means. Seeded, so the same data and seed give the same interval. Undefined for no pairs.
 */
export function pairedBootstrapCi(
  differences: readonly number[],
  options: { resamples: number; seed: number },
): [number, number] | undefined {
  const n = differences.length;
  if (n === 0) return undefined;
  const random = seededRandom(options.seed);
  const means = new Float64Array(options.resamples);
  for (let r = 0; r < options.resamples; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += differences[Math.floor(random() * n)] as number;
    means[r] = sum / n;
  }
  means.sort();
  const at = (q: number) => means[Math.min(means.length - 1, Math.max(0, Math.floor(q * means.length)))] as number;
  return [at(0.025), at(0.975)];
}

/**
 * A 95 % confidence interval for the mean of paired differences by the normal approximation: the mean ± 1.96 standard
 * errors (the sample standard deviation over √n). For many pairs, where the bootstrap's distribution of means is normal
 * anyway. Undefined for no pairs.
 */
export function normalCi(differences: readonly number[]): [number, number] | undefined {
  const n = differences.length;
  const center = mean(differences);
  if (center === undefined) return undefined;
  let squares = 0;
  for (const value of differences) squares += (value - center) ** 2;
  const halfWidth = n > 1 ? 1.96 * Math.sqrt(squares / (n - 1) / n) : 0;
  return [center - halfWidth, center + halfWidth];
}
