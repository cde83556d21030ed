import { type ErrorBody, isAppError, toErrorBody } from '@flowloom/nodes';
import { scoreFlow } from './scorers/flow.js';
import { scoreJsonSchema } from './scorers/json-schema.js';
import { scoreCost, scoreLatency } from './scorers/limits.js';
import { scoreLlmJudge } from './scorers/llm-judge.js';
import { scoreContains, scoreExact, scoreRegex } from './scorers/match.js';
import { scoreBleu, scoreRouge } from './scorers/overlap.js';
import { scoreSimilarity } from './scorers/similarity.js';
import type { EvalSample, EvalScore, EvalServices, Evaluator, EvaluatorType, Scored, Scorer } from './types.js';

/** The scorer of each evaluator type. */
export const SCORERS: { [T in EvaluatorType]: Scorer<T> } = {
  exact: scoreExact,
  contains: scoreContains,
  regex: scoreRegex,
  json_schema: scoreJsonSchema,
  bleu: scoreBleu,
  rouge: scoreRouge,
  similarity: scoreSimilarity,
  llm_judge: scoreLlmJudge,
  latency: scoreLatency,
  cost: scoreCost,
  flow: scoreFlow,
};

function errorBody(err: unknown): ErrorBody {
  const body = toErrorBody(err);
  // An unexpected error keeps its public code, but its own message says what went wrong in this evaluation.
  if (!isAppError(err) && err instanceof Error) body.message = `${err.name}: ${err.message}`;
  return body;
}

/** One evaluator's verdict on one sample; never throws: what kept it from scoring is the verdict's `error`. */
export async function evaluateOne(
  evaluator: Evaluator,
  sample: EvalSample,
  services: EvalServices,
  signal: AbortSignal,
): Promise<EvalScore> {
  let scored: Scored;
  try {
    const scorer = SCORERS[evaluator.type] as Scorer<EvaluatorType>;
    scored = await scorer(evaluator as never, sample, { services, signal });
  } catch (err) {
    scored = { error: errorBody(err) };
  }
  const runId = scored.runId === undefined ? {} : { runId: scored.runId };
  if ('error' in scored) return { score: null, pass: false, error: scored.error, ...runId };
  const score = Math.min(1, Math.max(0, scored.score));
  return {
    score,
    pass: score >= evaluator.threshold,
    ...(scored.reason !== undefined && { reason: scored.reason }),
    ...runId,
  };
}

/**
 * Scores one sample with every evaluator (from `parseEvaluators`), concurrently, into verdicts by evaluator name.
 * Never throws: a judge, a model or a flow that fails gives its verdict an `error` and the others still score.
 */
export async function evaluate(
  evaluators: readonly Evaluator[],
  sample: EvalSample,
  services: EvalServices,
  options: { signal: AbortSignal },
): Promise<Record<string, EvalScore>> {
  const verdicts = await Promise.all(
    evaluators.map((evaluator) => evaluateOne(evaluator, sample, services, options.signal)),
  );
  return Object.fromEntries(evaluators.map((evaluator, index) => [evaluator.name, verdicts[index] as EvalScore]));
}
