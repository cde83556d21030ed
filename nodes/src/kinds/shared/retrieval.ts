import type { NodeContext } from '../../define.js';
import type { DocumentService, VectorService } from '../../services.js';
import { AppError, type ParamSpec } from '../../spec/index.js';

/** The collection a retrieval kind reads or writes (Chroma naming rules). */
export const collectionParam = {
  name: 'collection',
  kind: 'collection',
  required: true,
  default: 'docs',
  maxLength: 512,
  description: 'Collection name: 3-512 characters from letters, digits, ".", "_" and "-".',
} as const satisfies ParamSpec;

export const topKParam = {
  name: 'topK',
  kind: 'number',
  default: 4,
  min: 1,
  max: 50,
  integer: true,
  overridable: true,
  description: 'How many documents to return, best first.',
} as const satisfies ParamSpec;

export const whereParam = {
  name: 'where',
  kind: 'json',
  description: 'Metadata filter in Chroma syntax, e.g. {"source": "faq.md"} or {"chunk": {"$lt": 3}}.',
} as const satisfies ParamSpec;

export const minScoreParam = {
  name: 'minScore',
  kind: 'number',
  min: 0,
  max: 1,
  description: 'Drop documents whose similarity score (0 to 1) is below this.',
} as const satisfies ParamSpec;

/** Query side: empty means the embedder the collection was built with. */
export const queryEmbedderParam = {
  name: 'embedder',
  kind: 'string',
  default: '',
  maxLength: 200,
  description: '"local" or "openai:<model>"; empty uses the one the collection was built with. Another fails.',
} as const satisfies ParamSpec;

/** The vector store, or a clear error when the runtime has none. */
export function vectorsOf(ctx: NodeContext): VectorService {
  const vectors = ctx.services.vectors;
  if (!vectors) throw new AppError('VECTOR_STORE_UNAVAILABLE', 'no vector store is configured in this runtime');
  return vectors;
}

export function documentsOf(ctx: NodeContext): DocumentService {
  const documents = ctx.services.documents;
  if (!documents) throw new AppError('NODE_FAILED', 'document loading is not available in this runtime');
  return documents;
}

/** Checks a `where` param is a JSON object (or absent). */
export function whereOf(value: unknown): Record<string, unknown> | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new AppError('NODE_PARAM_INVALID', 'param "where" must be a JSON object', {
      details: [{ param: 'where', message: 'must be a JSON object' }],
    });
  }
  return value as Record<string, unknown>;
}
