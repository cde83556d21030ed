import { type TSchema, Type } from 'typebox';
import { Compile } from 'typebox/compile';
import { describe, expect, it } from 'vitest';
import { validationProblems } from './schema-problems.js';

/** The problems the API would answer for `value` against `schema` (TypeBox's own issues, as Fastify gets them). */
function problems(schema: TSchema, value: unknown) {
  return validationProblems('body', [...Compile(schema).Errors(value)]);
}

describe('validationProblems', () => {
  const Body = Type.Object({
    status: Type.Optional(Type.Union([Type.Literal('running'), Type.Literal('completed'), Type.Literal('failed')])),
    rateLimit: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
    content: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
    format: Type.Optional(Type.Literal('flowloom.flow/v1')),
  });

  it('says what a union takes, once per field, instead of one line per alternative', () => {
    expect(problems(Body, { status: 'bogus' })).toEqual([
      { field: 'body.status', message: 'must be one of "running", "completed", "failed"' },
    ]);
    expect(problems(Body, { rateLimit: 0 })).toEqual([{ field: 'body.rateLimit', message: 'must be >= 1 or null' }]);
    expect(problems(Body, { content: 5 })).toEqual([{ field: 'body.content', message: 'must be string or array' }]);
  });

  it('reports what is wrong inside the alternative the value took, not the other alternatives', () => {
    const Message = Type.Object({
      content: Type.Union([Type.String(), Type.Array(Type.Object({ text: Type.String() })), Type.Null()]),
    });
    expect(problems(Message, { content: [{ text: 5 }] })).toEqual([
      { field: 'body.content.0.text', message: 'must be string' },
    ]);
  });

  it('names the value a constant field takes', () => {
    expect(problems(Body, { format: 'v2' })).toEqual([{ field: 'body.format', message: 'must be "flowloom.flow/v1"' }]);
  });

  it('keeps every field at fault, one line each', () => {
    expect(problems(Body, { status: 'bogus', rateLimit: 'x', format: 'v3' })).toEqual([
      { field: 'body.status', message: 'must be one of "running", "completed", "failed"' },
      { field: 'body.rateLimit', message: 'must be integer or null' },
      { field: 'body.format', message: 'must be "flowloom.flow/v1"' },
    ]);
  });
});
