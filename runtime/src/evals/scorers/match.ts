import { isDeepEqual } from '@flowloom/nodes';
import { expectedOf, outputOf, preview, referencesOf, textOf } from '../sample.js';
import type { Scorer } from '../types.js';

/**
 * `exact`: 1 when the output equals the expected value, else 0. Two strings are compared without the whitespace
 * around them (a model's trailing newline is not a difference); other values are compared as JSON values, key order
 * aside.
 */
export const scoreExact: Scorer<'exact'> = (evaluator, sample) => {
  const output = outputOf(evaluator, sample);
  const expected = expectedOf(evaluator, sample);
  const isEqual =
    typeof output === 'string' && typeof expected === 'string'
      ? output.trim() === expected.trim()
      : isDeepEqual(output, expected);
  if (isEqual) return { score: 1 };
  return { score: 0, reason: `expected ${preview(textOf(expected))}, got ${preview(textOf(output))}` };
};

/**
 * `contains`: the share of the expected texts found in the output (case-sensitive). One expected text scores 1 or 0;
 * a list `["shipped", "DHL"]` scores the share found, so with the default threshold 1 all must be there.
 */
export const scoreContains: Scorer<'contains'> = (evaluator, sample) => {
  const output = textOf(outputOf(evaluator, sample));
  const wanted = referencesOf(expectedOf(evaluator, sample));
  const missing = wanted.filter((text) => !output.includes(text));
  const score = wanted.length === 0 ? 1 : (wanted.length - missing.length) / wanted.length;
  if (missing.length === 0) return { score };
  return { score, reason: `missing ${missing.map((text) => preview(text, 60)).join(', ')} in ${preview(output)}` };
};

/** `regex`: 1 when the pattern matches somewhere in the output, else 0. It needs no expected value. */
export const scoreRegex: Scorer<'regex'> = (evaluator, sample) => {
  const output = textOf(outputOf(evaluator, sample));
  // A fresh copy: with the g or y flag a RegExp keeps where it stopped.
  const regex = new RegExp(evaluator.regex.source, evaluator.regex.flags);
  if (regex.test(output)) return { score: 1 };
  return { score: 0, reason: `${String(evaluator.regex)} does not match ${preview(output)}` };
};
