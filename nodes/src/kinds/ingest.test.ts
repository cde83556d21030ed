import { describe, expect, it } from 'vitest';
import type { NodeContext } from '../define.js';
import type { DocumentService, SplitOptions, VectorService } from '../services.js';
import type { Document, Progress, Usage } from '../spec/index.js';
import { ingest } from './ingest.js';

function setup(options: { upsertUsage?: Usage } = {}) {
  const controller = new AbortController();
  const upserts: { collection: string; ids: string[]; embedder?: string; signal: AbortSignal }[] = [];
  const splits: { source: Document; options: SplitOptions }[] = [];
  const loads: string[] = [];
  const logs: { message: string; progress?: Progress }[] = [];
  const usages: { usage: Usage; model?: string }[] = [];
  const vectors: VectorService = {
    upsert: async (collection, documents, opts) => {
      upserts.push({ collection, ids: documents.map((d) => d.id), embedder: opts.embedder, signal: opts.signal });
      return options.upsertUsage
        ? { upserted: documents.length, usage: options.upsertUsage }
        : { upserted: documents.length };
    },
    query: async () => [],
  };
  // Splits by line; a chunk's id is its source and text, like the real service's content hash.
  const documents: DocumentService = {
    load: async (fileId) => {
      loads.push(fileId);
      return {
        id: fileId,
        text: `file ${fileId} line 1\nfile ${fileId} line 2`,
        metadata: { source: `${fileId}.md`, fileId },
      };
    },
    split: (source, opts) => {
      splits.push({ source, options: opts });
      return source.text
        .split('\n')
        .filter(Boolean)
        .map((text, chunk) => ({
          id: `${source.metadata.source ?? source.id}:${text}`,
          text,
          metadata: { ...source.metadata, chunk },
        }));
    },
  };
  const ctx = {
    runId: 'r_1',
    flowId: 'f',
    nodeId: 'ingest',
    spanId: 's_1',
    signal: controller.signal,
    request: {},
    services: { llm: { chat: async () => Promise.reject(new Error('unused')) }, vectors, documents },
    delta() {},
    log(message: string, _data?: unknown, progress?: Progress) {
      logs.push(progress ? { message, progress } : { message });
    },
    addUsage(usage: Usage, _cost?: number, model?: string) {
      usages.push({ usage, model });
    },
    span: async () => Promise.reject(new Error('unused')),
  } as unknown as NodeContext;
  return { ctx, controller, upserts, splits, loads, logs, usages };
}

const params = {
  collection: 'docs',
  splitter: 'recursive',
  chunkSize: 1000,
  chunkOverlap: 150,
  embedder: 'local',
  source: 'text',
} as const;

