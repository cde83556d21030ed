import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { outputOf } from '../sample.js';
import type { Scorer } from '../types.js';

// ajv-formats is CommonJS: the plugin is its `default` (module.exports is the plugin too, with itself as `default`).
const addFormats = addFormatsModule.default;
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);

/** Compiles an evaluator's JSON Schema (draft-07, with the standard formats); throws ajv's error when it is invalid. */
export function compileEvaluatorSchema(schema: Record<string, unknown>): ValidateFunction {
  return ajv.compile(schema);
}

/**
 * `json_schema`: 1 when the output conforms to the schema, else 0 with the problems. A text output is parsed as JSON
 * first; text that is not JSON is checked as the string it is (so `{"type": "string"}` takes any text).
 */
export const scoreJsonSchema: Scorer<'json_schema'> = (evaluator, sample) => {
  let value = outputOf(evaluator, sample);
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      // Not JSON: the text itself is the value.
    }
  }
  if (evaluator.validate(value)) return { score: 1 };
  const problems = (evaluator.validate.errors ?? [])
    .slice(0, 3)
    .map((err) => `${err.instancePath || '(root)'} ${err.message ?? 'is invalid'}`);
  return { score: 0, reason: problems.join('; ') || 'does not match the schema' };
};
