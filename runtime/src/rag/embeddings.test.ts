import { isAppError } from '@flowloom/nodes';
import { type FakeOpenAI, startFakeOpenAI } from '@flowloom/test/fake-openai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Embeddings, LOCAL_DIMENSION, localEmbed, openAiEmbed, parseEmbedder } from './embeddings.js';

const signal = new AbortController().signal;
const dot = (a: number[], b: number[]) => a.reduce((sum, value, i) => sum + value * (b[i] ?? 0), 0);

describe('localEmbed', () => {
  it('is deterministic, 384-dimensional and L2-normalised', () => {
    const a = localEmbed('Reset your password from the account page.');
    expect(a).toHaveLength(LOCAL_DIMENSION);
    expect(localEmbed('Reset your password from the account page.')).toEqual(a);
    expect(Math.hypot(...a)).toBeCloseTo(1, 10);
  });

  it('places related texts closer than unrelated ones', () => {
    const query = localEmbed('how do I reset my password?');
    const related = localEmbed('To reset a password, open Account settings and choose Reset password.');
    const unrelated = localEmbed('Invoices are emailed on the first business day of each month.');
    expect(dot(query, related)).toBeGreaterThan(dot(query, unrelated) + 0.2);
  });

  it('gives text without words a valid unit vector', () => {
    const v = localEmbed('  ...  ');
    expect(Math.hypot(...v)).toBeCloseTo(1, 10);
  });
});

describe('parseEmbedder', () => {
  it('accepts local, openai:<model> and defaults to local', () => {
    expect(parseEmbedder(undefined)).toEqual({ kind: 'local', name: 'local' });
    expect(parseEmbedder('openai:text-embedding-3-small')).toEqual({
      kind: 'openai',
      model: 'text-embedding-3-small',
      name: 'openai:text-embedding-3-small',
    });
  });

  it('refuses anything else with NODE_PARAM_INVALID', () => {
    expect(() => parseEmbedder('bert')).toThrowError(expect.objectContaining({ code: 'NODE_PARAM_INVALID' }));
  });
});

describe('Embeddings', () => {
  let fake: FakeOpenAI;
  beforeAll(async () => {
    fake = await startFakeOpenAI({ embeddingDimensions: 32 });
  });
  afterAll(async () => {
    await fake.close();
  });

  it('embeds locally by default', async () => {
    const result = await new Embeddings().embed(['a b', 'c'], { signal });
    expect(result.embedder).toBe('local');
    expect(result.vectors).toEqual([localEmbed('a b'), localEmbed('c')]);
  });

  it('uses the OpenAI-compatible provider for openai:<model>, in batches and in order', async () => {
    const client = new OpenAI({ baseURL: fake.url, apiKey: 'x', maxRetries: 0 });
    const embeddings = new Embeddings({ openai: openAiEmbed(client), batchSize: 2 });
    const result = await embeddings.embed(['one', 'two', 'three'], {
      signal,
      embedder: 'openai:text-embedding-3-small',
    });
    expect(result.embedder).toBe('openai:text-embedding-3-small');
    expect(result.vectors).toHaveLength(3);
    expect(result.vectors[0]).toHaveLength(32);
    expect(result.usage?.promptTokens).toBeGreaterThan(0);
    const single = await embeddings.embed(['three'], { signal, embedder: 'openai:text-embedding-3-small' });
    expect(single.vectors[0]).toEqual(result.vectors[2]);
  });

  it('fails with PROVIDER_NOT_CONFIGURED without a provider', async () => {
    const err = await new Embeddings().embed(['x'], { signal, embedder: 'openai:m' }).catch((e: unknown) => e);
    expect(isAppError(err) && err.code).toBe('PROVIDER_NOT_CONFIGURED');
  });

  it('honours an aborted signal', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(new Embeddings().embed(['x'], { signal: controller.signal })).rejects.toThrow();
  });

  it('embeds 10,000 chunks of 500 characters locally', async () => {
    const text = 'Flowloom retrieves documents from Chroma with a local embedder and no network. '.repeat(7);
    const texts = Array.from({ length: 10_000 }, (_, i) => `${i} ${text}`.slice(0, 500));
    const result = await new Embeddings().embed(texts, { signal });
    expect(result.vectors).toHaveLength(10_000);
  });
});