describe('ingest', () => {
  it('splits text, documents and files, upserts with the embedder and signal, and outputs count, collection, ids', async () => {
    const { ctx, controller, upserts, splits, loads } = setup();
    const outputs = await ingest.execute(
      {
        inputs: {
          text: 'alpha\nbeta',
          documents: [{ id: 'd', text: 'gamma', metadata: { source: 'faq.md' } }],
          files: ['f_1', { id: 'f_2' }],
        },
        params: { ...params, splitter: 'markdown', chunkSize: 500, chunkOverlap: 50 },
      },
      ctx,
    );
    expect(loads).toEqual(['f_1', 'f_2']);
    expect(splits.map((s) => s.source.metadata.source)).toEqual(['text', 'faq.md', 'f_1.md', 'f_2.md']);
    expect(splits[0]!.options).toEqual({ splitter: 'markdown', chunkSize: 500, chunkOverlap: 50 });
    const ids = [
      'text:alpha',
      'text:beta',
      'faq.md:gamma',
      'f_1.md:file f_1 line 1',
      'f_1.md:file f_1 line 2',
      'f_2.md:file f_2 line 1',
      'f_2.md:file f_2 line 2',
    ];
    expect(outputs).toEqual({ count: 7, collection: 'docs', ids });
    expect(upserts).toEqual([{ collection: 'docs', ids, embedder: 'local', signal: controller.signal }]);
  });

  it('stores a chunk repeated within one ingestion once', async () => {
    const { ctx, upserts } = setup();
    const outputs = await ingest.execute({ inputs: { text: 'same\nsame\nother' }, params }, ctx);
    expect(outputs.count).toBe(2);
    expect(upserts[0]!.ids).toEqual(['text:same', 'text:other']);
  });

  it('upserts in batches and reports progress', async () => {
    const { ctx, upserts, logs } = setup();
    const text = Array.from({ length: 600 }, (_, i) => `line ${i}`).join('\n');
    const outputs = await ingest.execute({ inputs: { text }, params }, ctx);
    expect(outputs.count).toBe(600);
    expect(upserts.map((u) => u.ids.length)).toEqual([256, 256, 88]);
    expect(logs.map((l) => l.progress)).toEqual([
      { done: 0, total: 600 },
      { done: 256, total: 600 },
      { done: 512, total: 600 },
      { done: 600, total: 600 },
    ]);
  });

  it('counts provider usage of OpenAI-compatible embeddings', async () => {
    const { ctx, usages } = setup({ upsertUsage: { promptTokens: 12, completionTokens: 0 } });
    await ingest.execute(
      { inputs: { text: 'a' }, params: { ...params, embedder: 'openai:text-embedding-3-small' } },
      ctx,
    );
    expect(usages).toEqual([{ usage: { promptTokens: 12, completionTokens: 0 }, model: 'text-embedding-3-small' }]);
  });

  it('stops between batches when cancelled', async () => {
    const { ctx, controller, upserts } = setup();
    const text = Array.from({ length: 600 }, (_, i) => `line ${i}`).join('\n');
    const original = ctx.services.vectors!.upsert;
    ctx.services.vectors!.upsert = async (...args) => {
      const result = await original(...args);
      controller.abort();
      return result;
    };
    await expect(ingest.execute({ inputs: { text }, params }, ctx)).rejects.toThrow();
    expect(upserts).toHaveLength(1);
  });

  it('refuses overlap >= size, and malformed documents or files', async () => {
    const { ctx, upserts } = setup();
    await expect(
      ingest.execute({ inputs: { text: 'x' }, params: { ...params, chunkSize: 200, chunkOverlap: 200 } }, ctx),
    ).rejects.toMatchObject({ code: 'NODE_PARAM_INVALID', details: [{ param: 'chunkOverlap' }] });
    await expect(ingest.execute({ inputs: { documents: [{ nope: 1 }] }, params }, ctx)).rejects.toMatchObject({
      code: 'NODE_INPUT_INVALID',
      details: [{ input: 'documents', index: 0 }],
    });
    await expect(ingest.execute({ inputs: { files: [42] }, params }, ctx)).rejects.toMatchObject({
      code: 'NODE_INPUT_INVALID',
      details: [{ input: 'files', index: 0 }],
    });
    expect(upserts).toHaveLength(0);
  });

  it('stores nothing, without failing, when its inputs arrive empty', async () => {
    const { ctx, upserts, logs } = setup();
    expect(await ingest.execute({ inputs: { text: '  ', documents: undefined }, params }, ctx)).toEqual({
      count: 0,
      collection: 'docs',
      ids: [],
    });
    expect(upserts).toHaveLength(0);
    expect(logs).toEqual([{ message: 'nothing to ingest', progress: { done: 0, total: 0 } }]);
  });

  it('declares bounded chunk params', () => {
    expect(ingest.spec.params.find((p) => p.name === 'chunkSize')).toMatchObject({ min: 100, max: 8000 });
    expect(ingest.spec.params.find((p) => p.name === 'splitter')).toMatchObject({ options: ['recursive', 'markdown'] });
  });
});
