import { bleu, rouge } from '../metrics/index.js';
import { expectedOf, outputOf, referencesOf, textOf } from '../sample.js';
import type { Scorer } from '../types.js';

/**
 * `bleu`: sentence BLEU of the output against the expected text (a list: several references), as sacrebleu's
 * `sentence_bleu` (13a tokenizer, effective order), with `smoothing` (default `exp`).
 */
export const scoreBleu: Scorer<'bleu'> = (evaluator, sample) => {
  const output = textOf(outputOf(evaluator, sample));
  const references = referencesOf(expectedOf(evaluator, sample));
  return { score: bleu(output, references, { smoothing: evaluator.smoothing ?? 'exp' }).score };
};

const MEASURES = { f: 'fmeasure', p: 'precision', r: 'recall' } as const;

/**
 * `rouge`: the `measure` (default `f`) of a ROUGE `variant` with the expected text as target and the output as
 * prediction, as rouge-score's `score(target, prediction)`; with several expected texts, the best of them.
 */
export const scoreRouge: Scorer<'rouge'> = (evaluator, sample) => {
  const output = textOf(outputOf(evaluator, sample));
  const measure = MEASURES[evaluator.measure ?? 'f'];
  const scores = referencesOf(expectedOf(evaluator, sample)).map(
    (target) => rouge(target, output, evaluator.variant)[measure],
  );
  return { score: Math.max(0, ...scores) };
};
