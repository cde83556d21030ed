import { describe, expect, it } from 'vitest';
import type { NodeContext } from '../define.js';
import type { VectorQuery } from '../services.js';
import { toolRetriever } from './tool-retriever.js';

function setup() {
  const controller = new AbortController();
  const queries: { query: VectorQuery; signal: AbortSignal }[] = [];
  const logs: string[] = [];
  const ctx = {
    runId: 'r_1',
    flowId: 'f',
    nodeId: 'kb',
    spanId: 's_1',
    signal: controller.signal,
    request: {},
    services: {
      llm: { chat: async () => Promise.reject(new Error('unused')) },
      vectors: {
        upsert: async () => ({ upserted: 0 }),
        query: async (query: VectorQuery, options: { signal: AbortSignal }) => {
          queries.push({ query, signal: options.signal });
          return [{ id: 'a', text: 'Refunds are prorated.', metadata: { source: 'billing.md' }, score: 0.9 }];
        },
      },
    },
    delta() {},
    log(message: string) {
      logs.push(message);
    },
    addUsage() {},
    span: async () => Promise.reject(new Error('unused')),
  } as unknown as NodeContext;
  return { ctx, signal: controller.signal, queries, logs };
}

const params = {
  name: 'search_docs',
  description: 'Searches billing docs.',
  collection: 'billing',
  topK: 3,
  where: { source: 'billing.md' },
  minScore: undefined,
  embedder: '',
};

describe('tool-retriever', () => {
  it('publishes a tool with a query parameter, answered by this node', async () => {
    const { ctx } = setup();
    expect(await toolRetriever.execute({ inputs: {}, params }, ctx)).toEqual({
      tool: {
        name: 'search_docs',
        description: 'Searches billing docs.',
        parameters: {
          type: 'object',
          properties: { query: { type: 'string', description: 'What to search for, in natural language.' } },
          required: ['query'],
          additionalProperties: false,
        },
        nodeId: 'kb',
      },
    });
  });

  it("searches the collection with the model's query and returns passages with scores", async () => {
    const { ctx, signal, queries, logs } = setup();
    const result = await toolRetriever.invoke!({ query: 'refund policy' }, { inputs: {}, params }, ctx);
    expect(result).toEqual([{ text: 'Refunds are prorated.', score: 0.9, metadata: { source: 'billing.md' } }]);
    expect(queries).toEqual([
      {
        query: {
          collection: 'billing',
          text: 'refund policy',
          topK: 3,
          where: { source: 'billing.md' },
          minScore: undefined,
          embedder: undefined,
        },
        signal,
      },
    ]);
    expect(logs).toHaveLength(1);
  });

  it('fails the call (not the run) with TOOL_FAILED when the model gives no query', async () => {
    const { ctx, queries } = setup();
    await expect(toolRetriever.invoke!({}, { inputs: {}, params }, ctx)).rejects.toMatchObject({ code: 'TOOL_FAILED' });
    expect(queries).toHaveLength(0);
  });

  it('refuses a tool name the model API would reject', async () => {
    const { ctx } = setup();
    await expect(
      toolRetriever.execute({ inputs: {}, params: { ...params, name: 'search docs!' } }, ctx),
    ).rejects.toMatchObject({
      code: 'NODE_PARAM_INVALID',
    });
  });
});
