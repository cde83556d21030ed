import type { ChatBody, FakeOpenAI } from '@flowloom/test/fake-openai';
import { startFakeOpenAI } from '@flowloom/test/fake-openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../config.js';
import { createRuntime, type Runtime } from '../../kernel.js';
import { removeTempDir, tempDir } from '../../testing/fixtures.js';
import { evaluate } from '../evaluate.js';
import { parseEvaluators } from '../parse-evaluators.js';
import { evalServices } from '../services.js';
import type { EvalSample, EvalServices } from '../types.js';
import { JUDGE_FLOW_ID } from './llm-judge.js';

// The judge against the fake OpenAI server, through the real openai SDK and a real runtime.

let fake: FakeOpenAI;
let runtime: Runtime;
let services: EvalServices;
let dataDir: string;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  dataDir = tempDir('judge');
  runtime = await createRuntime(testConfig({ dataDir, openai: { baseURL: fake.url } }));
  services = evalServices(runtime.runs, { lookup: runtime.registry.lookup, embeddings: runtime.embeddings });
});
afterEach(() => fake.reset());
afterAll(async () => {
  await runtime.close();
  removeTempDir(dataDir);
  await fake.close();
});

const sample: EvalSample = {
  input: { question: 'Where is my order A1001?' },
  outputs: { answer: 'It shipped with DHL and arrives in 2 days.' },
  expected: 'Shipped, 2 days.',
  run: { runId: 'r_evaluated', durationMs: 12 },
};
const signal = () => new AbortController().signal;

describe('llm_judge', () => {
  it("asks the model for {reasoning, score} as structured output and scores with the judge's answer", async () => {
    const evaluators = parseEvaluators([{ type: 'llm_judge', rubric: 'Does it give the status and the delay?' }]);
    const { llm_judge: verdict } = await evaluate(evaluators, sample, services, { signal: signal() });
    // The fake answers a [0, 1] number with 0.5: the default threshold passes it.
    expect(verdict).toMatchObject({ score: 0.5, pass: true, reason: expect.any(String), runId: expect.any(String) });

    const [call] = fake.chatRequests() as ChatBody[];
    expect(call?.model).toBe('gpt-4o-mini');
    expect(call?.temperature).toBe(0);
    expect(call?.response_format?.type).toBe('json_schema');
    expect(call?.response_format?.json_schema?.schema).toMatchObject({
      required: ['reasoning', 'score'],
      properties: { score: { type: 'number', minimum: 0, maximum: 1 } },
    });
    const prompt = String(call?.messages.at(-1)?.content);
    expect(prompt).toContain('RUBRIC:\nDoes it give the status and the delay?');
    expect(prompt).toContain('"question": "Where is my order A1001?"');
    expect(prompt).toContain('OUTPUT:\nIt shipped with DHL and arrives in 2 days.');
    expect(prompt).toContain('EXPECTED:\nShipped, 2 days.');
  });

  it('is traced as a run of its own, linked to the evaluated run, with the model call and its cost', async () => {
    fake.enqueue({ text: JSON.stringify({ reasoning: 'Gives both.', score: 0.9 }) });
    const evaluators = parseEvaluators([{ type: 'llm_judge', rubric: 'Status and delay?', model: 'gpt-4o' }]);
    const { llm_judge: verdict } = await evaluate(evaluators, sample, services, { signal: signal() });
    expect(verdict).toEqual({ score: 0.9, pass: true, reason: 'Gives both.', runId: expect.any(String) });
    const detail = await runtime.runs.get(verdict?.runId as string);
    expect(detail?.run).toMatchObject({ flowId: JUDGE_FLOW_ID, status: 'completed', parentRunId: 'r_evaluated' });
    const completed = detail?.events.find((event) => event.type === 'node.completed' && event.nodeId === 'judge');
    expect(completed?.data).toMatchObject({ usage: { promptTokens: expect.any(Number) }, costUsd: expect.any(Number) });
    expect(fake.chatRequests()[0]?.model).toBe('gpt-4o');
  });

  it('scores an error, and throws nothing, when the judge fails or answers off the schema', async () => {
    fake.enqueue({ text: 'I think it is fine.' });
    const evaluators = parseEvaluators([
      { type: 'llm_judge', rubric: 'ok?', name: 'off-schema' },
      { type: 'llm_judge', rubric: 'ok?', name: 'missing-model', model: 'ft:gpt-4o-mini:none:x:1' },
      { type: 'exact', expected: 'It shipped with DHL and arrives in 2 days.' },
    ]);
    const verdicts = await evaluate(evaluators, sample, services, { signal: signal() });
    expect(verdicts['off-schema']).toMatchObject({
      score: null,
      pass: false,
      error: { code: 'OUTPUT_SCHEMA_MISMATCH' },
    });
    expect(verdicts['off-schema']?.runId).toEqual(expect.any(String));
    expect(verdicts['missing-model']).toMatchObject({ score: null, pass: false, error: { code: 'PROVIDER_ERROR' } });
    expect(verdicts.exact).toEqual({ score: 1, pass: true });
  });
});
