import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AppError, type ChatMessage } from '@flowloom/nodes';
import { type FakeOpenAI, fakeEmbedding, startFakeOpenAI } from '@flowloom/test/fake-openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildBin } from '../testing/bin.js';
import { guardedFetch, type StreamProbe } from './answer-guard.js';
import { createLlmService, createOpenAIEmbeddings, type OpenAIService } from './openai.js';
import { costOf, priceOf } from './prices.js';

let fake: FakeOpenAI;
let llm: OpenAIService;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  llm = createLlmService({ baseURL: fake.url, apiKey: 'sk-test', defaultHeaders: { 'x-flowloom': 'yes' } });
});
afterEach(() => fake.reset());
afterAll(() => fake.close());

const user = (content: string): ChatMessage[] => [{ role: 'user', content }];
const signal = () => new AbortController().signal;

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('configuration', () => {
  it('throws PROVIDER_NOT_CONFIGURED on every call without key or base URL', async () => {
    const none = createLlmService({});
    expect(none.isConfigured).toBe(false);
    const chatError = await failure(none.chat({ model: 'gpt-4o-mini', messages: user('hi') }, { signal: signal() }));
    expect(chatError.code).toBe('PROVIDER_NOT_CONFIGURED');
    expect(chatError.message).toContain('OPENAI_API_KEY');
    expect(chatError.message).toContain('OPENAI_BASE_URL');
    expect((await failure(none.embed(['x'], { signal: signal() }))).code).toBe('PROVIDER_NOT_CONFIGURED');
  });

  it('works with a base URL and no key, sending a placeholder key', async () => {
    const local = createLlmService({ baseURL: fake.url });
    const result = await local.chat({ model: 'llama3', messages: user('hi') }, { signal: signal() });
    expect(result.message.content).toBe('echo: hi');
    expect(fake.requests[0]?.headers.authorization).toBe('Bearer not-needed');
  });
});

