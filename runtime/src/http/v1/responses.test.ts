import { readFileSync } from 'node:fs';
import { createOpenAI } from '@ai-sdk/openai';
import type { FlowFile } from '@flowloom/nodes';
import { type FakeOpenAI, startFakeOpenAI } from '@flowloom/test/fake-openai';
import { generateText, streamText } from 'ai';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chatFlow, flowOf, startTestApp, type TestApp } from '../../testing/fixtures.js';

// OpenAI's Responses API on published chat flows (docs/contracts.md §3), spoken to by the official `openai` SDK and
// by the Vercel AI SDK's default OpenAI provider (which uses the Responses API), against a real server.

let fake: FakeOpenAI;
let t: TestApp;
let key: string;
let baseURL: string;
let client: OpenAI;

/** question + optional history → llm → answer (the repository's `flows/chat-history.flow.json`). */
function historyFlow(): FlowFile {
  const file = new URL('../../../../flows/chat-history.flow.json', import.meta.url);
  return { ...(JSON.parse(readFileSync(file, 'utf8')) as FlowFile), id: 'history' };
}

/** A flow with chat memory and no history input: the memory node appends each question and answers the whole log. */
function memoryFlow(): FlowFile {
  return flowOf(
    'remember',
    [
      ['question', 'input'],
      ['memory', 'memory', { mode: 'append', window: 10 }],
      ['text', 'json', { mode: 'stringify' }],
      ['answer', 'output'],
    ],
    ['question.value→memory.text', 'memory.messages→text.value', 'text.text→answer.value'],
  );
}

async function post(url: string, payload: unknown, headers: Record<string, string> = {}) {
  return t.app.inject({ method: 'POST', url, payload: payload as object, headers });
}

beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => fake.close());
beforeEach(async () => {
  fake.reset();
  t = await startTestApp({ openai: { baseURL: fake.url, apiKey: 'test' } });
  for (const flow of [chatFlow(), historyFlow()]) {
    expect((await post('/api/flows', flow)).statusCode).toBe(201);
    expect((await post(`/api/flows/${flow.id}/publish`, {})).statusCode).toBe(201);
  }
  const created = await post('/api/keys', { name: 'all' });
  key = created.json().key;
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  baseURL = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}/api/v1`;
  client = new OpenAI({ baseURL, apiKey: key, maxRetries: 0 });
});
afterEach(async () => t.close());

describe('POST /api/v1/responses through the openai SDK', () => {
  it('answers text input with a Response: output message, output_text, usage, the run behind it', async () => {
    const response = await client.responses.create({ model: 'chat', input: 'hello there' });
    expect(response).toMatchObject({ object: 'response', status: 'completed', model: 'chat', error: null });
    expect(response.id).toMatch(/^resp_r_/);
    expect(response.output_text).toBe('echo: Q: hello there');
    expect(response.output).toEqual([
      {
        id: response.id.replace('resp_', 'msg_'),
        type: 'message',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: 'echo: Q: hello there', annotations: [], logprobs: [] }],
      },
    ]);
    expect(response.usage?.output_tokens).toBeGreaterThan(0);
    expect(response.usage?.total_tokens).toBe(
      (response.usage?.input_tokens ?? 0) + (response.usage?.output_tokens ?? 0),
    );
    const run = await t.app.runtime.store.getRun(response.id.slice('resp_'.length));
    expect(run).toMatchObject({ flowId: 'chat', status: 'completed', inputs: { question: 'hello there' } });
  });

  it('streams the Responses event types in order, with the text as deltas and usage at the end', async () => {
    const stream = await client.responses.create({ model: 'chat', input: 'one two three four', stream: true });
    const types: string[] = [];
    const sequence: number[] = [];
    let text = '';
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      types.push(event.type);
      sequence.push(event.sequence_number);
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    expect(types[0]).toBe('response.created');
    expect(types.slice(1, 4)).toEqual([
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
    ]);
    expect(types.filter((type) => type === 'response.output_text.delta').length).toBeGreaterThanOrEqual(1);
    expect(types.slice(-4)).toEqual([
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(sequence).toEqual(sequence.map((_, i) => i));
    expect(text).toBe('echo: Q: one two three four');
    expect(completed?.output_text ?? completed?.output).toBeTruthy();
    expect(completed?.usage?.output_tokens).toBeGreaterThan(0);
    expect(completed?.status).toBe('completed');
  });

  it('maps messages and instructions onto the history input; previous_response_id continues the conversation', async () => {
    const first = await client.responses.create({
      model: 'history',
      instructions: 'be brief',
      input: [
        { role: 'user', content: 'my name is Ada' },
        { role: 'assistant', content: [{ type: 'output_text', text: 'noted', annotations: [] }] },
        { role: 'user', content: [{ type: 'input_text', text: 'hello' }] },
      ] as OpenAI.Responses.ResponseInput,
    });
    expect(first.output_text).toBe('echo: hello');
    expect(fake.chatRequests().at(-1)?.messages).toEqual([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'my name is Ada' },
      { role: 'assistant', content: 'noted' },
      { role: 'user', content: 'hello' },
    ]);
    const second = await client.responses.create({
      model: 'history',
      previous_response_id: first.id,
      input: 'what is my name?',
    });
    expect(second.previous_response_id).toBe(first.id);
    expect(fake.chatRequests().at(-1)?.messages).toEqual([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'my name is Ada' },
      { role: 'assistant', content: 'noted' },
      { role: 'user', content: 'hello' },
      { role: 'assistant', content: 'echo: hello' },
      { role: 'user', content: 'what is my name?' },
    ]);
    // New instructions replace the ones the conversation started with.
    await client.responses.create({
      model: 'history',
      previous_response_id: second.id,
      instructions: 'be formal',
      input: 'and again?',
    });
    const third = fake.chatRequests().at(-1)?.messages as { role: string; content: string }[];
    expect(third[0]).toEqual({ role: 'system', content: 'be formal' });
    expect(third.filter((m) => m.role === 'system')).toHaveLength(1);
    expect(third.at(-1)).toEqual({ role: 'user', content: 'and again?' });
  });

  it('keeps the chat memory session across previous_response_id, and only for the key that made it', async () => {
    await post('/api/flows', memoryFlow());
    await post('/api/flows/remember/publish', {});
    const first = await client.responses.create({ model: 'remember', input: 'first' });
    const second = await client.responses.create({
      model: 'remember',
      input: 'second',
      previous_response_id: first.id,
    });
    expect(JSON.parse(second.output_text).map((m: { content: string }) => m.content)).toEqual(['first', 'second']);
    // A new conversation starts a new session.
    const fresh = await client.responses.create({ model: 'remember', input: 'alone' });
    expect(JSON.parse(fresh.output_text)).toHaveLength(1);

    const otherKey = (await post('/api/keys', { name: 'other' })).json().key;
    const other = new OpenAI({ baseURL, apiKey: otherKey, maxRetries: 0 });
    const stolen = other.responses.create({ model: 'remember', input: 'x', previous_response_id: first.id });
    await expect(stolen).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(stolen).rejects.toMatchObject({ param: 'previous_response_id' });
    await expect(
      client.responses.create({ model: 'remember', input: 'x', previous_response_id: 'resp_nope' }),
    ).rejects.toMatchObject({ status: 404, param: 'previous_response_id' });
  });

  it('refuses unsupported input types with a 400 naming the item and the type; nothing runs', async () => {
    const before = (await t.app.runtime.store.listRuns({ limit: 500 })).length;
    const image = client.responses.create({
      model: 'chat',
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'what is this?' },
            { type: 'input_image', image_url: 'https://example.com/x.png', detail: 'auto' },
          ],
        },
      ],
    });
    await expect(image).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(image).rejects.toMatchObject({
      param: 'input.0.content.1.type',
      message: expect.stringContaining('"input_image"'),
    });
    const toolOutput = client.responses.create({
      model: 'chat',
      input: [{ type: 'function_call_output', call_id: 'c1', output: '42' }],
    });
    await expect(toolOutput).rejects.toMatchObject({
      status: 400,
      param: 'input.0.type',
      message: expect.stringContaining('"function_call_output"'),
    });
    await expect(
      client.responses.create({ model: 'chat', input: [{ role: 'assistant', content: 'only me' }] }),
    ).rejects.toMatchObject({ status: 400, param: 'input' });
    await expect(client.responses.create({ model: 'nope', input: 'x' })).rejects.toMatchObject({
      status: 404,
      code: 'FLOW_NOT_FOUND',
    });
    expect((await t.app.runtime.store.listRuns({ limit: 500 })).length).toBe(before);
  });

  it('reports a failing flow: a 502 when not streamed, response.failed when streamed', async () => {
    await expect(client.responses.create({ model: 'chat', input: '[[error:400]]' })).rejects.toBeInstanceOf(
      OpenAI.APIError,
    );
    const stream = await client.responses.create({ model: 'chat', input: '[[error:400]]', stream: true });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const failed = events.at(-1);
    expect(failed?.type).toBe('response.failed');
    if (failed?.type !== 'response.failed') throw new Error('unreachable');
    expect(failed.response.status).toBe('failed');
    expect(failed.response.error?.message).toMatch(/run r_.* failed/);
  });
});

describe('GET /api/v1/responses/:id through the openai SDK', () => {
  it('retrieves a response with the key that made it: completed with its answer, or failed with the error', async () => {
    const made = await client.responses.create({ model: 'chat', input: 'keep this' });
    const got = await client.responses.retrieve(made.id);
    expect(got).toMatchObject({ id: made.id, object: 'response', status: 'completed', model: 'chat', error: null });
    expect(got.output).toEqual(made.output);
    expect(got.usage).toEqual(made.usage);
    expect(Math.abs(got.created_at - made.created_at)).toBeLessThanOrEqual(1);
    expect(got.completed_at).toBeGreaterThanOrEqual(got.created_at);

    const stream = await client.responses.create({ model: 'chat', input: '[[error:400]]', stream: true });
    let failedId = '';
    for await (const event of stream) if (event.type === 'response.created') failedId = event.response.id;
    const failed = await client.responses.retrieve(failedId);
    expect(failed).toMatchObject({ id: failedId, status: 'failed', output: [] });
    expect(failed.error?.message).toMatch(/run r_.* failed/);
  });

  it("is a 404 for another key's response, a run that is not a response, and an unknown id", async () => {
    const made = await client.responses.create({ model: 'chat', input: 'mine' });
    const otherKey = (await post('/api/keys', { name: 'other' })).json().key;
    const other = new OpenAI({ baseURL, apiKey: otherKey, maxRetries: 0 });
    await expect(other.responses.retrieve(made.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const chat = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] });
    const notAResponse = `resp_${chat.id.replace('chatcmpl-', '')}`;
    for (const id of [notAResponse, 'resp_r_nope', 'nope']) {
      const err = await client.responses.retrieve(id).catch((e: unknown) => e);
      expect(err, id).toBeInstanceOf(OpenAI.NotFoundError);
      expect((err as InstanceType<typeof OpenAI.NotFoundError>).message, id).toContain(id);
    }
    // Without a key: 401.
    const anonymous = await fetch(`${baseURL}/responses/${made.id}`);
    expect(anonymous.status).toBe(401);
  });
});

describe("POST /api/v1/responses through the AI SDK's default OpenAI provider", () => {
  it('generates and streams text, and continues with previousResponseId', async () => {
    const openai = createOpenAI({ baseURL, apiKey: key });
    const generated = await generateText({
      model: openai('history'),
      system: 'be brief',
      messages: [{ role: 'user', content: 'hello ai sdk' }],
      maxRetries: 0,
    });
    expect(generated.text).toBe('echo: hello ai sdk');
    expect(generated.usage.outputTokens).toBeGreaterThan(0);
    expect(fake.chatRequests().at(-1)?.messages).toEqual([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'hello ai sdk' },
    ]);
    const responseId = generated.providerMetadata?.openai?.responseId;
    expect(responseId).toMatch(/^resp_/);

    const streamed = streamText({
      model: openai('history'),
      prompt: 'and now?',
      providerOptions: { openai: { previousResponseId: responseId as string } },
      maxRetries: 0,
    });
    let text = '';
    for await (const chunk of streamed.textStream) text += chunk;
    expect(text).toBe('echo: and now?');
    expect((await streamed.usage).outputTokens).toBeGreaterThan(0);
    expect(fake.chatRequests().at(-1)?.messages).toEqual([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'hello ai sdk' },
      { role: 'assistant', content: 'echo: hello ai sdk' },
      { role: 'user', content: 'and now?' },
    ]);
  });
});
