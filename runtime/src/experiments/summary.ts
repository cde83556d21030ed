import type { ItemScore, TargetAggregate } from '../store/types.js';
import { mean, normalCi, pairedBootstrapCi } from './stats.js';
import type { Comparison, ItemDelta, Target, TargetSummary } from './types.js';

/** Fewer paired items than this never make a difference significant: an interval of 1 or 2 items says nothing. */
export const MIN_PAIRS = 10;
/** The most resamples × pairs one comparison draws (about 10 ms of work); beyond it the interval is the normal one. */
export const MAX_DRAWS = 2_000_000;
/** Fewer resamples than this (within MAX_DRAWS) make a poor bootstrap: the normal interval is used instead. */
const MIN_RESAMPLES = 100;

/**
 * Each target's summary from its aggregates: pass rate over finished cells (an error does not pass); each evaluator's
 * mean over every finished cell, a cell it could not score (an error) counting as 0, as the comparison counts it,
 * with `scored` saying how many it did score; p50/p95 latency, tokens, cost and errors.
 */
export function summarize(
  aggregates: readonly TargetAggregate[],
  targets: readonly Target[],
  evaluators: readonly string[],
): TargetSummary[] {
  return targets.map((target, index) => {
    const own = aggregates.find((aggregate) => aggregate.target === index);
    const finished = own?.finished ?? 0;
    const names = [...new Set([...evaluators, ...Object.keys(own?.scores ?? {})])];
    return {
      target: index,
      flowId: target.flowId,
      version: target.version,
      done: finished,
      total: own?.total ?? 0,
      passRate: finished === 0 ? null : (own?.passed ?? 0) / finished,
      scores:
        finished === 0 ? {} : Object.fromEntries(names.map((name) => [name, (own?.scores[name]?.sum ?? 0) / finished])),
      scored: Object.fromEntries(names.map((name) => [name, own?.scores[name]?.scored ?? 0])),
      latencyMs: { p50: own?.p50 ?? null, p95: own?.p95 ?? null },
      tokens: own?.tokens ?? 0,
      costUsd: own?.costUsd ?? 0,
      errors: own?.errors ?? 0,
    };
  });
}

/** An item's delta before its id is known (ids are read for the page answered only). */
export type SeqDelta = Omit<ItemDelta, 'itemId'> & { seq: number };

/**
 * Compares two targets item by item from each item's score on each (the mean over its finished repetitions; an
 * error counts as 0, see `ExperimentTable.itemScores`): the difference candidate − baseline for every item finished
 * on both, sorted by the largest regression first (then dataset order), their mean, and a 95 % interval of that mean:
 * a seeded paired bootstrap with `resamples` draws, fewer when resamples × pairs would pass MAX_DRAWS, and the normal
 * interval when that leaves too few. A difference is significant only with at least MIN_PAIRS pairs and an interval
 * that leaves 0 out; `note` says which.
 */
export function compareScores(
  scores: readonly ItemScore[],
  items: number,
  options: { baseline: number; candidate: number; evaluator: string | null; resamples: number; seed: number },
): Omit<Comparison, 'experimentId' | 'deltas' | 'cursor'> & { deltas: SeqDelta[] } {
  const { baseline, candidate, evaluator } = options;
  const bySeq = new Map<number, { baseline?: number; candidate?: number }>();
  for (const { seq, target, score } of scores) {
    const entry = bySeq.get(seq) ?? {};
    // One target compared with itself: its score is on both sides.
    if (target === baseline) entry.baseline = score;
    if (target === candidate) entry.candidate = score;
    bySeq.set(seq, entry);
  }
  const deltas: SeqDelta[] = [];
  for (const [seq, entry] of bySeq) {
    if (entry.baseline === undefined || entry.candidate === undefined) continue;
    deltas.push({ seq, baseline: entry.baseline, candidate: entry.candidate, delta: entry.candidate - entry.baseline });
  }
  deltas.sort((a, b) => a.delta - b.delta || a.seq - b.seq);
  const differences = deltas.map((d) => d.delta);
  const n = differences.length;
  const resamples = n === 0 ? options.resamples : Math.min(options.resamples, Math.floor(MAX_DRAWS / n));
  const method = resamples >= MIN_RESAMPLES || n === 0 ? 'bootstrap' : 'normal';
  const ci95 =
    (method === 'bootstrap'
      ? pairedBootstrapCi(differences, { resamples, seed: options.seed })
      : normalCi(differences)) ?? null;
  const excludesZero = ci95 !== null && (ci95[0] > 0 || ci95[1] < 0);
  const isSignificant = n >= MIN_PAIRS && excludesZero;
  const note =
    n === 0
      ? 'no item has finished on both targets'
      : n < MIN_PAIRS
        ? `only ${n} paired item(s): at least ${MIN_PAIRS} are needed before a difference can be called significant`
        : excludesZero
          ? `the 95 % interval leaves 0 out over ${n} paired items: the difference is unlikely to be chance`
          : `the 95 % interval includes 0 over ${n} paired items: the difference could be chance`;
  return {
    baseline,
    candidate,
    evaluator,
    paired: n,
    unpaired: items - n,
    baselineMean: mean(deltas.map((d) => d.baseline)) ?? null,
    candidateMean: mean(deltas.map((d) => d.candidate)) ?? null,
    meanDelta: mean(differences) ?? null,
    ci95,
    isSignificant,
    minPairs: MIN_PAIRS,
    note,
    wins: deltas.filter((d) => d.delta > 0).length,
    losses: deltas.filter((d) => d.delta < 0).length,
    ties: deltas.filter((d) => d.delta === 0).length,
    method,
    resamples: method === 'bootstrap' ? resamples : 0,
    seed: options.seed,
    deltas,
  };
}
