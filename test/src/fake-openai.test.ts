import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOpenAI, fakeEmbedding, parseDirectives, startFakeOpenAI, stripDirectives } from './fake-openai.js';

let fake: FakeOpenAI;
let client: OpenAI;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  client = new OpenAI({ baseURL: fake.url, apiKey: 'test', maxRetries: 0 });
});
afterEach(() => fake.reset());
afterAll(() => fake.close());

const user = (content: string) => [{ role: 'user' as const, content }];

describe('directive parsing', () => {
  it('reads every directive kind', () => {
    const found = parseDirectives(
      'hi [[latency:300]] [[chunk-delay:5]] [[error:429x2]] [[retry-after:40]] [[tool:get_weather {"city":"Paris"}]] [[tool:now]] [[reply:a [b] c]]',
    );
    expect(found).toEqual({
      latencyMs: 300,
      chunkDelayMs: 5,
      error: { status: 429, times: 2, retryAfterMs: 40 },
      retryAfterMs: 40,
      toolCalls: [{ name: 'get_weather', arguments: '{"city":"Paris"}' }, { name: 'now' }],
      reply: 'a [b] c',
      hang: false,
      headers: [],
    });
    expect(parseDirectives('[[error:drop]] [[hang]]')).toMatchObject({ error: { status: 'drop' }, hang: true });
    expect(stripDirectives('  say  [[latency:3]] hello\n world ')).toBe('say hello world');
  });

  it('reads the broken-provider and timing directives, ignoring unknown garbage kinds', () => {
    expect(parseDirectives('[[garbage:json-sse]] [[huge:2000]] [[first-token-delay:200]]')).toMatchObject({
      garbage: 'json-sse',
      hugeBytes: 2000,
      firstTokenDelayMs: 200,
    });
    expect(parseDirectives('[[garbage:nonsense]]').garbage).toBeUndefined();
    expect(parseDirectives('[[encoding:br]] [[header:x-note café ok]]')).toMatchObject({
      encoding: 'br',
      headers: [['x-note', 'café ok']],
    });
    expect(parseDirectives('[[encoding:zip]]').encoding).toBeUndefined();
    expect(stripDirectives('a [[garbage:html]] b')).toBe('a b');
  });
});

describe('chat completions', () => {
  it('echoes the last user message with word-count usage', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hello there [[latency:1]]' },
      ],
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]?.message.content).toBe('echo: hello there');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    // prompt: "be brief" (2) + "hello there [[latency:1]]" (3); completion: "echo: hello there" (3)
    expect(completion.usage).toEqual({ prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 });
    expect(fake.chatRequests()[0]?.model).toBe('gpt-4o-mini');
    expect(fake.requests[0]?.headers.authorization).toBe('Bearer test');
  });

  it('streams chunks that concatenate to the answer, with usage last', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: user('[[reply:one two  three]]'),
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let deltas = 0;
    let finish: string | null = null;
    let usage: unknown = null;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      const choice = chunk.choices[0];
      if (choice?.delta.content) {
        text += choice.delta.content;
        deltas++;
      }
      if (choice?.finish_reason) finish = choice.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('one two  three');
    expect(deltas).toBe(3);
    expect(finish).toBe('stop');
    // Prompt tokens count the raw message, directive included ("[[reply:one", "two", "three]]").
    expect(usage).toEqual({ prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 });
  });

  it('omits usage in a stream unless asked', async () => {
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages: user('x'), stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.some((chunk) => chunk.usage)).toBe(false);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('echo: x');
  });

  it('answers parallel tool calls from directives, plain and streamed', async () => {
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'get_weather',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      },
      {
        type: 'function' as const,
        function: { name: 'add', parameters: { type: 'object', properties: { a: { type: 'number' } } } },
      },
    ];
    const content = 'weather? [[tool:get_weather {"city":"Paris"}]] [[tool:add]]';
    const plain = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: user(content), tools });
    const message = plain.choices[0]?.message;
    expect(plain.choices[0]?.finish_reason).toBe('tool_calls');
    expect(message?.content).toBeNull();
    const calls = (message?.tool_calls ?? []).map((call) => (call.type === 'function' ? call.function : null));
    expect(calls).toEqual([
      { name: 'get_weather', arguments: '{"city":"Paris"}' },
      { name: 'add', arguments: '{"a":1}' },
    ]);

    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: user(content),
      tools,
      stream: true,
    });
    const acc: { id?: string; name: string; arguments: string }[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      for (const call of chunk.choices[0]?.delta.tool_calls ?? []) {
        const slot = acc[call.index] ?? { name: '', arguments: '' };
        acc[call.index] = slot;
        if (call.id) slot.id = call.id;
        slot.name += call.function?.name ?? '';
        slot.arguments += call.function?.arguments ?? '';
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe('tool_calls');
    expect(acc.map(({ name, arguments: args }) => ({ name, arguments: args }))).toEqual(calls);
    expect(acc.every((call) => call.id?.startsWith('call_'))).toBe(true);
  });

  it('answers from tool results once they are back, so agent loops end', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'user', content: '[[tool:get_weather {"city":"Paris"}]]' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'sunny, 21C' },
      ],
    });
    expect(completion.choices[0]?.message.content).toBe('tool results: sunny, 21C');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
  });

  it('answers json_schema requests with JSON matching the schema', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: user('classify this'),
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'label',
          schema: {
            type: 'object',
            properties: {
              label: { type: 'string', enum: ['spam', 'ham'] },
              summary: { type: 'string' },
              score: { type: 'number' },
              tags: { type: 'array', items: { type: 'string' } },
            },
          },
        },
      },
    });
    expect(JSON.parse(completion.choices[0]?.message.content ?? '')).toEqual({
      label: 'spam',
      summary: 'classify this',
      score: 2,
      tags: ['classify this'],
    });
  });

  it('serves the programmatic queue in order, with tool calls and text', async () => {
    fake.enqueue({ text: 'first' }, { toolCalls: [{ name: 'lookup', arguments: { q: 1 }, id: 'call_x' }] });
    const first = await client.chat.completions.create({ model: 'm', messages: user('a') });
    const second = await client.chat.completions.create({ model: 'm', messages: user('b') });
    const third = await client.chat.completions.create({ model: 'm', messages: user('c') });
    expect(first.choices[0]?.message.content).toBe('first');
    expect(second.choices[0]?.message.tool_calls?.[0]).toEqual({
      id: 'call_x',
      type: 'function',
      function: { name: 'lookup', arguments: '{"q":1}' },
    });
    expect(third.choices[0]?.message.content).toBe('echo: c');
  });
});

