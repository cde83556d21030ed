import { describe, expect, it } from 'vitest';
import { llm } from './llm.js';
import { fakeContext, scriptedLlm } from './shared/fake-context.js';

const schema = {
  type: 'object',
  properties: { sentiment: { enum: ['good', 'bad'] }, score: { type: 'number' } },
  required: ['sentiment'],
};
const params = {
  model: 'gpt-4o-mini',
  system: '',
  temperature: 0,
  maxTokens: undefined,
  stream: false,
  jsonSchema: schema,
};

describe('llm structured output', () => {
  it('asks for json_schema and outputs the parsed answer', async () => {
    const model = scriptedLlm([{ content: '{"sentiment":"good","score":0.9}' }]);
    const { ctx } = fakeContext({ services: { llm: model } });
    const out = await llm.execute({ inputs: { prompt: 'Great!' }, params }, ctx);
    expect(out.json).toEqual({ sentiment: 'good', score: 0.9 });
    expect(model.requests[0]?.request.responseFormat).toEqual({
      type: 'json_schema',
      json_schema: { name: 'output', schema },
    });
  });

  it('fails with OUTPUT_SCHEMA_MISMATCH on an answer that is not JSON or does not match', async () => {
    const model = scriptedLlm([{ content: 'not json' }, { content: '{"sentiment":"meh"}' }]);
    const { ctx } = fakeContext({ services: { llm: model } });
    await expect(llm.execute({ inputs: { prompt: 'x' }, params }, ctx)).rejects.toMatchObject({
      code: 'OUTPUT_SCHEMA_MISMATCH',
    });
    await expect(llm.execute({ inputs: { prompt: 'x' }, params }, ctx)).rejects.toMatchObject({
      code: 'OUTPUT_SCHEMA_MISMATCH',
      details: [{ path: '/sentiment' }],
    });
  });

  it('refuses an invalid schema before calling the model, and leaves plain calls unchanged', async () => {
    const model = scriptedLlm([{ content: 'plain' }]);
    const { ctx } = fakeContext({ services: { llm: model } });
    await expect(
      llm.execute({ inputs: { prompt: 'x' }, params: { ...params, jsonSchema: { type: 'wrong' } } }, ctx),
    ).rejects.toMatchObject({
      code: 'NODE_PARAM_INVALID',
    });
    expect(model.requests).toHaveLength(0);
    const out = await llm.execute({ inputs: { prompt: 'x' }, params: { ...params, jsonSchema: undefined } }, ctx);
    expect(out).toEqual({
      text: 'plain',
      messages: [
        { role: 'user', content: 'x' },
        { role: 'assistant', content: 'plain' },
      ],
    });
    expect(model.requests[0]?.request.responseFormat).toBeUndefined();
  });
});
