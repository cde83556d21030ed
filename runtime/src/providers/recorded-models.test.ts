import { AppError, type ChatMessage, type ChatRequest } from '@flowloom/nodes';
import { type FakeOpenAI, startFakeOpenAI } from '@flowloom/test/fake-openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../config.js';
import { createRuntime } from '../kernel.js';
import { Embeddings } from '../rag/embeddings.js';
import { chatFlow, removeTempDir, tempDir } from '../testing/fixtures.js';
import { createLlmService, createOpenAIEmbeddings } from './openai.js';
import {
  ModelRecordings,
  RECORDINGS_FORMAT,
  recordedEmbeddings,
  recordedLlm,
  recordingKey,
} from './recorded-models.js';

let fake: FakeOpenAI;

beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterEach(() => fake.reset());
afterAll(() => fake.close());

const signal = () => new AbortController().signal;
const user = (content: string): ChatMessage[] => [{ role: 'user', content }];
const request = (content: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'gpt-4o-mini',
  messages: user(content),
  ...extra,
});

/** Records `calls` through the real SDK against the fake, then answers the recordings file's text. */
async function recordWith(calls: (llm: ReturnType<typeof recordedLlm>) => Promise<unknown>): Promise<string> {
  const recordings = ModelRecordings.recording('x.flowtest.recordings.json');
  await calls(recordedLlm(createLlmService({ baseURL: fake.url }), () => recordings));
  return recordings.serialize();
}

describe('recordingKey', () => {
  it('is the same for the same request in any key order, and differs with any param', () => {
    const a = recordingKey('chat', { model: 'm', messages: user('hi'), temperature: 0 });
    const b = recordingKey('chat', { temperature: 0, messages: [{ content: 'hi', role: 'user' }], model: 'm' });
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(recordingKey('chat', { model: 'm', messages: user('hi'), temperature: 0.1 })).not.toBe(a);
    expect(recordingKey('chat', { model: 'm2', messages: user('hi'), temperature: 0 })).not.toBe(a);
    expect(recordingKey('chat', { model: 'm', messages: user('hi'), temperature: 0, maxTokens: 5 })).not.toBe(a);
    const withTools = { model: 'm', messages: user('hi'), temperature: 0, tools: [] };
    expect(recordingKey('chat', withTools)).not.toBe(a);
  });
});

describe('recording and replaying chat', () => {
  it('records through the real SDK, then replays the same answer with no provider and no network', async () => {
    const text = await recordWith((llm) => llm.chat(request('hello there'), { signal: signal() }));
    expect(fake.chatRequests()).toHaveLength(1);
    const file = JSON.parse(text);
    expect(file.format).toBe(RECORDINGS_FORMAT);
    const [key, entry] = Object.entries(file.recordings)[0] as [string, { kind: string; responses: unknown[] }];
    expect(key).toBe(recordingKey('chat', request('hello there')));
    expect(entry.kind).toBe('chat');

    const offline = createLlmService({}); // no key, no URL: any real call would throw PROVIDER_NOT_CONFIGURED
    const recordings = ModelRecordings.replaying('x.flowtest.recordings.json', text);
    const llm = recordedLlm(offline, () => recordings);
    const result = await llm.chat(request('hello there'), { signal: signal() });
    expect(result.message).toEqual({ role: 'assistant', content: 'echo: hello there' });
    expect(result.usage).toEqual({ promptTokens: 2, completionTokens: 3 });
    expect(fake.chatRequests()).toHaveLength(1);
  });

  it('replays a streamed call as a stream of its recorded text, whichever way it was recorded', async () => {
    const text = await recordWith((llm) => llm.chat(request('one two three'), { signal: signal() }));
    const recordings = ModelRecordings.replaying('r.json', text);
    const deltas: string[] = [];
    const result = await recordedLlm(createLlmService({}), () => recordings).chat(request('one two three'), {
      signal: signal(),
      onDelta: (delta) => deltas.push(delta),
    });
    expect(deltas).toEqual(['echo: ', 'one ', 'two ', 'three']);
    expect(deltas.join('')).toBe(result.message.content);
  });

  it('records a streamed call as its final result, tool calls included', async () => {
    const deltas: string[] = [];
    const text = await recordWith((llm) =>
      llm.chat(request('[[tool:get_weather {"city":"Paris"}]]', { tools: [] }), {
        signal: signal(),
        onDelta: (delta) => deltas.push(delta),
      }),
    );
    const [key, entry] = Object.entries(JSON.parse(text).recordings)[0] as [
      string,
      { responses: { message: ChatMessage }[] },
    ];
    expect(entry.responses[0]?.message.tool_calls?.[0]).toEqual({
      id: `call_${key}_0`,
      type: 'function',
      function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
    });
  });

  it('gives tool calls ids that follow from the request, so recording again writes the same file', async () => {
    const call = (llm: ReturnType<typeof recordedLlm>) =>
      llm.chat(request('[[tool:get_weather {"city":"Oslo"}]] [[tool:get_time]]', { tools: [] }), { signal: signal() });
    const first = await recordWith(call);
    const second = await recordWith(call); // the fake numbers its ids on: they differ from the first time
    expect(second).toBe(first);
    expect(first).toMatch(/"id": "call_[0-9a-f]{16}_1"/);
  });

  it('keeps every answer to a request asked again, and replays them in order (cycling)', async () => {
    fake.enqueue({ text: 'first' }, { text: 'second' });
    const text = await recordWith(async (llm) => {
      await llm.chat(request('same'), { signal: signal() });
      await llm.chat(request('same'), { signal: signal() });
    });
    const recordings = ModelRecordings.replaying('r.json', text);
    expect(recordings.size).toBe(1);
    const llm = recordedLlm(createLlmService({}), () => recordings);
    const answers: (string | null)[] = [];
    for (let i = 0; i < 3; i++) answers.push((await llm.chat(request('same'), { signal: signal() })).message.content);
    expect(answers).toEqual(['first', 'second', 'first']);
  });

  it('fails a call with no recording with RECORDING_NOT_FOUND naming the file and --record', async () => {
    const recordings = ModelRecordings.replaying('flows/chat.flowtest.recordings.json', undefined);
    const call = recordedLlm(createLlmService({ baseURL: fake.url }), () => recordings).chat(
      request('never recorded'),
      {
        signal: signal(),
      },
    );
    await expect(call).rejects.toBeInstanceOf(AppError);
    await expect(call).rejects.toMatchObject({
      code: 'RECORDING_NOT_FOUND',
      retryable: false,
      message: expect.stringMatching(/in flows\/chat\.flowtest\.recordings\.json: run flowloom test --record/),
    });
    expect(fake.chatRequests()).toHaveLength(0);
  });

  it('passes through when no recordings are active', async () => {
    const llm = recordedLlm(createLlmService({ baseURL: fake.url }), () => undefined);
    expect((await llm.chat(request('live'), { signal: signal() })).message.content).toBe('echo: live');
  });

  it('writes a stable file: the same calls in another order give the same text', async () => {
    const one = await recordWith(async (llm) => {
      await llm.chat(request('a'), { signal: signal() });
      await llm.chat(request('b', { temperature: 0 }), { signal: signal() });
    });
    const two = await recordWith(async (llm) => {
      await llm.chat(request('b', { temperature: 0 }), { signal: signal() });
      await llm.chat(request('a'), { signal: signal() });
    });
    expect(two).toBe(one);
    expect(one.endsWith('\n')).toBe(true);
    expect(one).toContain('\n    "');
  });
});

