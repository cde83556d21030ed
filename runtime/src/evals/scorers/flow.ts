import { type FlowInputSpec, flowInputs, type Values } from '@flowloom/nodes';
import { outputOf } from '../sample.js';
import type { EvalSample, Evaluator, Scorer } from '../types.js';

/** The evaluator flow's inputs from `{input, output, expected}`: the ones it declares, as text where it wants text. */
export function evaluatorFlowInputs(specs: readonly FlowInputSpec[], evaluator: Evaluator, sample: EvalSample): Values {
  const expected = evaluator.expected !== undefined ? evaluator.expected : sample.expected;
  const offered: Values = { input: sample.input, output: outputOf(evaluator, sample), expected };
  const inputs: Values = {};
  for (const spec of specs) {
    const value = offered[spec.name];
    if (value === undefined) continue;
    inputs[spec.name] = spec.dataType === 'text' && typeof value !== 'string' ? JSON.stringify(value) : value;
  }
  return inputs;
}

/**
 * `flow`: a Flowloom flow scores the output. It takes any of the inputs `input` (the flow inputs), `output` and
 * `expected` (as text when the input is text) and answers the outputs `score` (0..1, or true/false) and `reason`
 * (optional). It runs as a run of its own linked to the evaluated run by `parentRunId`, like a judge.
 */
export const scoreFlow: Scorer<'flow'> = async (evaluator, sample, { services, signal }) => {
  const { flow, version } = await services.resolveFlow(evaluator.flowId);
  const inputs = evaluatorFlowInputs(flowInputs(flow, services.lookup), evaluator, sample);
  const run = await services.runFlow(flow, inputs, {
    signal,
    version,
    ...(sample.run && { parentRunId: sample.run.runId }),
  });
  if (run.status !== 'completed') {
    const error = run.error ?? { code: 'RUN_CANCELLED' as const, message: `the run of "${flow.id}" was ${run.status}` };
    return { error, runId: run.runId };
  }
  const outputs = run.outputs ?? {};
  const raw = outputs.score;
  const score = typeof raw === 'boolean' ? Number(raw) : raw;
  if (typeof score !== 'number' || !Number.isFinite(score) || score < 0 || score > 1) {
    const message = `evaluator flow "${flow.id}" must answer an output "score" from 0 to 1 (or true/false), got ${JSON.stringify(raw) ?? 'none'}`;
    return { error: { code: 'VALIDATION_FAILED', message }, runId: run.runId };
  }
  const reason = outputs.reason;
  return {
    score,
    runId: run.runId,
    ...(reason !== undefined &&
      reason !== null && { reason: typeof reason === 'string' ? reason : JSON.stringify(reason) }),
  };
};
