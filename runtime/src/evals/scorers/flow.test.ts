import { AppError, type FlowFile } from '@flowloom/nodes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../config.js';
import { createRuntime, type Runtime } from '../../kernel.js';
import type { FlowBundle } from '../../runs/run-service.js';
import { flowOf, removeTempDir, tempDir } from '../../testing/fixtures.js';
import { evaluate } from '../evaluate.js';
import { parseEvaluators } from '../parse-evaluators.js';
import { evalServices } from '../services.js';
import type { EvalSample, EvalServices } from '../types.js';

// The flow evaluator with a real runtime: evaluator flows run in the sandbox like any other flow.

/** output and expected (text) → score: 1 when the output mentions the expected text, reason: a sentence. */
const grader = flowOf(
  'grader',
  [
    ['output', 'input', { name: 'output' }],
    ['expected', 'input', { name: 'expected' }],
    [
      'grade',
      'code',
      {
        inputNames: ['output', 'expected'],
        code: 'return inputs.output.toLowerCase().includes(inputs.expected.toLowerCase()) ? 1 : 0;',
      },
    ],
    ['why', 'text', { mode: 'format', template: 'looked for {{expected}}' }],
    ['score', 'output', { name: 'score' }],
    ['reason', 'output', { name: 'reason' }],
  ],
  [
    'output.value→grade.output',
    'expected.value→grade.expected',
    'expected.value→why.expected',
    'grade.result→score.value',
    'why.text→reason.value',
  ],
);

/** input (json) → score: true when the question was asked politely. */
const polite = flowOf(
  'polite',
  [
    ['input', 'input', { name: 'input', dataType: 'json' }],
    ['check', 'code', { code: 'return /please/i.test(inputs.input.question);' }],
    ['score', 'output', { name: 'score' }],
  ],
  ['input.value→check.input', 'check.result→score.value'],
);

/** No score output at all. */
const broken = flowOf(
  'broken',
  [
    ['output', 'input', { name: 'output' }],
    ['verdict', 'output', { name: 'verdict' }],
  ],
  ['output.value→verdict.value'],
);

/** A grader that throws. */
const thrower = flowOf(
  'thrower',
  [
    ['output', 'input', { name: 'output' }],
    ['grade', 'code', { inputNames: ['output'], code: "throw new Error('the grader broke');" }],
    ['score', 'output', { name: 'score' }],
  ],
  ['output.value→grade.output', 'grade.result→score.value'],
);

const flows = new Map<string, FlowFile>([grader, polite, broken, thrower].map((flow) => [flow.id, flow]));
const bundle: FlowBundle = {
  resolve(flowId) {
    const flow = flows.get(flowId);
    if (!flow) throw new AppError('FLOW_NOT_FOUND', `flow "${flowId}" does not exist`);
    return { flow, version: null };
  },
};

let runtime: Runtime;
let services: EvalServices;
let dataDir: string;

beforeAll(async () => {
  dataDir = tempDir('flow-eval');
  runtime = await createRuntime(testConfig({ dataDir }));
  services = evalServices(runtime.runs, { lookup: runtime.registry.lookup, bundle });
});
afterAll(async () => {
  await runtime.close();
  removeTempDir(dataDir);
});

const sample: EvalSample = {
  input: { question: 'Could you please tell me where order A1001 is?' },
  outputs: { answer: 'Order A1001 has SHIPPED.', route: 'billing' },
  expected: 'shipped',
  run: { runId: 'r_evaluated' },
};
const signal = () => new AbortController().signal;

describe('flow', () => {
  it('runs the evaluator flow with {input, output, expected} and reads {score, reason}', async () => {
    const evaluators = parseEvaluators([{ type: 'flow', flowId: 'grader', output: 'answer' }]);
    const { flow: verdict } = await evaluate(evaluators, sample, services, { signal: signal() });
    expect(verdict).toEqual({ score: 1, pass: true, reason: 'looked for shipped', runId: expect.any(String) });
    const run = (await runtime.runs.get(verdict?.runId as string))?.run;
    expect(run).toMatchObject({
      flowId: 'grader',
      parentRunId: 'r_evaluated',
      inputs: { output: 'Order A1001 has SHIPPED.' },
    });

    const other = parseEvaluators([{ type: 'flow', flowId: 'grader', output: 'answer', expected: 'delivered' }]);
    expect((await evaluate(other, sample, services, { signal: signal() })).flow).toMatchObject({
      score: 0,
      pass: false,
    });
  });

  it('passes only the inputs the flow declares, and takes a boolean score', async () => {
    const evaluators = parseEvaluators([{ type: 'flow', flowId: 'polite' }]);
    const { flow: verdict } = await evaluate(evaluators, sample, services, { signal: signal() });
    expect(verdict).toEqual({ score: 1, pass: true, runId: expect.any(String) });
  });

  it('passes a non-text output to a text input as JSON', async () => {
    const evaluators = parseEvaluators([{ type: 'flow', flowId: 'grader' }]);
    const { flow: verdict } = await evaluate(evaluators, { ...sample, expected: '"route":"billing"' }, services, {
      signal: signal(),
    });
    expect(verdict?.score).toBe(1);
  });

  it('scores an error for a flow without a score, a failing flow and an unknown flow', async () => {
    const evaluators = parseEvaluators([
      { type: 'flow', flowId: 'broken', name: 'no-score', output: 'answer' },
      { type: 'flow', flowId: 'thrower', name: 'failing', output: 'answer' },
      { type: 'flow', flowId: 'missing', name: 'unknown' },
    ]);
    const verdicts = await evaluate(evaluators, sample, services, { signal: signal() });
    expect(verdicts['no-score']).toMatchObject({ score: null, pass: false, error: { code: 'VALIDATION_FAILED' } });
    expect(verdicts['no-score']?.error?.message).toContain('"score"');
    expect(verdicts.failing).toMatchObject({ score: null, pass: false, error: { code: 'SANDBOX_ERROR' } });
    expect(verdicts.failing?.error?.message).toContain('the grader broke');
    expect(verdicts.failing?.runId).toEqual(expect.any(String));
    expect(verdicts.unknown).toMatchObject({ score: null, pass: false, error: { code: 'FLOW_NOT_FOUND' } });
  });
});