describe('recording and replaying embeddings', () => {
  it('records provider embeddings, replays them offline, and never records the local embedder', async () => {
    const recordings = ModelRecordings.recording('e.json');
    const live = recordedEmbeddings(
      new Embeddings({ openai: createOpenAIEmbeddings({ baseURL: fake.url }) }),
      () => recordings,
    );
    const recorded = await live.embed(['alpha beta'], { signal: signal(), embedder: 'openai:text-embedding-3-small' });
    await live.embed(['local only'], { signal: signal(), embedder: 'local' });
    const text = recordings.serialize();
    expect(recordings.size).toBe(1);
    // A vector is one line of the file.
    expect(text).toMatch(/"vectors": \[\n\s+\[-?[0-9.e-]+(, -?[0-9.e-]+){63}\]\n/);

    const replaying = ModelRecordings.replaying('e.json', text);
    const offline = recordedEmbeddings(new Embeddings({}), () => replaying);
    const replayed = await offline.embed(['alpha beta'], {
      signal: signal(),
      embedder: 'openai:text-embedding-3-small',
    });
    expect(replayed.vectors).toEqual(recorded.vectors);
    await expect(
      offline.embed(['other'], { signal: signal(), embedder: 'openai:text-embedding-3-small' }),
    ).rejects.toMatchObject({ code: 'RECORDING_NOT_FOUND' });
    expect((await offline.embed(['x'], { signal: signal(), embedder: 'local' })).embedder).toBe('local');
  });
});

describe('recordings files', () => {
  it.each([
    ['not JSON', '{', '(root)'],
    ['another format', '{"format": "flowloom.test/v1", "recordings": {}}', 'format'],
    ['no recordings', `{"format": "${RECORDINGS_FORMAT}"}`, 'recordings'],
    ['a bad kind', `{"format": "${RECORDINGS_FORMAT}", "recordings": {"k": {"kind": "x"}}}`, 'recordings.k.kind'],
    [
      'a chat answer without message',
      `{"format": "${RECORDINGS_FORMAT}", "recordings": {"k": {"kind": "chat", "request": {}, "responses": [{}]}}}`,
      'recordings.k.responses.0.message',
    ],
  ])('refuses %s with VALIDATION_FAILED naming the file and the field', (_, text, field) => {
    let err: unknown;
    try {
      ModelRecordings.replaying('bad.recordings.json', text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('VALIDATION_FAILED');
    expect((err as AppError).message).toContain('bad.recordings.json');
    expect((err as AppError).details).toEqual([expect.objectContaining({ field })]);
  });
});

describe('the kernel with wrapped model services', () => {
  it('runs a flow from recordings: the engine calls the wrapper and knows nothing of it', async () => {
    const text = await recordWith((llm) =>
      llm.chat(request('Q: hi', { temperature: 0 }), { signal: signal(), onDelta: () => {} }),
    );
    const recordings = ModelRecordings.replaying('r.json', text);
    const dataDir = tempDir('recorded');
    const runtime = await createRuntime(
      testConfig({
        dataDir,
        wrapModels: {
          llm: (llm) => recordedLlm(llm, () => recordings),
          embeddings: (embeddings) => recordedEmbeddings(embeddings, () => recordings),
        },
      }),
    );
    try {
      const run = await runtime.runs.start(chatFlow(), { inputs: { question: 'hi' } }).done;
      expect(run.status).toBe('completed');
      expect(run.outputs).toEqual({ answer: 'echo: Q: hi' });
      const missing = await runtime.runs.start(chatFlow(), { inputs: { question: 'other' } }).done;
      expect(missing.status).toBe('failed');
      expect(missing.error?.code).toBe('RECORDING_NOT_FOUND');
      expect(missing.error?.message).toMatch(/^node "llm" failed: no recorded answer/);
    } finally {
      await runtime.close();
      removeTempDir(dataDir);
    }
  });
});