describe('chat', () => {
  it('answers a plain call with usage, cost and the request mapped to the wire', async () => {
    const result = await llm.chat(
      {
        model: 'gpt-4o-mini',
        messages: [
          { role: 'system', content: 'be kind' },
          { role: 'user', content: 'hello big world' },
        ],
        temperature: 0.2,
        maxTokens: 50,
      },
      { signal: signal() },
    );
    expect(result).toEqual({
      message: { role: 'assistant', content: 'echo: hello big world' },
      usage: { promptTokens: 5, completionTokens: 4 },
      model: 'gpt-4o-mini',
      costUsd: costOf('gpt-4o-mini', { promptTokens: 5, completionTokens: 4 }),
      finishReason: 'stop',
    });
    expect(result.costUsd).toBeCloseTo((5 * 0.15 + 4 * 0.6) / 1e6, 12);
    const [sent] = fake.chatRequests();
    expect(sent).toMatchObject({ model: 'gpt-4o-mini', temperature: 0.2, max_tokens: 50 });
    expect(sent?.stream ?? false).toBe(false);
    expect(fake.requests[0]?.headers['x-flowloom']).toBe('yes');
    expect(fake.requests[0]?.headers.authorization).toBe('Bearer sk-test');
  });

  it('streams deltas in order and asks for usage', async () => {
    const deltas: string[] = [];
    const result = await llm.chat(
      { model: 'gpt-4o', messages: user('[[reply:one two three]]') },
      { signal: signal(), onDelta: (text) => deltas.push(text) },
    );
    expect(deltas).toEqual(['one ', 'two ', 'three']);
    expect(result.message).toEqual({ role: 'assistant', content: 'one two three' });
    expect(result.usage).toEqual({ promptTokens: 3, completionTokens: 3 });
    expect(result.costUsd).toBeCloseTo((3 * 2.5 + 3 * 10) / 1e6, 12);
    expect(fake.chatRequests()[0]).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  const tools = [
    {
      name: 'get_weather',
      description: 'Weather in a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      nodeId: 'weather',
    },
    { name: 'now', description: 'The time', parameters: { type: 'object', properties: {} }, nodeId: 'clock' },
  ];
  const toolPrompt = 'go [[tool:get_weather {"city":"Paris","days":[1,2,3]}]] [[tool:now {}]]';
  const expectedCalls = [
    { name: 'get_weather', arguments: '{"city":"Paris","days":[1,2,3]}' },
    { name: 'now', arguments: '{}' },
  ];

  it('returns parallel tool calls from a plain call, with tools sent in OpenAI shape', async () => {
    const result = await llm.chat({ model: 'gpt-4o-mini', messages: user(toolPrompt), tools }, { signal: signal() });
    expect(result.finishReason).toBe('tool_calls');
    expect(result.message.content).toBeNull();
    expect(result.message.tool_calls?.map((call) => call.function)).toEqual(expectedCalls);
    expect(result.message.tool_calls?.every((call) => call.type === 'function' && call.id.startsWith('call_'))).toBe(
      true,
    );
    expect(fake.chatRequests()[0]?.tools?.[0]).toEqual({
      type: 'function',
      function: { name: 'get_weather', description: 'Weather in a city', parameters: tools[0]?.parameters },
    });
  });

  it('accumulates parallel tool calls from streamed chunks', async () => {
    const deltas: string[] = [];
    const result = await llm.chat(
      { model: 'gpt-4o-mini', messages: user(toolPrompt), tools },
      { signal: signal(), onDelta: (text) => deltas.push(text) },
    );
    expect(deltas).toEqual([]);
    expect(result.finishReason).toBe('tool_calls');
    expect(result.message.content).toBeNull();
    expect(result.message.tool_calls?.map((call) => call.function)).toEqual(expectedCalls);
    expect(new Set(result.message.tool_calls?.map((call) => call.id)).size).toBe(2);
  });

  it('sends tool results back and gets the final answer', async () => {
    const first = await llm.chat({ model: 'gpt-4o-mini', messages: user(toolPrompt), tools }, { signal: signal() });
    const calls = first.message.tool_calls ?? [];
    const messages: ChatMessage[] = [
      ...user(toolPrompt),
      first.message,
      ...calls.map((call, i): ChatMessage => ({ role: 'tool', tool_call_id: call.id, content: `result ${i}` })),
    ];
    const second = await llm.chat({ model: 'gpt-4o-mini', messages, tools }, { signal: signal() });
    expect(second.message.content).toBe('tool results: result 0 | result 1');
  });

  it('passes responseFormat as response_format', async () => {
    const responseFormat = {
      type: 'json_schema',
      json_schema: { name: 'answer', schema: { type: 'object', properties: { answer: { type: 'string' } } } },
    };
    const result = await llm.chat(
      { model: 'gpt-4o-mini', messages: user('what is up'), responseFormat },
      { signal: signal() },
    );
    expect(JSON.parse(result.message.content ?? '')).toEqual({ answer: 'what is up' });
    expect(fake.chatRequests()[0]?.response_format).toEqual(responseFormat);
  });

  it('prices unknown and dated models from the table', () => {
    expect(priceOf('gpt-4o-mini-2024-07-18')).toEqual([0.15, 0.6]);
    expect(costOf('llama3', { promptTokens: 1000, completionTokens: 1000 })).toBe(0);
    expect(costOf('gpt-4o', { promptTokens: 1_000_000, completionTokens: 0 })).toBe(2.5);
  });
});

describe('errors', () => {
  const call = (content: string, stream = false) =>
    failure(
      llm.chat(
        { model: 'gpt-4o-mini', messages: user(content) },
        { signal: signal(), onDelta: stream ? () => undefined : undefined },
      ),
    );

  it('maps 429 to PROVIDER_RATE_LIMITED, retryable, with retry-after', async () => {
    const err = await call('[[error:429]] [[retry-after:250]]');
    expect(err.code).toBe('PROVIDER_RATE_LIMITED');
    expect(err.retryable).toBe(true);
    expect(err.details).toEqual([{ providerStatus: 429, retryAfterMs: 250 }]);
  });

  it('maps 5xx, dropped connections and cut streams to PROVIDER_UNAVAILABLE, retryable', async () => {
    for (const err of [
      await call('[[error:500]]'),
      await call('[[error:503]]', true),
      await call('[[error:drop]]'),
      await call('[[reply:a b c d e f g h]] [[error:cut]]', true),
    ]) {
      expect(err.code).toBe('PROVIDER_UNAVAILABLE');
      expect(err.retryable).toBe(true);
    }
  });

  it('maps a refused connection to PROVIDER_UNAVAILABLE', async () => {
    const gone = await startFakeOpenAI();
    await gone.close();
    const dead = createLlmService({ baseURL: gone.url });
    const err = await failure(dead.chat({ model: 'm', messages: user('x') }, { signal: signal() }));
    expect(err.code).toBe('PROVIDER_UNAVAILABLE');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('maps other 4xx to PROVIDER_ERROR, not retryable, with the provider message', async () => {
    const unauthorized = await call('[[error:401]]');
    expect(unauthorized.code).toBe('PROVIDER_ERROR');
    expect(unauthorized.retryable).toBe(false);
    expect(unauthorized.message).toContain('Incorrect API key provided (fake).');
    const invalid = await failure(llm.chat({ model: 'gpt-4o-mini', messages: [] }, { signal: signal() }));
    expect(invalid.code).toBe('PROVIDER_ERROR');
    expect(invalid.message).toContain('messages must be a non-empty array.');
  });

  it('recovers when the provider recovers (the caller retries)', async () => {
    fake.enqueue({ error: { status: 503, times: 1 }, text: 'back' });
    expect((await call('x')).code).toBe('PROVIDER_UNAVAILABLE');
    const result = await llm.chat({ model: 'm', messages: user('x') }, { signal: signal() });
    expect(result.message.content).toBe('back');
  });
});

describe('garbage with status 200 fails with PROVIDER_ERROR saying what came back', () => {
  const call = (content: string, stream: boolean, service = llm) =>
    failure(
      service.chat(
        { model: 'gpt-4o-mini', messages: user(content) },
        { signal: signal(), onDelta: stream ? () => undefined : undefined },
      ),
    );

  for (const stream of [true, false]) {
    const how = stream ? 'streamed' : 'plain';
    it(`${how}: an HTML page`, async () => {
      const err = await call('[[garbage:html]]', stream);
      expect(err.code).toBe('PROVIDER_ERROR');
      expect(err.retryable).toBe(false);
      expect(err.message).toContain('text/html');
      expect(err.message).toContain('<!DOCTYPE html>');
    });

    it(`${how}: {"foo":"bar"}, bare and as an event`, async () => {
      for (const kind of ['shape', 'shape-sse']) {
        const err = await call(`[[garbage:${kind}]]`, stream);
        expect(err.code, kind).toBe('PROVIDER_ERROR');
        expect(err.message, kind).toContain('{"foo":"bar"}');
      }
    });

    it(`${how}: invalid JSON, bare and as an event`, async () => {
      for (const kind of ['json', 'json-sse']) {
        const err = await call(`[[reply:hello there]] [[garbage:${kind}]]`, stream);
        expect(err.code, kind).toBe('PROVIDER_ERROR');
        // A bare body on an event stream has no events at all: the error quotes it instead.
        expect(err.message, kind).toMatch(/not JSON|no chat completion chunks \(\d+ bytes: {"id"/);
      }
    });

    it(`${how}: an empty body`, async () => {
      const err = await call('[[garbage:empty]]', stream);
      expect(err.code).toBe('PROVIDER_ERROR');
      expect(err.message).toContain('empty body');
    });
  }

  it('streamed: text chunks with no finish_reason and no data: [DONE] are a truncated answer, not a success', async () => {
    const err = await call('[[reply:one two three]] [[garbage:no-done]]', true);
    expect(err.code).toBe('PROVIDER_ERROR');
    expect(err.message).toContain('truncated');
  });

  it('an answer past maxAnswerBytes fails as soon as it passes the limit, streamed or not', async () => {
    const small = createLlmService({ baseURL: fake.url, apiKey: 'sk-test', maxAnswerBytes: 64 * 1024 });
    for (const stream of [true, false]) {
      const err = await call('[[huge:1000000]]', stream, small);
      expect(err.code).toBe('PROVIDER_ERROR');
      expect(err.message).toContain('larger than 65536 bytes');
    }
    // Within the limit, the same service answers.
    const ok = await small.chat({ model: 'm', messages: user('[[huge:20000]]') }, { signal: signal() });
    expect(ok.message.content).toHaveLength(20000);
    // Embedding answers (vectors as JSON, about 300 KB here) are bounded by 64 MiB at least, not by the small limit.
    const texts = Array.from({ length: 256 }, (_, i) => `text ${i}`);
    const embedded = await small.embed(texts, { signal: signal(), model: 'text-embedding-3-large' });
    expect(embedded.vectors).toHaveLength(256);
  });
});

describe("the providers' HTTP client", () => {
  const streamed = async (service: OpenAIService, content: string) => {
    let deltas = '';
    const result = await service.chat(
      { model: 'm', messages: user(content) },
      { signal: signal(), onDelta: (text) => (deltas += text) },
    );
    return { deltas, content: result.message.content };
  };

  it('asks for gzip or deflate, as fetch did, and decodes compressed answers, plain and streamed', async () => {
    for (const encoding of ['gzip', 'deflate', 'deflate-raw', 'br']) {
      const plain = await llm.chat(
        { model: 'm', messages: user(`[[encoding:${encoding}]] hello`) },
        { signal: signal() },
      );
      expect(plain.message.content, encoding).toBe('echo: hello');
      expect(await streamed(llm, `[[encoding:${encoding}]] one two three`), encoding).toEqual({
        deltas: 'echo: one two three',
        content: 'echo: one two three',
      });
    }
    expect(fake.requests.map((request) => request.headers['accept-encoding'])).toEqual(Array(8).fill('gzip, deflate'));
    // The size limit counts the decoded bytes: a small compressed answer cannot unpack past it.
    const small = createLlmService({ baseURL: fake.url, maxAnswerBytes: 64 * 1024 });
    for (const stream of [true, false]) {
      const err = await failure(
        small.chat(
          { model: 'm', messages: user('[[encoding:gzip]] [[huge:1000000]]') },
          { signal: signal(), onDelta: stream ? () => undefined : undefined },
        ),
      );
      expect(err.message).toContain('larger than 65536 bytes');
    }
  });

  it('sends the headers, method and body as given, and follows a provider that moved (307)', async () => {
    const moved = createLlmService({
      baseURL: fake.url.replace('/v1', '/_fake/moved/v1'),
      apiKey: 'sk-moved',
      defaultHeaders: { 'x-flowloom': 'moved' },
    });
    expect(await streamed(moved, 'where are you')).toEqual({
      deltas: 'echo: where are you',
      content: 'echo: where are you',
    });
    expect((await moved.embed(['x'], { signal: signal() })).vectors).toHaveLength(1);
    expect(fake.requests.map((request) => [request.method, request.path])).toEqual([
      ['POST', '/v1/chat/completions'],
      ['POST', '/v1/embeddings'],
    ]);
    expect(fake.requests[0]?.headers).toMatchObject({ authorization: 'Bearer sk-moved', 'x-flowloom': 'moved' });
    expect(fake.requests[0]?.body).toMatchObject({
      messages: [{ role: 'user', content: 'where are you' }],
      stream: true,
    });
  });

  it('keeps its connections alive: calls one after another share one connection', async () => {
    for (let i = 0; i < 10; i++) {
      await llm.chat({ model: 'm', messages: user(`call ${i}`) }, { signal: signal() });
      await streamed(llm, `stream ${i}`);
    }
    expect(fake.requests).toHaveLength(20);
    // One at most: a connection left open by an earlier test may serve them all.
    expect(fake.connections).toBeLessThanOrEqual(1);
  });

  it('closes the connection of an answer it stops reading (past the size limit, declared or not)', async () => {
    // A fake of its own: the connections open on it are this test's only.
    const own = await startFakeOpenAI();
    try {
      const small = createLlmService({ baseURL: own.url, maxAnswerBytes: 64 * 1024 });
      for (const [content, stream] of [
        ['[[huge:30000000]]', false], // content-length over the limit: stopped before a byte is read
        ['[[huge:30000000]]', true], // stopped once past the limit
      ] as const) {
        const err = await failure(
          small.chat(
            { model: 'm', messages: user(content) },
            { signal: signal(), onDelta: stream ? () => undefined : undefined },
          ),
        );
        expect(err.message).toContain('larger than 65536 bytes');
        // Not left unread and paused: that would pin the connection (and the provider's answer) forever. undici reads
        // the rest of a small answer to keep its connection, and closes a large one.
        await until(() => own.inFlight === 0);
      }
    } finally {
      await own.close();
    }
  });

  it('takes answer headers that are not ASCII as fetch does (their bytes as Latin-1)', async () => {
    const send = guardedFetch(1024 * 1024, new WeakMap());
    const response = await send(`${fake.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer x' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: '[[header:x-note café ok]] hi' }] }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-note')).toBe(Buffer.from('café ok', 'utf8').toString('latin1'));
    expect(
      ((await response.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content,
    ).toBe('echo: hi');
    for (const stream of [false, true]) {
      const result = await llm.chat(
        { model: 'm', messages: user('[[header:x-note café ok]] hi') },
        { signal: signal(), onDelta: stream ? () => undefined : undefined },
      );
      expect(result.message.content).toBe('echo: hi');
    }
  });

  it('refuses what fetch refuses (six content codings, credentials in the URL) and passes a coding it does not know', async () => {
    for (const stream of [false, true]) {
      const onDelta = stream ? () => undefined : undefined;
      const many = await failure(
        llm.chat(
          { model: 'm', messages: user('[[header:content-encoding gzip, gzip, gzip, gzip, gzip, gzip]] hi') },
          { signal: signal(), onDelta },
        ),
      );
      expect(many.code).toBe('PROVIDER_ERROR');
      expect(many.message).toContain('6 content codings');
      // Left as it came, as fetch does: here the body was never compressed.
      const unknown = await llm.chat(
        { model: 'm', messages: user('[[header:content-encoding zstd]] hi') },
        { signal: signal(), onDelta },
      );
      expect(unknown.message.content).toBe('echo: hi');
    }
    const withCredentials = createLlmService({ baseURL: fake.url.replace('http://', 'http://someone:secret@') });
    const refused = await failure(withCredentials.chat({ model: 'm', messages: user('x') }, { signal: signal() }));
    expect(refused.message).toContain('includes credentials');
    expect(refused.message).not.toContain('secret');
    expect(fake.requests.filter((request) => request.body && JSON.stringify(request.body).includes('"x"'))).toEqual([]);
  });

  it('lets a process end with idle connections in its pool, and loads undici only for the first call', async () => {
    buildBin();
    const dist = fileURLToPath(new URL('../../dist/providers/openai.js', import.meta.url));
    // undici's CommonJS files, as loaded so far (relative to the package).
    const script = `
      import { createRequire } from 'node:module';
      const cache = createRequire(import.meta.url).cache;
      const undici = () => Object.keys(cache).filter((f) => f.includes('/node_modules/undici/')).map((f) => f.split('/node_modules/undici/')[1]);
      const { createLlmService } = await import(${JSON.stringify(dist)});
      const llm = createLlmService({ baseURL: ${JSON.stringify(fake.url)} });
      console.log(JSON.stringify(undici()));
      const answer = await llm.chat({ model: 'm', messages: [{ role: 'user', content: 'bye' }] }, { signal: new AbortController().signal });
      console.log(JSON.stringify(undici()));
      console.log(answer.message.content);
    `;
    // Without an exit of its own: the child ends only if the kept-alive connection does not hold its event loop.
    // (Asynchronously: the fake answering it runs in this process.)
    const child = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      timeout: 20_000,
    });
    expect(child.stderr).toBe('');
    const [before, after, answer] = child.stdout.trim().split('\n');
    expect(answer).toBe('echo: bye');
    // Nothing at start; then the agent and the request API, not the whole package (fetch, WebSocket, mocks, cache).
    expect(JSON.parse(before as string)).toEqual([]);
    const loaded = JSON.parse(after as string) as string[];
    expect(loaded).toEqual(expect.arrayContaining(['lib/dispatcher/agent.js', 'lib/api/api-request.js']));
    expect(loaded).not.toContain('index.js');
    expect(loaded.filter((file) => file.startsWith('lib/web/') || file.startsWith('lib/mock/'))).toEqual([]);
  });
});

describe('abort', () => {
  it('stops a waiting call at once and rethrows the abort reason', async () => {
    const controller = new AbortController();
    const reason = new AppError('NODE_TIMEOUT', 'node timed out');
    const pending = llm
      .chat({ model: 'm', messages: user('[[hang]]') }, { signal: controller.signal })
      .catch((e: unknown) => e);
    await until(() => fake.inFlight === 1);
    controller.abort(reason);
    expect(await pending).toBe(reason);
    await until(() => fake.aborted === 1);
  });

  it('stops a stream mid-way and rethrows the abort reason', async () => {
    const controller = new AbortController();
    const deltas: string[] = [];
    const pending = llm
      .chat(
        { model: 'm', messages: user('[[reply:a b c d e f g h i j]] [[chunk-delay:20]]') },
        {
          signal: controller.signal,
          onDelta: (text) => {
            deltas.push(text);
            controller.abort();
          },
        },
      )
      .catch((e: unknown) => e);
    const err = await pending;
    expect(err).toBe(controller.signal.reason);
    expect((err as Error).name).toBe('AbortError');
    expect(deltas).toEqual(['a ']);
    await until(() => fake.aborted === 1);
  });

  it('does not send a request when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    const err = await llm.chat({ model: 'm', messages: user('x') }, { signal: controller.signal }).catch((e) => e);
    expect(err).toBe(controller.signal.reason);
    expect(fake.requests).toHaveLength(0);
  });
});

describe('embeddings', () => {
  it('embeds texts in order with usage', async () => {
    const result = await llm.embed(['red apple', 'a blue car today'], { signal: signal() });
    expect(result.model).toBe('text-embedding-3-small');
    expect(result.vectors).toEqual([fakeEmbedding('red apple', 64), fakeEmbedding('a blue car today', 64)]);
    expect(result.usage).toEqual({ promptTokens: 6, completionTokens: 0 });
    expect(result.costUsd).toBeCloseTo((6 * 0.02) / 1e6, 12);
  });

  it('works as a standalone (model, texts, signal) function and maps errors', async () => {
    const embed = createOpenAIEmbeddings({ baseURL: fake.url });
    const result = await embed('text-embedding-3-large', ['x'], signal());
    expect(result.vectors).toHaveLength(1);
    expect(fake.requests[0]?.body).toMatchObject({ model: 'text-embedding-3-large', encoding_format: 'float' });
    const err = await failure(embed('m', ['boom [[error:429]]'], signal()));
    expect(err.code).toBe('PROVIDER_RATE_LIMITED');
  });
});

/** Waits for state on the event loop (no timing assertion). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('the stream guard', () => {
  const sse = (parts: string[]) => async () =>
    new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (const part of parts) controller.enqueue(new TextEncoder().encode(part));
          controller.close();
        },
      }),
      { headers: { 'content-type': 'text/event-stream' } },
    );
  const read = async (parts: string[], maxBytes = 1024) => {
    const probes = new WeakMap<Response, StreamProbe>();
    const response = await guardedFetch(
      maxBytes,
      probes,
      sse(parts),
    )('http://x/chat/completions', {
      body: '{"stream":true}',
    });
    let text = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      text += new TextDecoder().decode(chunk);
    }
    return { text, probe: probes.get(response) };
  };

  it('passes every byte through and sees an end marker split across two chunks', async () => {
    const parts = ['data: {"choices":[]}\n\n', 'data: [DO', 'NE]\n\n'];
    const { text, probe } = await read(parts);
    expect(text).toBe(parts.join(''));
    expect(probe?.bytes).toBe(Buffer.byteLength(parts.join('')));
    expect(probe?.sample).toBe(parts.join(''));
    expect(probe?.hasDone).toBe(true);
    // Split over three and more chunks too, down to a byte each.
    expect((await read(['data: {"choices":[]}\n\n', 'data: [', 'DO', 'NE]\n\n'])).probe?.hasDone).toBe(true);
    expect((await read([...'data: [DONE]\n\n'])).probe?.hasDone).toBe(true);
    expect((await read(['{}\n\ndata: [', 'DONE]'])).probe?.hasDone).toBe(true);
    // A start of the marker that does not go on, then the marker whole in the same chunk or split again.
    expect((await read(['data: [DO', 'X\n\ndata: [DONE]\n\n'])).probe?.hasDone).toBe(true);
    expect((await read(['data: [DO', 'X\n\ndata: [D', 'ONE]\n\n'])).probe?.hasDone).toBe(true);
    expect((await read(['data: [DO', 'X\n\n'])).probe?.hasDone).toBe(false);
    expect((await read(['data: [', 'DO', 'ne]\n\n'])).probe?.hasDone).toBe(false);
  });

  it('keeps the first 200 characters of the body as its sample, decoded when read', async () => {
    // 'é' is two bytes in UTF-8: the sample's 200 characters span more bytes than characters, over three chunks.
    const { probe } = await read(['data: ', `${'é'.repeat(150)}`.slice(0, 75), `${'é'.repeat(200)}\n\n`], 4096);
    expect(probe?.sample).toBe(`data: ${'é'.repeat(194)}`);
    expect(probe?.bytes).toBe(6 + 75 * 2 + 200 * 2 + 2);
  });

  it('does not take "[DONE]" inside a chunk\'s text for the marker, and fails past the limit', async () => {
    expect((await read(['data: {"content":"[DONE]"}\n\n'])).probe?.hasDone).toBe(false);
    await expect(read(['x'.repeat(600), 'y'.repeat(600)])).rejects.toThrow('larger than 1024 bytes');
  });
});
