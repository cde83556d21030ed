import type { FlowFile } from '@flowloom/nodes';
import { outputOf, textOf } from '../sample.js';
import type { EvalSample, EvaluatorOf, Scorer } from '../types.js';

/** The judge's model when the evaluator names none (the `llm` node's default). */
export const DEFAULT_JUDGE_MODEL = 'gpt-4o-mini';

/** The flow id of judge runs in the run history. */
export const JUDGE_FLOW_ID = 'eval-llm-judge';

const JUDGE_SYSTEM =
  'You are a strict and fair evaluator. Judge the OUTPUT of an AI application against the RUBRIC. The INPUT is ' +
  'what the application was given; the EXPECTED answer, when there is one, is a reference, not the only acceptable ' +
  'answer. Reply in JSON: "reasoning", one to three sentences on how the output meets the rubric, then "score", a ' +
  'number from 0 (fails the rubric entirely) to 1 (meets it fully).';

/** The judge's structured answer (the reasoning first, so the model reasons before it scores). */
export const VERDICT_SCHEMA = {
  type: 'object',
  properties: {
    reasoning: { type: 'string' },
    score: { type: 'number', minimum: 0, maximum: 1 },
  },
  required: ['reasoning', 'score'],
  additionalProperties: false,
} as const;

const judgeFlows = new Map<string, FlowFile>();

/**
 * The judge as a flow: prompt → `llm` (the model, temperature 0, the verdict schema as structured output) → verdict.
 * One object per model, so the run service compiles it once.
 */
export function judgeFlow(model: string): FlowFile {
  let flow = judgeFlows.get(model);
  if (!flow) {
    flow = {
      format: 'flowloom.flow/v1',
      id: JUDGE_FLOW_ID,
      name: 'LLM judge',
      description: 'Scores an output against a rubric for an llm_judge evaluator.',
      nodes: [
        { id: 'prompt', type: 'input', position: { x: 0, y: 0 }, params: { name: 'prompt' } },
        {
          id: 'judge',
          type: 'llm',
          position: { x: 280, y: 0 },
          params: { model, system: JUDGE_SYSTEM, temperature: 0, stream: false, jsonSchema: VERDICT_SCHEMA },
        },
        { id: 'verdict', type: 'output', position: { x: 560, y: 0 }, params: { name: 'verdict' } },
      ],
      edges: [
        { id: 'e1', source: 'prompt', sourcePort: 'value', target: 'judge', targetPort: 'prompt' },
        { id: 'e2', source: 'judge', sourcePort: 'json', target: 'verdict', targetPort: 'value' },
      ],
    };
    judgeFlows.set(model, flow);
  }
  return flow;
}

/** What the judge reads: the rubric, the input, the output and, when there is one, the expected answer. */
export function judgePrompt(evaluator: EvaluatorOf<'llm_judge'>, sample: EvalSample): string {
  const expected = evaluator.expected !== undefined ? evaluator.expected : sample.expected;
  const parts = [
    `RUBRIC:\n${evaluator.rubric}`,
    `INPUT:\n${JSON.stringify(sample.input, null, 2)}`,
    `OUTPUT:\n${textOf(outputOf(evaluator, sample))}`,
  ];
  if (expected !== undefined) parts.push(`EXPECTED:\n${textOf(expected)}`);
  return parts.join('\n\n');
}

/**
 * `llm_judge`: a model scores the output against the rubric, answering `{reasoning, score}` as structured output
 * (a JSON schema response format through the kernel's model service). The judge runs as a run of its own, linked to
 * the evaluated run by `parentRunId`: the evaluated run has ended by then, so a span added to it would come after its
 * final event; a run of its own is traced, stored and costed like any other, and keeps the judge's tokens out of the
 * evaluated run's cost. A judge that fails (provider error, an answer off the schema) scores an error.
 */
export const scoreLlmJudge: Scorer<'llm_judge'> = async (evaluator, sample, { services, signal }) => {
  const flow = judgeFlow(evaluator.model ?? DEFAULT_JUDGE_MODEL);
  const run = await services.runFlow(
    flow,
    { prompt: judgePrompt(evaluator, sample) },
    { signal, ...(sample.run && { parentRunId: sample.run.runId }) },
  );
  if (run.status !== 'completed') {
    const error = run.error ?? { code: 'RUN_CANCELLED' as const, message: `the judge's run was ${run.status}` };
    return { error, runId: run.runId };
  }
  const verdict = run.outputs?.verdict as { score: number; reasoning: string };
  return { score: verdict.score, reason: verdict.reasoning, runId: run.runId };
};
