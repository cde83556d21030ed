import { AppError } from '@flowloom/nodes';
import { describe, expect, it } from 'vitest';
import { parseEvaluators } from './parse-evaluators.js';
import { DEFAULT_THRESHOLDS, EVALUATOR_TYPES } from './types.js';

function problemsOf(list: unknown, path?: string): { field: string; message: string }[] {
  try {
    parseEvaluators(list, path);
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('VALIDATION_FAILED');
    return (err as AppError).details as { field: string; message: string }[];
  }
  throw new Error('parseEvaluators accepted the list');
}

const fields = (list: unknown, path?: string) => problemsOf(list, path).map((problem) => problem.field);

describe('parseEvaluators', () => {
  it('accepts one of every type with its fields, and settles names and default thresholds', () => {
    const evaluators = parseEvaluators([
      { type: 'exact' },
      { type: 'contains', expected: 'x' },
      { type: 'regex', pattern: '^a+$', flags: 'i' },
      { type: 'json_schema', schema: { type: 'object', required: ['a'] } },
      { type: 'bleu', smoothing: 'floor' },
      { type: 'rouge', variant: 'rougeL', measure: 'r' },
      { type: 'similarity', embedder: 'openai:text-embedding-3-small' },
      { type: 'llm_judge', rubric: 'Is it polite?', model: 'gpt-4o' },
      { type: 'latency', maxMs: 2000 },
      { type: 'cost', maxUsd: 0.01 },
      { type: 'flow', flowId: 'grader', output: 'answer', threshold: 0.9, name: 'graded' },
    ]);
    expect(evaluators.map((e) => e.type)).toEqual([...EVALUATOR_TYPES]);
    expect(evaluators.map((e) => e.name)).toEqual([...EVALUATOR_TYPES.slice(0, -1), 'graded']);
    expect(evaluators.map((e) => e.threshold)).toEqual([
      ...EVALUATOR_TYPES.slice(0, -1).map((type) => DEFAULT_THRESHOLDS[type]),
      0.9,
    ]);
    const regex = evaluators[2];
    expect(regex?.type === 'regex' && regex.regex.flags).toBe('i');
    const schema = evaluators[3];
    expect(schema?.type === 'json_schema' && schema.validate({ a: 1 })).toBe(true);
  });

  it('numbers repeated types and keeps clear of names given explicitly', () => {
    const names = parseEvaluators([
      { type: 'contains' },
      { type: 'contains', name: 'contains-2' },
      { type: 'contains' },
      { type: 'exact' },
    ]).map((e) => e.name);
    expect(names).toEqual(['contains', 'contains-2', 'contains-3', 'exact']);
  });

  it('refuses an unknown type, naming evaluators.N.type and the types there are', () => {
    const [problem] = problemsOf([{ type: 'exact' }, { type: 'levenshtein' }]);
    expect(problem?.field).toBe('evaluators.1.type');
    expect(problem?.message).toContain('json_schema');
    expect(fields([{}])).toEqual(['evaluators.0.type']);
    expect(fields(['exact'])).toEqual(['evaluators.0']);
  });

  it('refuses an invalid regular expression or flags', () => {
    expect(fields([{ type: 'regex', pattern: '(unclosed' }])).toEqual(['evaluators.0.pattern']);
    expect(fields([{ type: 'regex', pattern: 'a', flags: 'ii' }])).toEqual(['evaluators.0.flags']);
    expect(fields([{ type: 'regex', pattern: 'a', flags: 'x' }])).toEqual(['evaluators.0.flags']);
  });

  it('refuses an invalid JSON Schema', () => {
    expect(fields([{ type: 'json_schema', schema: { type: 'strng' } }])).toEqual(['evaluators.0.schema']);
    expect(fields([{ type: 'json_schema', schema: 'object' }])).toEqual(['evaluators.0.schema']);
  });

  it('refuses missing, unknown and malformed fields, every one at once', () => {
    expect(
      fields([
        { type: 'regex' },
        { type: 'rouge', variant: 'rouge3' },
        { type: 'llm_judge', rubric: ' ' },
        { type: 'latency', maxMs: 0 },
        { type: 'cost', maxUsd: -1 },
        { type: 'flow' },
        { type: 'exact', treshold: 0.5 },
        { type: 'bleu', threshold: 1.5, smoothing: 'none' },
        { type: 'similarity', embedder: 'bert' },
        { type: 'contains', output: 3 },
      ]),
    ).toEqual([
      'evaluators.0.pattern',
      'evaluators.1.variant',
      'evaluators.2.rubric',
      'evaluators.3.maxMs',
      'evaluators.4.maxUsd',
      'evaluators.5.flowId',
      'evaluators.6.treshold',
      'evaluators.7.smoothing',
      'evaluators.7.threshold',
      'evaluators.8.embedder',
      'evaluators.9.output',
    ]);
  });

  it('refuses two evaluators of one name, and a list that is not a list', () => {
    expect(
      fields([
        { type: 'exact', name: 'a' },
        { type: 'contains', name: 'a' },
      ]),
    ).toEqual(['evaluators.1.name']);
    expect(fields({ type: 'exact' })).toEqual(['evaluators']);
  });

  it('names fields under the path it is given, and says the first problem in its message', () => {
    expect(fields([{ type: 'regex', pattern: '[' }], 'cases.2.expect')).toEqual(['cases.2.expect.0.pattern']);
    let message = '';
    try {
      parseEvaluators([{ type: 'nope' }, { type: 'regex' }]);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^evaluators\.0\.type: must be one of .* \(and 1 more\)$/);
  });
});
