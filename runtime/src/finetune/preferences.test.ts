import { describe, expect, it } from 'vitest';
import type { Feedback } from '../store/types.js';
import { exampleProblem } from './format.js';
import type { ModelCall } from './model-calls.js';
import { correctionPairs, type ScoredCell, winners } from './preferences.js';

// The pairing rules of DPO export, on calls and cells as the export reads them (the HTTP suite covers the whole path).

function call(nodeId: string, question: string, answer: string): ModelCall {
  return {
    runId: 'r_1',
    nodeId,
    model: 'gpt-4o-mini',
    prompt: [{ role: 'user', content: question }],
    produced: [{ role: 'assistant', content: answer }],
    tools: [],
    feedbackMean: -1,
  };
}

function correction(value: unknown, nodeId?: string): Feedback {
  return {
    id: `fb_${nodeId ?? 'run'}`,
    runId: 'r_1',
    key: 'user',
    score: -1,
    correction: value,
    ...(nodeId !== undefined && { nodeId }),
    source: 'editor',
    author: 'admin',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

const preferred = (pairs: ReturnType<typeof correctionPairs>) =>
  pairs.map((p) => [p.call.nodeId, p.example.preferred_output[0]?.content, p.example.non_preferred_output[0]?.content]);

describe('correctionPairs', () => {
  const calls = [call('summary', 'sum up', 'A summary.'), call('answer', 'answer', 'An answer.')];
  const outputs = { summary: 'A summary.', answer: 'An answer.' };

  it('maps an object correction of a run with several outputs to the calls that produced them', () => {
    const pairs = correctionPairs(calls, [correction({ answer: 'The answer.', summary: 'A summary.' })], () => outputs);
    // The summary's correction says what it said: no pair for it.
    expect(preferred(pairs)).toEqual([['answer', 'The answer.', 'An answer.']]);
    for (const pair of pairs) expect(exampleProblem(pair.example)).toBeUndefined();
  });

  it('takes text as the correction of a run with one output only', () => {
    expect(correctionPairs(calls, [correction('Which one?')], () => outputs)).toEqual([]);
    const one = correctionPairs(calls, [correction('The answer.')], () => ({ answer: 'An answer.' }));
    expect(preferred(one)).toEqual([['answer', 'The answer.', 'An answer.']]);
  });

  it("prefers a node's own correction to the run's; an output no call produced corrects nothing", () => {
    const pairs = correctionPairs(
      calls,
      [correction({ answer: 'From the run.' }), correction('From the node.', 'answer')],
      () => outputs,
    );
    expect(preferred(pairs)).toEqual([['answer', 'From the node.', 'An answer.']]);
    expect(correctionPairs(calls, [correction('Else.')], () => ({ answer: 'Post-processed.' }))).toEqual([]);
    // A node correction that is neither text nor has text corrects nothing.
    expect(correctionPairs(calls, [correction({ score: 3 }, 'answer')], () => outputs)).toEqual([]);
  });
});

describe('winners', () => {
  const cell = (seq: number, repetition: number, target: number, score: number): ScoredCell => ({
    seq,
    repetition,
    target,
    runId: `r_${seq}_${repetition}_${target}`,
    score,
  });

  it('pairs the best target with the worst per item and repetition; ties at the top go to the first', () => {
    const found = winners([
      cell(2, 0, 0, 0.5),
      cell(2, 0, 1, 0.9),
      cell(2, 0, 2, 0.1),
      cell(1, 1, 0, 1),
      cell(1, 1, 1, 1),
      cell(1, 1, 2, 0),
      cell(1, 0, 0, 0.7),
      cell(1, 0, 1, 0.7),
    ]);
    expect(found.map(({ better, worse }) => [better.runId, worse.runId])).toEqual([
      ['r_1_1_0', 'r_1_1_2'],
      ['r_2_0_1', 'r_2_0_2'],
    ]);
  });
});
