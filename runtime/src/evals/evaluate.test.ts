import { describe, expect, it } from 'vitest';
import { evaluate } from './evaluate.js';
import { parseEvaluators } from './parse-evaluators.js';
import type { EvalServices } from './types.js';

describe('evaluate', () => {
  it('scores every evaluator by name, each against its own threshold', async () => {
    const evaluators = parseEvaluators([
      { type: 'contains', expected: 'Paris' },
      { type: 'regex', pattern: '^echo', name: 'echoes' },
      { type: 'rouge', variant: 'rouge1', threshold: 0.9 },
    ]);
    const verdicts = await evaluate(
      evaluators,
      { input: { question: 'capital?' }, outputs: { answer: 'echo: Paris is the capital' }, expected: 'Paris' },
      {} as EvalServices,
      { signal: new AbortController().signal },
    );
    expect(Object.keys(verdicts)).toEqual(['contains', 'echoes', 'rouge']);
    expect(verdicts.contains).toEqual({ score: 1, pass: true });
    expect(verdicts.echoes).toEqual({ score: 1, pass: true });
    expect(verdicts.rouge).toMatchObject({ pass: false });
  });

  it('never throws: an evaluator that breaks scores an error with its message, and the others still score', async () => {
    const services = {
      embeddings: {
        embed: async () => {
          throw new TypeError('the embedder broke');
        },
      },
    } as unknown as EvalServices;
    const evaluators = parseEvaluators([{ type: 'similarity' }, { type: 'exact' }]);
    const verdicts = await evaluate(evaluators, { input: {}, outputs: { a: 'x' }, expected: 'x' }, services, {
      signal: new AbortController().signal,
    });
    expect(verdicts.similarity).toEqual({
      score: null,
      pass: false,
      error: { code: 'INTERNAL', message: 'TypeError: the embedder broke' },
    });
    expect(verdicts.exact).toEqual({ score: 1, pass: true });
  });
});
