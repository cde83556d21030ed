import { describe, expect, it } from 'vitest';
import { evaluateOne } from '../evaluate.js';
import { parseEvaluators } from '../parse-evaluators.js';
import type { EvalServices } from '../types.js';

const verdict = (spec: Record<string, unknown>, output: string, expected: unknown) =>
  evaluateOne(
    parseEvaluators([spec])[0]!,
    { input: {}, outputs: { answer: output }, expected },
    {} as EvalServices,
    new AbortController().signal,
  );

describe('bleu', () => {
  it('is sacrebleu sentence BLEU of the output against the expected text', async () => {
    // Brevity penalty only: exp(1 - 2/1).
    expect((await verdict({ type: 'bleu' }, 'test', 'a test')).score).toBe(0.3678794411714425);
    expect(await verdict({ type: 'bleu' }, 'the cat sat on the mat', 'the cat sat on the mat')).toEqual({
      score: 1,
      pass: true,
    });
  });

  it('takes a list of references and a smoothing', async () => {
    const two = await verdict({ type: 'bleu' }, 'the cat sat on the mat', ['a dog ran', 'the cat sat on the mat']);
    expect(two.score).toBe(1);
    const floor = await verdict({ type: 'bleu', smoothing: 'floor' }, 'this is a fest', 'this is a test');
    const exp = await verdict({ type: 'bleu', smoothing: 'exp' }, 'this is a fest', 'this is a test');
    expect(floor.score).not.toBe(exp.score);
    expect(floor.pass).toBe(false);
  });
});

describe('rouge', () => {
  it('is rouge-score with the expected text as target and the output as prediction', async () => {
    const f = await verdict({ type: 'rouge', variant: 'rouge1' }, 'testing', 'testing one two');
    expect(f.score).toBe(0.5);
    expect(
      (await verdict({ type: 'rouge', variant: 'rouge1', measure: 'p' }, 'testing', 'testing one two')).score,
    ).toBe(1);
    expect(
      (await verdict({ type: 'rouge', variant: 'rouge1', measure: 'r' }, 'testing', 'testing one two')).score,
    ).toBe(1 / 3);
    expect((await verdict({ type: 'rouge', variant: 'rouge2' }, 'testing one', 'testing one two')).score).toBe(2 / 3);
    expect((await verdict({ type: 'rouge', variant: 'rougeL' }, 'testing two', 'testing one two')).score).toBeCloseTo(
      0.8,
      15,
    );
    const sum = await verdict(
      { type: 'rouge', variant: 'rougeLsum', measure: 'r' },
      'w1 w2 w6 w7 w8\nw1 w3 w8 w9 w5',
      'w1 w2 w3 w4 w5',
    );
    expect(sum.score).toBeCloseTo(0.8, 15);
  });

  it('takes the best of several expected texts', async () => {
    const best = await verdict({ type: 'rouge', variant: 'rouge1' }, 'testing', ['nothing alike', 'testing one two']);
    expect(best.score).toBe(0.5);
    expect(best.pass).toBe(true);
  });
});
