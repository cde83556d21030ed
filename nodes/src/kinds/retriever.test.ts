import { describe, expect, it } from 'vitest';
import type { NodeContext } from '../define.js';
import type { VectorQuery, VectorService } from '../services.js';
import type { Document } from '../spec/index.js';
import { retriever } from './retriever.js';

const found: Document[] = [{ id: 'a', text: 'Refunds are prorated.', metadata: { source: 'billing.md' }, score: 0.82 }];

function setup(vectors?: Partial<VectorService>) {
  const calls: { query: VectorQuery; signal: AbortSignal }[] = [];
  const controller = new AbortController();
  const service: VectorService = {
    upsert: async () => ({ upserted: 0 }),
    query: async (query, options) => {
      calls.push({ query, signal: options.signal });
      return found;
    },
    ...vectors,
  };
  const ctx = {
    runId: 'r_1',
    flowId: 'f',
    nodeId: 'search',
    spanId: 's_1',
    signal: controller.signal,
    request: {},
    services: { llm: { chat: async () => Promise.reject(new Error('unused')) }, vectors: service },
    delta() {},
    log() {},
    addUsage() {},
    span: async () => Promise.reject(new Error('unused')),
  } as unknown as NodeContext;
  return { ctx, calls, signal: controller.signal };
}

const defaults = { collection: 'docs', topK: 4, where: undefined, minScore: undefined, embedder: '' };

describe('retriever', () => {
  it('queries the collection with topK, where, minScore and the node signal', async () => {
    const { ctx, calls, signal } = setup();
    const params = { ...defaults, topK: 2, where: { source: 'billing.md' }, minScore: 0.5, embedder: 'local' };
    const outputs = await retriever.execute({ inputs: { query: 'refund?' }, params }, ctx);
    expect(outputs).toEqual({ documents: found });
    expect(calls).toEqual([
      {
        query: {
          collection: 'docs',
          text: 'refund?',
          topK: 2,
          where: { source: 'billing.md' },
          minScore: 0.5,
          embedder: 'local',
        },
        signal,
      },
    ]);
  });

  it('takes the collection from its input when wired (e.g. from an ingest node)', async () => {
    const { ctx, calls } = setup();
    await retriever.execute({ inputs: { query: 'q', collection: 'fresh' }, params: defaults }, ctx);
    expect(calls[0]!.query.collection).toBe('fresh');
  });

  it('leaves the embedder to the collection when the param is empty', async () => {
    const { ctx, calls } = setup();
    await retriever.execute({ inputs: { query: 'q' }, params: defaults }, ctx);
    expect(calls[0]!.query.embedder).toBeUndefined();
    expect(calls[0]!.query.where).toBeUndefined();
  });

  it('refuses an empty query and a where that is not an object', async () => {
    const { ctx, calls } = setup();
    await expect(retriever.execute({ inputs: { query: '  ' }, params: defaults }, ctx)).rejects.toMatchObject({
      code: 'NODE_INPUT_INVALID',
    });
    await expect(
      retriever.execute({ inputs: { query: 'q' }, params: { ...defaults, where: [1] } }, ctx),
    ).rejects.toMatchObject({
      code: 'NODE_PARAM_INVALID',
    });
    expect(calls).toHaveLength(0);
  });

  it('passes store errors such as COLLECTION_NOT_FOUND through', async () => {
    const err = Object.assign(new Error('collection "nope" does not exist'), {
      name: 'AppError',
      code: 'COLLECTION_NOT_FOUND',
    });
    const { ctx } = setup({ query: async () => Promise.reject(err) });
    await expect(retriever.execute({ inputs: { query: 'q' }, params: defaults }, ctx)).rejects.toBe(err);
  });

  it('fails with VECTOR_STORE_UNAVAILABLE when the runtime has no vector store', async () => {
    const { ctx } = setup();
    const bare = { ...ctx, services: { llm: ctx.services.llm } } as NodeContext;
    await expect(retriever.execute({ inputs: { query: 'q' }, params: defaults }, bare)).rejects.toMatchObject({
      code: 'VECTOR_STORE_UNAVAILABLE',
    });
  });

  it('declares bounded params in its catalog entry', () => {
    const topK = retriever.spec.params.find((p) => p.name === 'topK');
    expect(topK).toMatchObject({ kind: 'number', min: 1, max: 50, default: 4 });
    expect(retriever.spec.params.find((p) => p.name === 'minScore')).toMatchObject({ min: 0, max: 1 });
  });
});
