import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { stableJson } from '../../platform/stable-json.js';
import { outputOf } from '../sample.js';
import type { Scorer } from '../types.js';

// ajv-formats is CommonJS: the plugin is its `default` (module.exports is the plugin too, with itself as `default`).
const addFormats = addFormatsModule.default;
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);

// One validator per schema text: the same schema in many cases (or a schema with an `$id`) is compiled once.
const compiled = new Map<string, ValidateFunction>();

/** Compiles an evaluator's JSON Schema (draft-07, with the standard formats); throws ajv's error when it is invalid. */
export function compileEvaluatorSchema(schema: Record<string, unknown>): ValidateFunction {
  const key = stableJson(schema);
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(schema);
    if (compiled.size >= 1000) compiled.clear();
    compiled.set(key, validate);
  }
  return validate;
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
