import { AppError } from '@flowloom/nodes';
import type { EvalSample, Scorer } from '../types.js';

function runOf(sample: EvalSample, type: string): NonNullable<EvalSample['run']> {
  if (!sample.run) throw new AppError('VALIDATION_FAILED', `${type} reads the evaluated run, and there is none`);
  return sample.run;
}

/**
 * `latency`: 1 when the run took at most `maxMs`, else `maxMs / durationMs` (0.5 at twice the limit), so the default
 * threshold 1 passes only within the limit.
 */
export const scoreLatency: Scorer<'latency'> = (evaluator, sample) => {
  const ms = runOf(sample, 'latency').durationMs;
  if (ms === undefined) throw new AppError('VALIDATION_FAILED', 'latency: the run has no duration yet');
  const score = ms <= evaluator.maxMs ? 1 : evaluator.maxMs / ms;
  return { score, reason: `${Math.round(ms)} ms (limit ${evaluator.maxMs} ms)` };
};

/**
 * `cost`: 1 when the run's model calls cost at most `maxUsd` (a run without any costs 0), else `maxUsd / costUsd`,
 * so the default threshold 1 passes only within the limit.
 */
export const scoreCost: Scorer<'cost'> = (evaluator, sample) => {
  const usd = runOf(sample, 'cost').costUsd ?? 0;
  const score = usd <= evaluator.maxUsd ? 1 : evaluator.maxUsd / usd;
  return { score, reason: `$${usd.toPrecision(3)} (limit $${evaluator.maxUsd})` };
};
