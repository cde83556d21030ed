import { defineNode } from '../define.js';
import { AppError, type Document } from '../spec/index.js';
import { collectionParam, documentsOf, vectorsOf } from './shared/retrieval.js';

/** Chunks per embed-and-upsert round: progress is reported and the signal checked after each. */
const BATCH = 256;

function fileIds(value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  const ids = Array.isArray(value) ? value : [value];
  return ids.map((id, i) => {
    if (typeof id === 'string' && id) return id;
    if (id && typeof id === 'object' && typeof (id as { id?: unknown }).id === 'string')
      return (id as { id: string }).id;
    throw new AppError('NODE_INPUT_INVALID', `input "files"[${i}] must be a file id or {id}`, {
      details: [{ input: 'files', index: i, message: 'expected a file id' }],
    });
  });
}

function asDocuments(value: unknown): Document[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    throw new AppError('NODE_INPUT_INVALID', 'input "documents" must be an array of {text, metadata}', {
      details: [{ input: 'documents', message: 'expected an array' }],
    });
  }
  return value.map((doc, i) => {
    const item = (typeof doc === 'string' ? { text: doc } : doc) as Partial<Document> | null;
    if (!item || typeof item.text !== 'string') {
      throw new AppError('NODE_INPUT_INVALID', `input "documents"[${i}] has no text`, {
        details: [{ input: 'documents', index: i, message: 'expected {text}' }],
      });
    }
    const metadata = item.metadata && typeof item.metadata === 'object' ? item.metadata : {};
    return { id: typeof item.id === 'string' && item.id ? item.id : `doc-${i}`, text: item.text, metadata };
  });
}

export const ingest = defineNode({
  spec: {
    type: 'ingest',
    version: 1,
    title: 'Ingest',
    category: 'retrieval',
    keywords: ['rag', 'vector', 'embedding', 'chroma', 'upload', 'document', 'chunk', 'index', 'knowledge'],
    description:
      'Splits text, documents or uploaded files into chunks, embeds them and stores them in a collection. Chunk ids come from the content, so ingesting the same document twice stores it once.',
    inputs: [
      { name: 'text', dataType: 'text', description: 'Text to store; its source metadata is the "source" param.' },
      { name: 'documents', dataType: 'documents', description: 'Documents ({text, metadata}) to store.' },
      {
        name: 'files',
        dataType: 'json',
        description: 'Ids of files uploaded with POST /api/uploads or POST /api/collections/{name}/documents.',
      },
    ],
    outputs: [
      { name: 'count', dataType: 'number', description: 'Chunks stored (new or updated).' },
      { name: 'collection', dataType: 'text', description: 'The collection name.' },
      { name: 'ids', dataType: 'json', description: 'Ids of the stored chunks.' },
    ],
    params: [
      collectionParam,
      {
        name: 'splitter',
        kind: 'select',
        options: ['recursive', 'markdown'],
        default: 'recursive',
        description:
          'recursive: by paragraphs, lines, sentences, words. markdown: by headings, keeping the heading path.',
      },
      {
        name: 'chunkSize',
        kind: 'number',
        default: 1000,
        min: 100,
        max: 8000,
        integer: true,
        description: 'Largest chunk, in characters.',
      },
      {
        name: 'chunkOverlap',
        kind: 'number',
        default: 150,
        min: 0,
        max: 4000,
        integer: true,
        description: 'Characters repeated between neighbouring chunks; less than chunkSize.',
      },
      {
        name: 'embedder',
        kind: 'string',
        default: 'local',
        maxLength: 200,
        description: '"local" (built in, no network) or "openai:<model>" (the configured provider).',
      },
      {
        name: 'source',
        kind: 'string',
        default: 'text',
        maxLength: 500,
        description: 'Source metadata of the text input.',
      },
    ],
  },
  async execute({ inputs, params }, ctx) {
    if (params.chunkOverlap >= params.chunkSize) {
      throw new AppError('NODE_PARAM_INVALID', 'param "chunkOverlap" must be less than "chunkSize"', {
        details: [{ param: 'chunkOverlap', message: 'must be less than chunkSize' }],
      });
    }
    const vectors = vectorsOf(ctx);
    const documents = documentsOf(ctx);
    const sources: Document[] = [];
    if (typeof inputs.text === 'string' && inputs.text.trim()) {
      sources.push({ id: params.source, text: inputs.text, metadata: { source: params.source } });
    }
    sources.push(...asDocuments(inputs.documents));
    for (const id of fileIds(inputs.files)) sources.push(await documents.load(id, { signal: ctx.signal }));
    if (sources.length === 0) {
      // An optional input left empty (e.g. a flow run without new documents) is not an error: nothing to store.
      ctx.log('nothing to ingest', { collection: params.collection }, { done: 0, total: 0 });
      return { count: 0, collection: params.collection, ids: [] };
    }

    const options = { splitter: params.splitter, chunkSize: params.chunkSize, chunkOverlap: params.chunkOverlap };
    // Content ids: a chunk repeated within this ingestion is stored once.
    const chunks = new Map<string, Document>();
    for (const source of sources) for (const chunk of documents.split(source, options)) chunks.set(chunk.id, chunk);
    const all = [...chunks.values()];
    ctx.log(
      `split ${sources.length} document(s) into ${all.length} chunks`,
      { collection: params.collection },
      { done: 0, total: all.length },
    );

    for (let start = 0; start < all.length; start += BATCH) {
      ctx.signal.throwIfAborted();
      const batch = all.slice(start, start + BATCH);
      const result = await vectors.upsert(params.collection, batch, { signal: ctx.signal, embedder: params.embedder });
      if (result.usage) ctx.addUsage(result.usage, undefined, params.embedder.replace(/^openai:/, ''));
      const done = start + batch.length;
      if (all.length > BATCH) ctx.log(`stored ${done} of ${all.length} chunks`, undefined, { done, total: all.length });
    }
    return { count: all.length, collection: params.collection, ids: all.map((chunk) => chunk.id) };
  },
});
