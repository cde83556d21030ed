import { defineNode } from '../define.js';
import { AppError } from '../spec/index.js';
import { compileSchema, schemaProblems } from './shared/json-schema.js';
import {
  chatMessages,
  maxTokensParam,
  modelParam,
  providerOf,
  providerParam,
  systemParam,
  temperatureParam,
} from './shared/model.js';

export const llm = defineNode({
  spec: {
    type: 'llm',
    version: 1,
    title: 'LLM',
    category: 'models',
    keywords: ['openai', 'gpt', 'chat', 'model', 'completion', 'ai', 'generate', 'structured output'],
    description: 'Calls a chat model with a prompt or a conversation and streams its answer.',
    streams: true,
    inputs: [
      { name: 'prompt', dataType: 'text', description: 'Sent as the last user message.' },
      { name: 'messages', dataType: 'messages', description: 'Conversation so far; the prompt, if any, is appended.' },
    ],
    outputs: [
      { name: 'text', dataType: 'text', description: 'The answer.' },
      { name: 'messages', dataType: 'messages', description: 'The conversation with the answer appended.' },
      { name: 'json', dataType: 'json', description: 'With a jsonSchema: the answer parsed and checked against it.' },
    ],
    params: [
      providerParam,
      modelParam,
      systemParam,
      temperatureParam,
      maxTokensParam,
      { name: 'stream', kind: 'boolean', default: true },
      {
        name: 'jsonSchema',
        kind: 'json',
        description:
          'A JSON Schema: the model must answer in JSON that matches it (structured output, on the json output).',
      },
    ],
    defaults: { retries: 2, retryBackoffMs: 500 },
  },
  async execute({ inputs, params }, ctx) {
    const messages = chatMessages('llm', params.system, inputs);
    const schema = params.jsonSchema ?? undefined;
    const validate = schema === undefined ? undefined : compileSchema(schema, 'jsonSchema');
    const responseFormat =
      schema === undefined ? undefined : { type: 'json_schema', json_schema: { name: 'output', schema } };
    const result = await ctx.services.llm.chat(
      {
        ...providerOf(params.provider),
        model: params.model,
        messages,
        temperature: params.temperature,
        maxTokens: params.maxTokens,
        ...(responseFormat && { responseFormat }),
      },
      { signal: ctx.signal, onDelta: params.stream ? (text) => ctx.delta(text) : undefined },
    );
    ctx.addUsage(result.usage, result.costUsd, result.model);
    const text = result.message.content ?? '';
    const conversation = [...messages.filter((m) => m.role !== 'system'), { role: 'assistant', content: text }];
    if (!validate) return { text, messages: conversation };
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new AppError(
        'OUTPUT_SCHEMA_MISMATCH',
        `the model's answer is not JSON: ${JSON.stringify(text.slice(0, 200))}`,
      );
    }
    const problems = schemaProblems(validate, parsed);
    if (problems.length > 0) {
      throw new AppError(
        'OUTPUT_SCHEMA_MISMATCH',
        `the model's answer does not match jsonSchema: ${problems[0]?.message}`,
        {
          details: problems,
        },
      );
    }
    return { text, messages: conversation, json: parsed };
  },
});
