import { defineNode } from '../define.js';
import { AppError, type ToolRef } from '../spec/index.js';
import {
  collectionParam,
  minScoreParam,
  queryEmbedderParam,
  topKParam,
  vectorsOf,
  whereOf,
  whereParam,
} from './shared/retrieval.js';
import { isToolName } from './shared/tool.js';

export const toolRetriever = defineNode({
  spec: {
    type: 'tool-retriever',
    version: 1,
    title: 'Retriever tool',
    category: 'tools',
    keywords: ['agent', 'rag', 'vector', 'search', 'knowledge'],
    description:
      'Lets a model search a collection: wire it into a function-call node; the model calls it with a query and gets the closest passages.',
    inputs: [],
    outputs: [{ name: 'tool', dataType: 'tool', description: 'The tool, for a function-call node.' }],
    params: [
      {
        name: 'name',
        kind: 'string',
        required: true,
        default: 'search_documents',
        maxLength: 64,
        description: 'Tool name the model sees: letters, digits, "_" and "-".',
      },
      {
        name: 'description',
        kind: 'text',
        default: 'Searches the knowledge base and returns the most relevant passages for a query.',
        maxLength: 2000,
        description: 'Tells the model when to use the tool.',
      },
      collectionParam,
      topKParam,
      whereParam,
      minScoreParam,
      queryEmbedderParam,
    ],
  },
  async execute({ params }, ctx) {
    if (!isToolName(params.name)) {
      throw new AppError('NODE_PARAM_INVALID', 'param "name" must be 1-64 letters, digits, "_" or "-"', {
        details: [{ param: 'name', message: 'invalid tool name' }],
      });
    }
    const tool: ToolRef = {
      name: params.name,
      description: params.description,
      parameters: {
        type: 'object',
        properties: { query: { type: 'string', description: 'What to search for, in natural language.' } },
        required: ['query'],
        additionalProperties: false,
      },
      nodeId: ctx.nodeId,
    };
    return { tool };
  },
  async invoke(args, { params }, ctx) {
    const query = args.query;
    if (typeof query !== 'string' || !query.trim()) {
      throw new AppError('TOOL_FAILED', 'the "query" argument must be a non-empty string');
    }
    const documents = await vectorsOf(ctx).query(
      {
        collection: params.collection,
        text: query,
        topK: params.topK,
        where: whereOf(params.where),
        minScore: params.minScore,
        embedder: params.embedder || undefined,
      },
      { signal: ctx.signal },
    );
    ctx.log(`found ${documents.length} documents in "${params.collection}"`, {
      query,
      ids: documents.map((doc) => doc.id),
    });
    return documents.map((doc) => ({ text: doc.text, score: doc.score, metadata: doc.metadata }));
  },
});
