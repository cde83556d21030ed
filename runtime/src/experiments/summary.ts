import type { EvalScore } from '../evals/index.js';
import type { ExperimentCell } from '../store/types.js';
import { mean, pairedBootstrapCi, percentile } from './stats.js';
import type { Comparison, ItemDelta, Target, TargetSummary } from './types.js';

/** The verdicts of a cell, typed. */
function verdicts(cell: ExperimentCell): Record<string, EvalScore> {
  return (cell.scores ?? {}) as Record<string, EvalScore>;
}

/**
 * Each target's summary from its cells: pass rate over finished cells (an error does not pass), each evaluator's mean
 * over the scores it gave, p50/p95 latency of the runs, tokens, cost and errors.
 */
export function summarize(cells: readonly ExperimentCell[], targets: readonly Target[]): TargetSummary[] {
  return targets.map((target, index) => {
    const own = cells.filter((cell) => cell.target === index);
    const finished = own.filter((cell) => cell.status !== 'pending');
    const scores = new Map<string, number[]>();
    for (const cell of finished) {
      for (const [name, verdict] of Object.entries(verdicts(cell))) {
        if (verdict.score === null) continue;
        const list = scores.get(name) ?? [];
        list.push(verdict.score);
        scores.set(name, list);
      }
    }
    const latencies = finished
      .map((cell) => cell.durationMs)
      .filter((ms): ms is number => ms !== undefined)
      .sort((a, b) => a - b);
    const passed = finished.filter((cell) => cell.isPassed === true).length;
    return {
      target: index,
      flowId: target.flowId,
      version: target.version,
      done: finished.length,
      total: own.length,
      passRate: finished.length === 0 ? null : passed / finished.length,
      scores: Object.fromEntries([...scores].map(([name, list]) => [name, mean(list) as number])),
      latencyMs: { p50: percentile(latencies, 50) ?? null, p95: percentile(latencies, 95) ?? null },
      tokens: finished.reduce((sum, cell) => sum + (cell.tokens ?? 0), 0),
      costUsd: finished.reduce((sum, cell) => sum + (cell.costUsd ?? 0), 0),
      errors: finished.filter((cell) => cell.status === 'error').length,
    };
  });
}

/**
 * A finished cell's score for comparing: one evaluator's score, or the mean of all its evaluators' scores. An
 * evaluator that could not score, and a run that failed, count as 0 (a target that errors is worse, not absent).
 */
function cellScore(cell: ExperimentCell, evaluator: string | null): number {
  const all = verdicts(cell);
  if (evaluator !== null) return all[evaluator]?.score ?? 0;
  return mean(Object.values(all).map((verdict) => verdict.score ?? 0)) ?? 0;
}

/**
 * Compares two targets item by item: each item's score on each (the mean over its finished repetitions), the
 * difference candidate − baseline, sorted by the largest regression first, their mean, and a seeded paired bootstrap
 * 95 % interval of that mean. Items a target has not finished yet are left out (`unpaired`).
 */
export function compareTargets(
  cells: readonly ExperimentCell[],
  itemIds: ReadonlyMap<number, string>,
  options: { baseline: number; candidate: number; evaluator: string | null; resamples: number; seed: number },
): Omit<Comparison, 'experimentId'> {
  const { baseline, candidate, evaluator } = options;
  const byItem = new Map<number, { baseline: number[]; candidate: number[] }>();
  for (const cell of cells) {
    if (cell.status === 'pending' || (cell.target !== baseline && cell.target !== candidate)) continue;
    const entry = byItem.get(cell.seq) ?? { baseline: [], candidate: [] };
    // One target compared with itself: every cell is on both sides.
    if (cell.target === baseline) entry.baseline.push(cellScore(cell, evaluator));
    if (cell.target === candidate) entry.candidate.push(cellScore(cell, evaluator));
    byItem.set(cell.seq, entry);
  }
  const deltas: ItemDelta[] = [];
  let unpaired = 0;
  for (const [seq, itemId] of itemIds) {
    const entry = byItem.get(seq);
    const base = entry && mean(entry.baseline);
    const cand = entry && mean(entry.candidate);
    if (base === undefined || cand === undefined) {
      unpaired++;
      continue;
    }
    deltas.push({ itemId, baseline: base, candidate: cand, delta: cand - base });
  }
  deltas.sort((a, b) => a.delta - b.delta || (a.itemId < b.itemId ? -1 : a.itemId > b.itemId ? 1 : 0));
  const differences = deltas.map((d) => d.delta);
  const ci95 = pairedBootstrapCi(differences, options) ?? null;
  const meanDelta = mean(differences) ?? null;
  return {
    baseline,
    candidate,
    evaluator,
    paired: deltas.length,
    unpaired,
    baselineMean: mean(deltas.map((d) => d.baseline)) ?? null,
    candidateMean: mean(deltas.map((d) => d.candidate)) ?? null,
    meanDelta,
    ci95,
    isSignificant: ci95 !== null && (ci95[0] > 0 || ci95[1] < 0),
    wins: deltas.filter((d) => d.delta > 0).length,
    losses: deltas.filter((d) => d.delta < 0).length,
    ties: deltas.filter((d) => d.delta === 0).length,
    resamples: options.resamples,
    seed: options.seed,
    deltas,
  };
}
