import { AppError } from '@flowloom/nodes';
import { parseEmbedder } from '../rag/embeddings.js';
import { compileEvaluatorSchema } from './scorers/json-schema.js';
import { DEFAULT_THRESHOLDS, EVALUATOR_TYPES, type Evaluator, type EvaluatorType } from './types.js';

/** A problem with one field of an evaluator list, as VALIDATION_FAILED details name it (`evaluators.2.pattern`). */
export interface FieldProblem {
  field: string;
  message: string;
}

const COMMON_FIELDS = ['type', 'name', 'threshold', 'output', 'expected'];

/** The fields of each type besides the common ones, required first. */
const TYPE_FIELDS: Record<EvaluatorType, { required: string[]; optional: string[] }> = {
  exact: { required: [], optional: [] },
  contains: { required: [], optional: [] },
  regex: { required: ['pattern'], optional: ['flags'] },
  json_schema: { required: ['schema'], optional: [] },
  bleu: { required: [], optional: ['smoothing'] },
  rouge: { required: ['variant'], optional: ['measure'] },
  similarity: { required: [], optional: ['embedder'] },
  llm_judge: { required: ['rubric'], optional: ['model'] },
  latency: { required: ['maxMs'], optional: [] },
  cost: { required: ['maxUsd'], optional: [] },
  flow: { required: ['flowId'], optional: [] },
};

const CHOICES: Record<string, readonly string[]> = {
  smoothing: ['exp', 'floor', 'add-k'],
  variant: ['rouge1', 'rouge2', 'rougeL', 'rougeLsum'],
  measure: ['f', 'p', 'r'],
};

const STRING_FIELDS = new Set(['name', 'output', 'pattern', 'flags', 'embedder', 'rubric', 'model', 'flowId']);
const REGEX_FLAGS = /^(?!.*(.).*\1)[dgimsuvy]*$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The problems of one evaluator object, and the evaluator when there are none. */
function parseOne(raw: unknown, at: string, problems: FieldProblem[]): Evaluator | undefined {
  const before = problems.length;
  const problem = (field: string, message: string) => problems.push({ field: `${at}${field}`, message });
  if (!isObject(raw)) {
    problems.push({ field: at.slice(0, -1), message: 'must be an evaluator object {type, ...}' });
    return undefined;
  }
  const type = raw.type;
  if (!EVALUATOR_TYPES.includes(type as EvaluatorType)) {
    problem(
      'type',
      `must be one of ${EVALUATOR_TYPES.join(', ')}${type === undefined ? '' : `, got ${JSON.stringify(type)}`}`,
    );
    return undefined;
  }
  const fields = TYPE_FIELDS[type as EvaluatorType];
  const known = [...COMMON_FIELDS, ...fields.required, ...fields.optional];
  for (const key of Object.keys(raw)) {
    if (!known.includes(key)) problem(key, `unknown field for ${type} (it takes ${known.join(', ')})`);
  }
  for (const key of fields.required) if (raw[key] === undefined) problem(key, `required by ${type}`);
  for (const key of Object.keys(raw)) {
    const value = raw[key];
    if (value === undefined || !known.includes(key)) continue;
    if (STRING_FIELDS.has(key) && (typeof value !== 'string' || (key !== 'flags' && value.trim() === ''))) {
      problem(key, 'must be a non-empty string');
    } else if (CHOICES[key] && !CHOICES[key].includes(value as string)) {
      problem(key, `must be one of ${CHOICES[key].join(', ')}`);
    }
  }
  const { threshold, maxMs, maxUsd } = raw;
  if (threshold !== undefined && !(typeof threshold === 'number' && threshold >= 0 && threshold <= 1)) {
    problem('threshold', 'must be a number from 0 to 1');
  }
  if (maxMs !== undefined && !(typeof maxMs === 'number' && Number.isFinite(maxMs) && maxMs > 0)) {
    problem('maxMs', 'must be a number of milliseconds above 0');
  }
  if (maxUsd !== undefined && !(typeof maxUsd === 'number' && Number.isFinite(maxUsd) && maxUsd >= 0)) {
    problem('maxUsd', 'must be a number of US dollars, 0 or more');
  }
  if (typeof raw.name === 'string' && raw.name.length > 100) problem('name', 'must be at most 100 characters');

  const compiled: Record<string, unknown> = {};
  if (type === 'regex' && typeof raw.pattern === 'string' && raw.pattern !== '') {
    const flags = typeof raw.flags === 'string' ? raw.flags : '';
    if (!REGEX_FLAGS.test(flags))
      problem('flags', 'must be regular expression flags (d, g, i, m, s, u, v, y), each once');
    else {
      try {
        compiled.regex = new RegExp(raw.pattern, flags);
      } catch (err) {
        problem('pattern', `is not a valid regular expression: ${(err as Error).message}`);
      }
    }
  }
  if (type === 'json_schema' && raw.schema !== undefined) {
    if (!isObject(raw.schema)) problem('schema', 'must be a JSON Schema object');
    else {
      try {
        compiled.validate = compileEvaluatorSchema(raw.schema);
      } catch (err) {
        problem('schema', `is not a valid JSON Schema: ${(err as Error).message}`);
      }
    }
  }
  if (type === 'similarity' && typeof raw.embedder === 'string' && raw.embedder.trim() !== '') {
    try {
      parseEmbedder(raw.embedder);
    } catch {
      problem('embedder', 'must be "local" or "openai:<model>"');
    }
  }
  if (problems.length > before) return undefined;
  const evaluatorType = type as EvaluatorType;
  return {
    ...raw,
    ...compiled,
    type: evaluatorType,
    name: typeof raw.name === 'string' ? raw.name : '',
    threshold: typeof threshold === 'number' ? threshold : DEFAULT_THRESHOLDS[evaluatorType],
  } as Evaluator;
}

