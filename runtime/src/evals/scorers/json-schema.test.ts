import { describe, expect, it } from 'vitest';
import { evaluateOne } from '../evaluate.js';
import { parseEvaluators } from '../parse-evaluators.js';
import type { EvalServices } from '../types.js';

const schema = {
  type: 'object',
  properties: { name: { type: 'string' }, email: { type: 'string', format: 'email' } },
  required: ['name', 'email'],
};
const verdict = (output: unknown, spec: Record<string, unknown> = { type: 'json_schema', schema }) =>
  evaluateOne(
    parseEvaluators([spec])[0]!,
    { input: {}, outputs: { json: output } },
    {} as EvalServices,
    new AbortController().signal,
  );

describe('json_schema', () => {
  it('passes a JSON value or a JSON text that conforms, formats included', async () => {
    expect(await verdict({ name: 'Ada', email: 'ada@example.com' })).toEqual({ score: 1, pass: true });
    expect((await verdict('{"name": "Ada", "email": "ada@example.com"}')).pass).toBe(true);
  });

  it('fails what does not conform, saying why', async () => {
    const missing = await verdict({ name: 'Ada' });
    expect(missing).toMatchObject({ score: 0, pass: false });
    expect(missing.reason).toContain("must have required property 'email'");
    expect((await verdict({ name: 'Ada', email: 'not an address' })).reason).toContain('/email must match format');
    expect((await verdict('name: Ada')).reason).toContain('(root) must be object');
  });

  it('checks text that is not JSON as the string it is', async () => {
    expect((await verdict('plain words', { type: 'json_schema', schema: { type: 'string', minLength: 3 } })).pass).toBe(
      true,
    );
  });

  it('compiles a schema used again (an $id included) once', () => {
    const withId = { $id: 'https://example.com/person.json', type: 'object' };
    const [first] = parseEvaluators([{ type: 'json_schema', schema: withId }]);
    const [second] = parseEvaluators([{ type: 'json_schema', schema: { type: 'object', $id: withId.$id } }]);
    expect(first?.type === 'json_schema' && second?.type === 'json_schema' && first.validate === second.validate).toBe(
      true,
    );
  });
});
