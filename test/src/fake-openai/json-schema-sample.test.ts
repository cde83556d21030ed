import OpenAI from 'openai';
import { afterAll, describe, expect, it } from 'vitest';
import { type JsonSchema, sampleFromSchema } from './json-schema-sample.js';
import { startFakeOpenAI } from './server.js';

const fake = await startFakeOpenAI();
const client = new OpenAI({ baseURL: fake.url, apiKey: 'test', maxRetries: 0 });
afterAll(() => fake.close());

const judgeFormat = {
  type: 'json_schema' as const,
  json_schema: {
    name: 'judgement',
    strict: true,
    schema: {
      type: 'object',
      properties: {
        score: { type: 'number', minimum: 0, maximum: 1 },
        reasoning: { type: 'string', maxLength: 200 },
      },
      required: ['score', 'reasoning'],
      additionalProperties: false,
    },
  },
};

describe('structured output', () => {
  it("answers a judge's {score, reasoning} schema with a valid instance, or the scripted reply", async () => {
    const judge = (content: string) =>
      client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [
          { role: 'system', content: 'Grade the answer against the expected one.' },
          { role: 'user', content },
        ],
        response_format: judgeFormat,
      });
    const graded = await judge('answer: Paris; expected: Paris');
    expect(JSON.parse(graded.choices[0]?.message.content ?? '')).toEqual({
      score: 0.5,
      reasoning: 'answer: Paris; expected: Paris',
    });
    const scripted = await judge('[[reply:{"score":1,"reasoning":"exact match"}]]');
    expect(JSON.parse(scripted.choices[0]?.message.content ?? '')).toEqual({ score: 1, reasoning: 'exact match' });
    // A reasoning longer than maxLength would not fit: `ok` does.
    const long = await judge('word '.repeat(60));
    expect(JSON.parse(long.choices[0]?.message.content ?? '')).toEqual({ score: 0.5, reasoning: 'ok' });
  });
});

describe('sampleFromSchema', () => {
  const sample = (schema: JsonSchema, text = 'some words here') => sampleFromSchema(schema, text);

  it('puts numbers at their minimum, 0.5 within [0, 1], else the word count under the maximum', () => {
    expect(sample({ type: 'number', minimum: 0, maximum: 1 })).toBe(0.5);
    expect(sample({ type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 })).toBe(0.5);
    expect(sample({ type: 'number', minimum: 0.6, maximum: 1 })).toBe(0.6);
    expect(sample({ type: 'integer', minimum: 1, maximum: 5 })).toBe(1);
    expect(sample({ type: 'integer', exclusiveMinimum: 0 })).toBe(1);
    expect(sample({ type: 'integer', minimum: 0, exclusiveMinimum: true })).toBe(1);
    expect(sample({ type: 'number', exclusiveMinimum: 2, maximum: 4 })).toBe(3);
    expect(sample({ type: 'integer', minimum: 0.5 })).toBe(1);
    expect(sample({ type: 'integer', minimum: 1, multipleOf: 5 })).toBe(5);
    expect(sample({ type: 'integer' })).toBe(3);
    expect(sample({ type: 'integer', maximum: 2 })).toBe(2);
    expect(sample({ type: 'integer', exclusiveMaximum: 2 })).toBe(1);
  });

  it('uses the text for strings when it fits, else ok, else ok stretched to the bounds', () => {
    expect(sample({ type: 'string' })).toBe('some words here');
    expect(sample({ type: 'string' }, '')).toBe('ok');
    expect(sample({ type: 'string', maxLength: 5 })).toBe('ok');
    expect(sample({ type: 'string', pattern: '^[a-z]+$' })).toBe('ok');
    expect(sample({ type: 'string', pattern: '^some' })).toBe('some words here');
    expect(sample({ type: 'string', minLength: 20, maxLength: 25 })).toBe('okkkkkkkkkkkkkkkkkkk');
    expect(sample({ type: 'string', maxLength: 1 })).toBe('o');
    expect(sample({ type: 'string', format: 'date-time' })).toBe('2024-01-01T00:00:00Z');
    expect(sample({ type: 'string', format: 'email' })).toBe('ok@example.com');
  });

  it('keeps const, the first enum value, required properties only when listed, and array bounds', () => {
    expect(sample({ const: 'fixed' })).toBe('fixed');
    expect(sample({ type: 'string', enum: ['pass', 'fail'] })).toBe('pass');
    expect(
      sample({
        type: 'object',
        properties: { a: { type: 'boolean' }, b: { type: 'null' }, c: { type: 'string' } },
        required: ['a', 'b'],
      }),
    ).toEqual({ a: true, b: null });
    expect(sample({ type: 'object', properties: { a: { type: 'boolean' } } })).toEqual({ a: true });
    expect(sample({ type: 'array', items: { type: 'integer', minimum: 7 } })).toEqual([7]);
    expect(sample({ type: 'array', items: { type: 'boolean' }, minItems: 3 })).toEqual([true, true, true]);
    expect(sample({ type: 'array', items: { type: 'boolean' }, maxItems: 0 })).toEqual([]);
    expect(sample({ type: 'array', prefixItems: [{ type: 'integer', minimum: 2 }, { const: 'x' }] })).toEqual([2, 'x']);
  });

  it('follows $ref, allOf, anyOf and nullable types, and ends recursive schemas', () => {
    const tree: JsonSchema = {
      $ref: '#/$defs/node',
      $defs: {
        node: {
          type: 'object',
          properties: {
            name: { type: 'string', maxLength: 2 },
            children: { type: 'array', items: { $ref: '#/$defs/node' } },
          },
          required: ['name', 'children'],
        },
      },
    };
    let depth = 0;
    for (let node = sample(tree) as { children: unknown[] }; node.children.length > 0; depth++) {
      node = node.children[0] as { children: unknown[] };
    }
    expect(depth).toBeGreaterThan(0);
    expect(depth).toBeLessThan(10);
    expect(sample({ definitions: { n: { type: 'integer', minimum: 4 } }, $ref: '#/definitions/n' })).toBe(4);
    expect(sample({ anyOf: [{ type: 'null' }, { type: 'integer', minimum: 9 }] })).toBe(9);
    expect(sample({ type: ['null', 'boolean'] })).toBe(true);
    expect(
      sample({
        allOf: [
          { type: 'object', properties: { a: { type: 'integer', minimum: 1 } }, required: ['a'] },
          { properties: { b: { const: 2 } }, required: ['b'] },
        ],
      }),
    ).toEqual({ a: 1, b: 2 });
  });
});
