import { defineNode } from '../define.js';
import { AppError } from '../spec/index.js';
import {
  collectionParam,
  minScoreParam,
  queryEmbedderParam,
  topKParam,
  vectorsOf,
  whereOf,
  whereParam,
} from './shared/retrieval.js';

export const retriever = defineNode({
  spec: {
    type: 'retriever',
    version: 1,
    title: 'Retriever',
    category: 'retrieval',
    keywords: ['rag', 'vector', 'search', 'embedding', 'chroma', 'knowledge', 'similarity', 'context'],
    description:
      'Finds the stored documents closest to a query in a collection, best first, each with a similarity score from 0 to 1.',
    inputs: [
      { name: 'query', dataType: 'text', required: true, description: 'What to search for.' },
      {
        name: 'collection',
        dataType: 'text',
        description:
          "Overrides the collection param. Wire an ingest node's collection output here to search after it stored.",
      },
    ],
    outputs: [
      {
        name: 'documents',
        dataType: 'documents',
        description: 'Matches with text, metadata and score; joined as text.',
      },
    ],
    params: [collectionParam, topKParam, whereParam, minScoreParam, queryEmbedderParam],
  },
  async execute({ inputs, params }, ctx) {
    const text = typeof inputs.query === 'string' ? inputs.query : String(inputs.query ?? '');
    if (!text.trim()) throw new AppError('NODE_INPUT_INVALID', 'retriever needs a non-empty query');
    const documents = await vectorsOf(ctx).query(
      {
        collection: typeof inputs.collection === 'string' && inputs.collection ? inputs.collection : params.collection,
        text,
        topK: params.topK,
        where: whereOf(params.where),
        minScore: params.minScore,
        embedder: params.embedder || undefined,
      },
      { signal: ctx.signal },
    );
    return { documents };
  },
});