/**
 * Checks a list of evaluator objects (docs/contracts.md §7) up front and makes them ready for `evaluate`: unknown
 * types and fields, missing or malformed fields, invalid regular expressions and JSON Schemas are all reported at once
 * as VALIDATION_FAILED, whose `details` name each field (`evaluators.2.pattern`; `path` replaces `evaluators`, e.g.
 * `cases.0.expect`). Evaluators without a name are named by their type, repeats numbered (`contains`, `contains-2`);
 * two evaluators of one name are refused.
 */
export function parseEvaluators(list: unknown, path = 'evaluators'): Evaluator[] {
  if (!Array.isArray(list)) {
    throw new AppError('VALIDATION_FAILED', `${path}: must be a list of evaluators`, {
      details: [{ field: path, message: 'must be a list of evaluators' }],
    });
  }
  const problems: FieldProblem[] = [];
  const parsed = list.map((raw, index) => parseOne(raw, `${path}.${index}.`, problems));
  const names = new Map<string, number>();
  parsed.forEach((evaluator, index) => {
    if (evaluator?.name && names.has(evaluator.name)) {
      problems.push({
        field: `${path}.${index}.name`,
        message: `"${evaluator.name}" is the name of ${path}.${names.get(evaluator.name)} too: names must differ`,
      });
    }
    if (evaluator?.name) names.set(evaluator.name, index);
  });
  if (problems.length > 0) {
    const first = problems[0] as FieldProblem;
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
    throw new AppError('VALIDATION_FAILED', `${first.field}: ${first.message}${more}`, { details: problems });
  }
  const evaluators = parsed as Evaluator[];
  const counts = new Map<string, number>();
  for (const evaluator of evaluators) {
    if (evaluator.name !== '') continue;
    let count = (counts.get(evaluator.type) ?? 0) + 1;
    let name = count === 1 ? evaluator.type : `${evaluator.type}-${count}`;
    while (names.has(name)) name = `${evaluator.type}-${++count}`;
    counts.set(evaluator.type, count);
    names.set(name, -1);
    evaluator.name = name;
  }
  return evaluators;
}