describe('errors', () => {
  it('fails N times from a queued error, then answers (retry)', async () => {
    fake.enqueue({ error: { status: 429, times: 2, retryAfterMs: 1500 }, text: 'finally' });
    const attempt = () => client.chat.completions.create({ model: 'm', messages: user('q') });
    for (let i = 0; i < 2; i++) {
      const err = await attempt().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.RateLimitError);
      const rateLimit = err as InstanceType<typeof OpenAI.RateLimitError>;
      expect(rateLimit.status).toBe(429);
      expect(rateLimit.code).toBe('rate_limit_exceeded');
      expect(rateLimit.headers?.get('retry-after')).toBe('2');
      expect(rateLimit.headers?.get('retry-after-ms')).toBe('1500');
    }
    expect((await attempt()).choices[0]?.message.content).toBe('finally');
  });

  it('fails N times from a directive, counted per message, then answers', async () => {
    const attempt = () => client.chat.completions.create({ model: 'm', messages: user('retry me [[error:500x1]]') });
    const err = await attempt().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect((err as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ type: 'server_error', param: null });
    expect((await attempt()).choices[0]?.message.content).toBe('echo: retry me');
  });

  it('answers 401 in OpenAI shape when the key is wrong', async () => {
    const guarded = await startFakeOpenAI({ apiKey: 'right' });
    try {
      const wrong = new OpenAI({ baseURL: guarded.url, apiKey: 'wrong', maxRetries: 0 });
      const err = await wrong.models.list().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
      expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('invalid_api_key');
      const right = new OpenAI({ baseURL: guarded.url, apiKey: 'right', maxRetries: 0 });
      expect((await right.models.list()).data.length).toBeGreaterThan(0);
    } finally {
      await guarded.close();
    }
  });

  it('closes the connection on drop and mid-stream on cut', async () => {
    const dropped = await client.chat.completions
      .create({ model: 'm', messages: user('[[error:drop]]') })
      .catch((e: unknown) => e);
    expect(dropped).toBeInstanceOf(OpenAI.APIConnectionError);

    const stream = await client.chat.completions.create({
      model: 'm',
      messages: user('[[reply:a b c d e f]] [[error:cut]]'),
      stream: true,
    });
    let text = '';
    const err = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(text.length).toBeLessThan('a b c d e f'.length);
    expect(fake.aborted).toBe(0);
  });

  it('rejects a request without messages with a 400', async () => {
    const err = await client.chat.completions.create({ model: 'm', messages: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.APIError>).param).toBe('messages');
  });
});

