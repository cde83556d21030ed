import OpenAI from 'openai';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { GARBAGE_KINDS, HTML_PAGE, WRONG_SHAPE } from './garbage.js';
import { startFakeOpenAI } from './server.js';

// Broken providers (answers that are not what an OpenAI-compatible server sends), seen on the wire with fetch and
// through the SDK that callers use.
const fake = await startFakeOpenAI();
const client = new OpenAI({ baseURL: fake.url, apiKey: 'test', maxRetries: 0 });
afterEach(() => fake.reset());
afterAll(() => fake.close());

const user = (content: string) => [{ role: 'user' as const, content }];

async function raw(content: string, isStream: boolean, path = '/chat/completions') {
  const body =
    path === '/embeddings'
      ? { model: 'text-embedding-3-small', input: content }
      : { model: 'gpt-4o-mini', messages: user(content), stream: isStream };
  const res = await fetch(`${fake.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

const isJson = (text: string) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

describe('garbage answers', () => {
  it('answers every kind with status 200, plain as JSON (or HTML), streamed as an event stream (or HTML)', async () => {
    const plain = Object.fromEntries(
      await Promise.all(GARBAGE_KINDS.map(async (kind) => [kind, await raw(`[[garbage:${kind}]] hi`, false)])),
    );
    const streamed = Object.fromEntries(
      await Promise.all(GARBAGE_KINDS.map(async (kind) => [kind, await raw(`[[garbage:${kind}]] hi`, true)])),
    );
    for (const kind of GARBAGE_KINDS) {
      expect(plain[kind].status, kind).toBe(200);
      expect(streamed[kind].status, kind).toBe(200);
    }
    expect(plain.html).toEqual({ status: 200, type: 'text/html; charset=utf-8', text: HTML_PAGE });
    expect(streamed.html).toEqual({ status: 200, type: 'text/html; charset=utf-8', text: HTML_PAGE });

    for (const kind of ['shape', 'json', 'empty', 'shape-sse', 'json-sse'] as const) {
      expect(plain[kind].type, kind).toBe('application/json');
      expect(streamed[kind].type, kind).toBe('text/event-stream; charset=utf-8');
    }
    expect(plain.shape.text).toBe(WRONG_SHAPE);
    expect(plain['shape-sse'].text).toBe(WRONG_SHAPE);
    expect(streamed.shape.text).toBe(WRONG_SHAPE);
    expect(streamed['shape-sse'].text).toBe(`data: ${WRONG_SHAPE}\n\ndata: [DONE]\n\n`);
    expect(plain.empty.text).toBe('');
    expect(streamed.empty.text).toBe('');

    // Cut-off JSON: the beginning of the real answer (a completion, or a chunk in a stream), never parseable.
    expect(plain.json.text).toMatch(/^\{"id":"chatcmpl-\w+","object":"chat\.completion",/);
    expect(isJson(plain.json.text)).toBe(false);
    expect(streamed.json.text).toMatch(/^\{"id":"chatcmpl-\w+","object":"chat\.completion\.chunk",/);
    expect(isJson(streamed.json.text)).toBe(false);
    const [event, done, rest] = streamed['json-sse'].text.split('\n\n');
    expect(event).toMatch(/^data: \{"id":"chatcmpl-/);
    expect(isJson(event?.slice('data: '.length) ?? '')).toBe(false);
    expect([done, rest]).toEqual(['data: [DONE]', '']);
  });

  it('ends a no-done stream after its text, without finish_reason or [DONE]; a plain one has finish_reason null', async () => {
    const wire = await raw('[[reply:a b c]] [[garbage:no-done]]', true);
    expect(wire.type).toBe('text/event-stream; charset=utf-8');
    expect(wire.text).not.toContain('[DONE]');
    expect(wire.text).not.toMatch(/"finish_reason":"/);

    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: user('[[reply:a b c]] [[garbage:no-done]]'),
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    const finishes: unknown[] = [];
    let usage: unknown = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finishes.push(chunk.choices[0]?.finish_reason);
      usage = chunk.usage ?? usage;
    }
    // What the SDK hands over: all the text, and nothing that says the answer ended.
    expect(text).toBe('a b c');
    expect(finishes.every((finish) => finish === null)).toBe(true);
    expect(usage).toBeNull();

    const plain = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: user('[[reply:a b c]] [[garbage:no-done]]'),
    });
    expect(plain.choices[0]?.message.content).toBe('a b c');
    expect(plain.choices[0]?.finish_reason).toBeNull();
  });

  it('makes streamed garbage look like an empty answer to the SDK (the symptom to guard against)', async () => {
    for (const kind of ['html', 'shape', 'json', 'empty'] as const) {
      const stream = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: user(`[[garbage:${kind}]]`),
        stream: true,
      });
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk);
      expect(chunks, kind).toEqual([]);
    }
    const shaped = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: user('[[garbage:shape-sse]]'),
      stream: true,
    });
    const chunks = [];
    for await (const chunk of shaped) chunks.push(chunk);
    expect(chunks).toEqual([{ foo: 'bar' }]);
  });

  it('gives the SDK, without streaming, a wrong object, a string, a parse error or nothing', async () => {
    const ask = (content: string) =>
      client.chat.completions.create({ model: 'gpt-4o-mini', messages: user(content) }).catch((e: unknown) => e);
    expect(await ask('[[garbage:shape]]')).toEqual({ foo: 'bar' });
    expect(await ask('[[garbage:html]]')).toBe(HTML_PAGE);
    expect(await ask('[[garbage:json]]')).toBeInstanceOf(SyntaxError);
    expect(await ask('[[garbage:empty]]')).toBeUndefined();
  });

  it('answers queued garbage, and garbage for embeddings', async () => {
    fake.enqueue({ garbage: 'shape' }, { garbage: 'html' });
    expect((await raw('x', false)).text).toBe(WRONG_SHAPE);
    expect((await raw('x', true)).type).toBe('text/html; charset=utf-8');
    expect((await raw('x', false)).text).toMatch(/^\{"id":"chatcmpl-/);

    expect(await raw('[[garbage:html]]', false, '/embeddings')).toEqual({
      status: 200,
      type: 'text/html; charset=utf-8',
      text: HTML_PAGE,
    });
    const cut = await raw('[[garbage:json]] some words', false, '/embeddings');
    expect(cut.text).toMatch(/^\{"object":"list","model":"text-embedding-3-small","data":\[/);
    expect(isJson(cut.text)).toBe(false);
  });
});

describe('huge answers', () => {
  // 2 MB keeps the suite light on a shared machine; the fake serves 20 MB the same way (about 1 s here).
  const bytes = 2_000_000;

  it('answers megabytes of text in one plain answer', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: user(`[[huge:${bytes}]]`),
    });
    const content = completion.choices[0]?.message.content ?? '';
    expect(content.length).toBe(bytes);
    expect(content.startsWith('lorem lorem ')).toBe(true);
    expect(completion.usage?.completion_tokens).toBe(Math.ceil(bytes / 6));
  });

  it('streams megabytes of text in 16 KiB chunks', async () => {
    fake.enqueue({ hugeBytes: bytes });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: user('x'),
      stream: true,
    });
    let length = 0;
    let deltas = 0;
    let finish: string | null = null;
    for await (const chunk of stream) {
      const content = chunk.choices[0]?.delta.content;
      if (content) {
        length += content.length;
        deltas++;
        expect(content.length).toBeLessThanOrEqual(16 * 1024);
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(length).toBe(bytes);
    expect(deltas).toBe(Math.ceil(bytes / (16 * 1024)));
    expect(finish).toBe('stop');
  });
});

describe('usage and time to first token', () => {
  it('sends the usage chunk last, after the finish chunk, equal to the plain answer usage', async () => {
    const messages = [
      { role: 'system' as const, content: 'be brief' },
      { role: 'user' as const, content: '[[reply:one two three]]' },
    ];
    const plain = await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toEqual(plain.usage);
    expect(plain.usage).toEqual({ prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 });
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
  });

  it('sends headers and the role chunk at once, and the first token after first-token-delay', async () => {
    const delay = 300;
    const started = performance.now();
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: user(`[[reply:hi there]] [[first-token-delay:${delay}]]`),
      stream: true,
    });
    const headersAt = performance.now() - started;
    let roleAt = Number.NaN;
    let tokenAt = Number.NaN;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta;
      if (delta?.role && Number.isNaN(roleAt)) roleAt = performance.now() - started;
      if (delta?.content && Number.isNaN(tokenAt)) tokenAt = performance.now() - started;
    }
    expect(tokenAt).toBeGreaterThanOrEqual(delay - 5);
    expect(roleAt).toBeLessThan(tokenAt);
    // The gap is the delay; half of it leaves room for a busy machine.
    expect(tokenAt - headersAt).toBeGreaterThan(delay / 2);

    fake.enqueue({ text: 'ok', firstTokenDelayMs: 100 });
    const plainStarted = performance.now();
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: user('x') });
    expect(performance.now() - plainStarted).toBeGreaterThanOrEqual(95);
  });
});
