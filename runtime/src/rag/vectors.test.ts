import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Document } from '@flowloom/nodes';
import { type FakeOpenAI, startFakeOpenAI } from '@flowloom/test/fake-openai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Embeddings, openAiEmbed } from './embeddings.js';
import { ChromaVectors, normalizeWhere, scoreOf, toChromaMetadata } from './vectors.js';

const runtimeDir = fileURLToPath(new URL('../..', import.meta.url));
const signal = new AbortController().signal;
let dataDir: string;
let fake: FakeOpenAI;
let vectors: ChromaVectors;

const docs: Document[] = [
  {
    id: 'pw',
    text: 'To reset your password open Account settings and choose Reset password.',
    metadata: { source: 'account.md', chunk: 0 },
  },
  {
    id: 'inv',
    text: 'Invoices are emailed on the first business day of each month.',
    metadata: { source: 'billing.md', chunk: 0 },
  },
  {
    id: 'ref',
    text: 'Refunds for annual plans are prorated to the day.',
    metadata: { source: 'billing.md', chunk: 1 },
  },
];

beforeAll(async () => {
  dataDir = await mkdtemp(join(runtimeDir, '.chroma-data-vectors-'));
  fake = await startFakeOpenAI({ embeddingDimensions: 48 });
  const client = new OpenAI({ baseURL: fake.url, apiKey: 'x', maxRetries: 0 });
  vectors = new ChromaVectors({ dataDir, embeddings: new Embeddings({ openai: openAiEmbed(client) }) });
  await vectors.upsert('support-docs', docs, { signal });
});
afterAll(async () => {
  await vectors?.close();
  await fake?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('helpers', () => {
  it('flattens metadata to Chroma scalars', () => {
    expect(toChromaMetadata({ a: 1, b: 'x', c: true, d: null, e: undefined, f: ['h1', 'h2'], g: Number.NaN })).toEqual({
      a: 1,
      b: 'x',
      c: true,
      f: '["h1","h2"]',
    });
  });
  it('wraps several top-level where keys in $and', () => {
    expect(normalizeWhere({})).toBeUndefined();
    expect(normalizeWhere({ a: 1 })).toEqual({ a: 1 });
    expect(normalizeWhere({ a: 1, b: { $gt: 2 } })).toEqual({ $and: [{ a: 1 }, { b: { $gt: 2 } }] });
    expect(() => normalizeWhere([] as unknown as Record<string, unknown>)).toThrowError(
      expect.objectContaining({ code: 'NODE_PARAM_INVALID' }),
    );
  });
  it('turns cosine distance into a score in [0, 1]', () => {
    expect(scoreOf(0)).toBe(1);
    expect(scoreOf(0.25)).toBe(0.75);
    expect(scoreOf(1.4)).toBe(0);
  });
});

describe('ChromaVectors on a managed Chroma server', () => {
  it('reports the managed server in health', async () => {
    expect(await vectors.health()).toMatchObject({ status: 'ok', managed: true, url: expect.stringMatching(/^http:/) });
  });

  it('queries by similarity, best first, with scores in [0, 1]', async () => {
    const found = await vectors.query(
      { collection: 'support-docs', text: 'how to reset my password', topK: 2 },
      { signal },
    );
    expect(found).toHaveLength(2);
    expect(found[0]).toMatchObject({ id: 'pw', metadata: { source: 'account.md', chunk: 0 } });
    expect(found[0]!.score).toBeGreaterThan(found[1]!.score!);
    for (const doc of found) expect(doc.score).toBeGreaterThanOrEqual(0);
  });

  it('filters by metadata and by minimum score', async () => {
    const billing = await vectors.query(
      { collection: 'support-docs', text: 'reset password', topK: 5, where: { source: 'billing.md' } },
      { signal },
    );
    expect(billing.map((d) => d.id).sort()).toEqual(['inv', 'ref']);
    const strict = await vectors.query(
      { collection: 'support-docs', text: 'reset password', topK: 5, minScore: 0.3 },
      { signal },
    );
    expect(strict.map((d) => d.id)).toEqual(['pw']);
  });

  it('stores an id once however often it is upserted', async () => {
    await vectors.upsert('support-docs', docs, { signal });
    expect(await vectors.collectionInfo('support-docs')).toMatchObject({ count: 3, embedder: 'local', dimension: 384 });
  });

  it('lists collections with counts and embedders', async () => {
    const list = await vectors.listCollections();
    expect(list).toContainEqual(
      expect.objectContaining({ name: 'support-docs', count: 3, embedder: 'local', dimension: 384 }),
    );
  });

  it('refuses another embedder on query and upsert with EMBEDDER_MISMATCH', async () => {
    await expect(
      vectors.query(
        { collection: 'support-docs', text: 'x', topK: 1, embedder: 'openai:text-embedding-3-small' },
        { signal },
      ),
    ).rejects.toMatchObject({ code: 'EMBEDDER_MISMATCH' });
    await expect(
      vectors.upsert('support-docs', docs, { signal, embedder: 'openai:text-embedding-3-small' }),
    ).rejects.toMatchObject({ code: 'EMBEDDER_MISMATCH' });
  });

  it('builds and queries a collection with an OpenAI-compatible embedder', async () => {
    const result = await vectors.upsert('openai-docs', docs, { signal, embedder: 'openai:text-embedding-3-small' });
    expect(result).toMatchObject({ upserted: 3, embedder: 'openai:text-embedding-3-small' });
    expect(result.usage?.promptTokens).toBeGreaterThan(0);
    // Without an explicit embedder, a query uses the one the collection recorded.
    const found = await vectors.query({ collection: 'openai-docs', text: docs[1]!.text, topK: 1 }, { signal });
    expect(found[0]).toMatchObject({ id: 'inv' });
    expect(found[0]!.score).toBeCloseTo(1, 5);
    await expect(
      vectors.query({ collection: 'openai-docs', text: 'x', topK: 1, embedder: 'local' }, { signal }),
    ).rejects.toMatchObject({ code: 'EMBEDDER_MISMATCH' });
  });

  it('answers COLLECTION_NOT_FOUND, NODE_PARAM_INVALID for bad names and bad where', async () => {
    await expect(vectors.query({ collection: 'missing', text: 'x', topK: 1 }, { signal })).rejects.toMatchObject({
      code: 'COLLECTION_NOT_FOUND',
    });
    await expect(vectors.query({ collection: 'a', text: 'x', topK: 1 }, { signal })).rejects.toMatchObject({
      code: 'NODE_PARAM_INVALID',
    });
    await expect(
      vectors.query({ collection: 'support-docs', text: 'x', topK: 1, where: { source: { $foo: 1 } } }, { signal }),
    ).rejects.toMatchObject({ code: 'NODE_PARAM_INVALID' });
  });

  it('finds a collection deleted and recreated behind its cached handle', async () => {
    await vectors.upsert('recreated', docs.slice(0, 1), { signal });
    await vectors.query({ collection: 'recreated', text: 'x', topK: 1 }, { signal });
    await vectors.deleteCollection('recreated');
    await expect(vectors.query({ collection: 'recreated', text: 'x', topK: 1 }, { signal })).rejects.toMatchObject({
      code: 'COLLECTION_NOT_FOUND',
    });
    await vectors.upsert('recreated', docs.slice(1, 2), { signal });
    const found = await vectors.query({ collection: 'recreated', text: 'x', topK: 1 }, { signal });
    expect(found.map((d) => d.id)).toEqual(['inv']);
  });

  it('recreates a collection deleted behind its cached handle on upsert', async () => {
    await vectors.upsert('deleted-elsewhere', docs.slice(0, 1), { signal });
    const other = new ChromaVectors({ url: await vectors.ready(), embeddings: new Embeddings() });
    await other.deleteCollection('deleted-elsewhere');
    await vectors.upsert('deleted-elsewhere', docs.slice(1, 3), { signal });
    expect(await vectors.collectionInfo('deleted-elsewhere')).toMatchObject({ count: 2, embedder: 'local' });
  });

  it('stops at an aborted signal', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      vectors.query({ collection: 'support-docs', text: 'x', topK: 1 }, { signal: controller.signal }),
    ).rejects.toThrow();
  });
});

describe('ChromaVectors with CHROMA_URL', () => {
  it('uses the given server and reports it as not managed', async () => {
    const external = new ChromaVectors({ url: await vectors.ready(), embeddings: new Embeddings() });
    expect(external.server).toBeNull();
    expect(await external.health()).toMatchObject({ status: 'ok', managed: false });
    const found = await external.query({ collection: 'support-docs', text: 'invoice', topK: 1 }, { signal });
    expect(found[0]).toMatchObject({ id: 'inv' });
  });

  it('reports an unreachable server as down', async () => {
    const external = new ChromaVectors({ url: 'http://127.0.0.1:9', embeddings: new Embeddings() });
    expect(await external.health()).toMatchObject({ status: 'down', managed: false });
    await expect(external.listCollections()).rejects.toMatchObject({ code: 'VECTOR_STORE_UNAVAILABLE' });
  });
});