describe('latency, concurrency and cancel', () => {
  it('serves concurrent requests at once', async () => {
    const controller = new AbortController();
    const pending = Array.from({ length: 10 }, (_, i) =>
      client.chat.completions
        .create({ model: 'm', messages: user(`n${i} [[hang]]`) }, { signal: controller.signal })
        .catch((e: unknown) => e),
    );
    // All ten are held open by the fake at the same time; none is answered before the abort.
    await until(() => fake.inFlight === 10);
    controller.abort();
    for (const result of await Promise.all(pending)) expect(result).toBeInstanceOf(OpenAI.APIUserAbortError);
    expect(fake.maxInFlight).toBe(10);
    await until(() => fake.aborted === 10);
  });

  it('records a client abort during latency', async () => {
    const controller = new AbortController();
    const pending = client.chat.completions
      .create({ model: 'm', messages: user('slow [[hang]]') }, { signal: controller.signal })
      .catch((e: unknown) => e);
    await until(() => fake.inFlight === 1);
    controller.abort();
    expect(await pending).toBeInstanceOf(OpenAI.APIUserAbortError);
    await until(() => fake.aborted === 1);
    expect(fake.requests[0]?.aborted).toBe(true);
  });

  it('records a client abort mid-stream', async () => {
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'm', messages: user('[[reply:a b c d e f g h]] [[chunk-delay:30]]'), stream: true },
      { signal: controller.signal },
    );
    let text = '';
    // The SDK ends the iteration quietly on abort: callers must check their signal afterwards.
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (text.length > 0) controller.abort();
    }
    expect(text).toBe('a ');
    await until(() => fake.aborted === 1);
  });

  it('applies per-model latency only to that model (both requests answered)', async () => {
    fake.setLatency(30, 'slow-model');
    const [slow, fast] = await Promise.all([
      client.chat.completions.create({ model: 'slow-model', messages: user('s') }),
      client.chat.completions.create({ model: 'fast-model', messages: user('f') }),
    ]);
    expect(slow.choices[0]?.message.content).toBe('echo: s');
    expect(fast.choices[0]?.message.content).toBe('echo: f');
  });
});

describe('embeddings and models', () => {
  it('returns deterministic normalised vectors (base64 default and float)', async () => {
    const viaBase64 = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: ['red apple', 'blue car'],
    });
    const viaFloat = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: 'red apple',
      encoding_format: 'float',
      dimensions: 16,
    });
    expect(viaBase64.data).toHaveLength(2);
    const first = viaBase64.data[0]?.embedding ?? [];
    expect(first).toHaveLength(64);
    const expected = fakeEmbedding('red apple', 64);
    for (const [i, v] of first.entries()) expect(v).toBeCloseTo(expected[i] ?? Number.NaN, 6);
    expect(viaFloat.data[0]?.embedding).toEqual(fakeEmbedding('red apple', 16));
    expect(viaBase64.usage).toEqual({ prompt_tokens: 4, total_tokens: 4 });
  });

  it('makes texts that share words closer than texts that do not', () => {
    const cos = (a: number[], b: number[]) => a.reduce((sum, v, i) => sum + v * (b[i] ?? 0), 0);
    const query = fakeEmbedding('how do I reset my password', 256);
    const near = fakeEmbedding('To reset your password, open settings', 256);
    const far = fakeEmbedding('Shipping takes three days', 256);
    expect(cos(query, near)).toBeGreaterThan(cos(query, far));
  });

  it('lists models', async () => {
    const ids = (await client.models.list()).data.map((model) => model.id);
    expect(ids).toContain('gpt-4o-mini');
    expect(ids).toContain('text-embedding-3-small');
  });
});

describe('control endpoints', () => {
  it('enqueues and reports state over HTTP', async () => {
    const base = fake.url.replace(/\/v1$/, '');
    await fetch(`${base}/_fake/enqueue`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ replies: [{ text: 'from http' }] }),
    });
    const answer = await client.chat.completions.create({ model: 'm', messages: user('x') });
    expect(answer.choices[0]?.message.content).toBe('from http');
    const state = (await (await fetch(`${base}/_fake/state`)).json()) as { requests: number; queued: number };
    expect(state).toMatchObject({ requests: 1, queued: 0 });
  });
});

/** Polls a condition on the event loop (no timing assertion: it just waits for state). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}
