import { Ajv, type ValidateFunction } from 'ajv';
import { AppError } from '../../spec/index.js';

// One validator per schema text; schemas come from node params, so the set is small and stable.
const ajv = new Ajv({ allErrors: true, strict: false });
const compiled = new Map<string, ValidateFunction>();

/** Compiles a JSON Schema param, throwing NODE_PARAM_INVALID (naming the param) when it is not a valid schema. */
export function compileSchema(schema: unknown, param: string): ValidateFunction {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
    throw new AppError('NODE_PARAM_INVALID', `param "${param}" must be a JSON Schema object`);
  }
  const key = JSON.stringify(schema);
  const known = compiled.get(key);
  if (known) return known;
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(schema);
  } catch (err) {
    throw new AppError('NODE_PARAM_INVALID', `param "${param}" is not a valid JSON Schema: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (compiled.size > 1000) compiled.clear();
  compiled.set(key, validate);
  return validate;
}

/** Problems of `value` against a compiled schema, as `{path, message}` (empty when it conforms). */
export function schemaProblems(validate: ValidateFunction, value: unknown): { path: string; message: string }[] {
  if (validate(value)) return [];
  return (validate.errors ?? []).map((err) => ({
    path: err.instancePath || '/',
    message: `${err.instancePath || '(root)'} ${err.message ?? 'is invalid'}`,
  }));
}
