import { AppError } from '@flowloom/nodes';
import type { EvalSample, Evaluator } from './types.js';

/**
 * The output an evaluator scores: the one it names (undefined when the run did not produce it, e.g. a branch not
 * taken), else the run's only output, else all outputs as an object.
 */
export function outputOf(evaluator: Evaluator, sample: EvalSample): unknown {
  if (evaluator.output !== undefined) return sample.outputs[evaluator.output];
  const names = Object.keys(sample.outputs);
  return names.length === 1 ? sample.outputs[names[0] as string] : sample.outputs;
}

/** The evaluator's own `expected`, else the sample's; VALIDATION_FAILED when neither says one. */
export function expectedOf(evaluator: Evaluator, sample: EvalSample): unknown {
  const expected = evaluator.expected !== undefined ? evaluator.expected : sample.expected;
  if (expected === undefined) {
    throw new AppError(
      'VALIDATION_FAILED',
      `${evaluator.name} (${evaluator.type}) compares with an expected value, and none is given`,
      { details: [{ field: 'expected', message: 'required by this evaluator' }] },
    );
  }
  return expected;
}

/** A value as text: strings as they are, nothing as '', anything else as JSON. */
export function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  return JSON.stringify(value);
}

/** The reference texts of an expected value: each item of a list, or the value itself. */
export function referencesOf(expected: unknown): string[] {
  return Array.isArray(expected) ? expected.map(textOf) : [textOf(expected)];
}

/** Text for a message, cut to `max` characters. */
export function preview(text: string, max = 120): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}
