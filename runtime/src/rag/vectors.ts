import { join } from 'node:path';
import {
  AppError,
  type Document,
  type EmbeddingService,
  isAppError,
  type Usage,
  type VectorQuery,
  type VectorService,
} from '@flowloom/nodes';
import {
  ChromaClient,
  ChromaClientError,
  ChromaConnectionError,
  ChromaNotFoundError,
  ChromaValueError,
  type Collection,
  type Metadata,
  type Where,
} from 'chromadb';
import { type ChromaLog, ChromaServer, type VectorStoreHealth } from './chroma-server.js';
import { parseEmbedder } from './embeddings.js';

export type { VectorStoreHealth, VectorStoreStatus } from './chroma-server.js';

/** Chroma's own rule for collection names. */
export const COLLECTION_NAME = /^[a-zA-Z0-9](?:[a-zA-Z0-9._-]{1,510})[a-zA-Z0-9]$/;

export interface VectorsOptions {
  /** An external Chroma (CHROMA_URL). When unset, the runtime runs its own server under `<dataDir>/chroma`. */
  url?: string;
  /** The runtime's data folder; required when `url` is unset. */
  dataDir?: string;
  embeddings: EmbeddingService;
  log?: ChromaLog;
  /** Start the managed server right away, in the background (default: on first use). */
  startInBackground?: boolean;
  /** Records per Chroma upsert request. */
  batchSize?: number;
}

/** A collection as `GET /api/collections` lists it. */
export interface CollectionInfo {
  name: string;
  count: number;
  /** The embedder that built it (`local`, `openai:<model>`), null for collections made outside Flowloom. */
  embedder: string | null;
  dimension: number | null;
  metadata: Record<string, unknown>;
}

/** A document of a collection: the chunks that share a `source` (the file name of an upload). */
export interface CollectionDocument {
  source: string;
  chunks: number;
  /** The uploaded file it came from, when it came from one. */
  fileId?: string;
  type?: string;
}

/** The most records `documents()` reads to group them: a collection larger than this lists its first ones only. */
const MAX_SCANNED = 200_000;

interface Handle {
  collection: Collection;
  embedder: string | null;
  dimension: number | null;
}

type ChromaMetadataValue = string | number | boolean;

/** Chroma keeps only scalar metadata: objects and arrays become JSON, null and undefined are dropped. */
export function toChromaMetadata(metadata: Record<string, unknown>): Metadata {
  const out: Record<string, ChromaMetadataValue> = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (value === null || value === undefined) continue;
    if (typeof value === 'string' || typeof value === 'boolean') out[key] = value;
    else if (typeof value === 'number') {
      if (Number.isFinite(value)) out[key] = value;
    } else out[key] = JSON.stringify(value);
  }
  return out;
}

/** Chroma wants one operator per level: `{a: 1, b: 2}` becomes `{$and: [{a: 1}, {b: 2}]}`. */
export function normalizeWhere(where: Record<string, unknown> | undefined): Where | undefined {
  if (where === undefined || where === null) return undefined;
  if (typeof where !== 'object' || Array.isArray(where)) {
    throw new AppError('NODE_PARAM_INVALID', 'where must be a JSON object', {
      details: [{ param: 'where', message: 'expected an object' }],
    });
  }
  const entries = Object.entries(where);
  if (entries.length === 0) return undefined;
  if (entries.length === 1) return where as Where;
  return { $and: entries.map(([key, value]) => ({ [key]: value })) } as Where;
}

/** Similarity in [0, 1] from a cosine distance in [0, 2]. */
export function scoreOf(distance: number | null | undefined): number {
  if (distance === null || distance === undefined || Number.isNaN(distance)) return 0;
  return Math.min(1, Math.max(0, 1 - distance));
}

function mismatch(collection: string, built: string, requested: string): AppError {
  return new AppError(
    'EMBEDDER_MISMATCH',
    `collection "${collection}" was built with embedder "${built}", not "${requested}"`,
    {
      status: 409,
      details: [{ collection, embedder: built, requested }],
    },
  );
}

function checkName(name: string): void {
  if (typeof name !== 'string' || !COLLECTION_NAME.test(name)) {
    throw new AppError(
      'NODE_PARAM_INVALID',
      `collection "${name}" is not a valid name: 3-512 characters from a-z A-Z 0-9 . _ -, starting and ending with a letter or digit`,
      { details: [{ param: 'collection', message: 'invalid collection name' }] },
    );
  }
}

/** Resolves with `promise`, or rejects with the signal's reason as soon as it aborts. */
function withSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

function storeError(err: unknown, context: { collection?: string; where?: unknown }): unknown {
  if (isAppError(err) || (err instanceof Error && err.name === 'AbortError')) return err;
  if (err instanceof ChromaConnectionError) {
    return new AppError('VECTOR_STORE_UNAVAILABLE', 'the vector store (Chroma) is not reachable', {
      cause: err,
      retryable: true,
    });
  }
  if (err instanceof ChromaNotFoundError && context.collection) {
    return new AppError('COLLECTION_NOT_FOUND', `collection "${context.collection}" does not exist`, {
      cause: err,
      details: [{ collection: context.collection }],
    });
  }
  if ((err instanceof ChromaValueError || err instanceof ChromaClientError) && context.where !== undefined) {
    const reason = err.message.replace(/^Bad request to \S+ with status: /, '');
    return new AppError('NODE_PARAM_INVALID', `where: ${reason}`, {
      cause: err,
      details: [{ param: 'where', message: reason }],
    });
  }
  if (err instanceof Error && err.name.startsWith('Chroma')) {
    return new AppError('NODE_FAILED', `vector store: ${err.message}`, { cause: err });
  }
  return err;
}

/**
 * VectorService on Chroma. Collections use cosine space and record the embedder and dimension that built them
 * in their metadata; a query or upsert with another embedder fails with EMBEDDER_MISMATCH.
 */
export class ChromaVectors implements VectorService {
  readonly #server: ChromaServer | null;
  readonly #externalUrl: string | null;
  readonly #embeddings: EmbeddingService;
  readonly #batchSize: number;
  #client: { url: string; client: ChromaClient; handles: Map<string, Handle>; maxBatch?: number } | null = null;

  constructor(options: VectorsOptions) {
    this.#embeddings = options.embeddings;
    this.#batchSize = options.batchSize ?? 1000;
    if (options.url) {
      this.#externalUrl = options.url.replace(/\/+$/, '');
      this.#server = null;
    } else {
      if (!options.dataDir) throw new Error('ChromaVectors needs `url` or `dataDir`');
      this.#externalUrl = null;
      this.#server = new ChromaServer({ path: join(options.dataDir, 'chroma'), log: options.log });
      if (options.startInBackground) this.#server.start().catch(() => {});
    }
  }

  /** The managed server, when the runtime runs Chroma itself. */
  get server(): ChromaServer | null {
    return this.#server;
  }

  /** Starts the managed server (if any) and resolves once Chroma answers. */
  async ready(): Promise<string> {
    return (await this.#connect()).url;
  }

  /** `vectorStore` of `GET /api/health`: never throws, never starts a lazy server. */
  async health(): Promise<VectorStoreHealth> {
    if (this.#server) return this.#server.health();
    const url = this.#externalUrl!;
    try {
      const answer = await fetch(`${url}/api/v2/heartbeat`, { signal: AbortSignal.timeout(2_000) });
      return answer.ok
        ? { status: 'ok', url, managed: false }
        : { status: 'down', url, managed: false, error: `heartbeat answered ${answer.status}` };
    } catch (err) {
      return { status: 'down', url, managed: false, error: err instanceof Error ? err.message : String(err) };
    }
  }

  /** Stops the managed server. */
  async close(): Promise<void> {
    await this.#server?.stop();
  }

  async upsert(
    collection: string,
    documents: Document[],
    options: { signal: AbortSignal; embedder?: string },
  ): Promise<{ upserted: number; embedder: string; usage?: Usage }> {
    checkName(collection);
    const choice = parseEmbedder(options.embedder);
    if (documents.length === 0) return { upserted: 0, embedder: choice.name };
    try {
      // Refuse a mismatch before paying for embeddings.
      const existing = await this.#handle(collection, options.signal).catch((err: unknown) => {
        if (err instanceof ChromaNotFoundError) return null;
        throw err;
      });
      if (existing?.embedder && existing.embedder !== choice.name)
        throw mismatch(collection, existing.embedder, choice.name);
    } catch (err) {
      throw storeError(err, { collection });
    }
    const { vectors, embedder, usage } = await this.#embeddings.embed(
      documents.map((doc) => doc.text),
      { signal: options.signal, embedder: choice.name },
    );
    const dimension = vectors[0]?.length ?? 0;
    try {
      const connection = await withSignal(this.#connect(), options.signal);
      const batch = Math.min(this.#batchSize, connection.maxBatch ?? this.#batchSize);
      const write = async () => {
        const handle = await withSignal(this.#getOrCreate(collection, embedder, dimension), options.signal);
        for (let start = 0; start < documents.length; start += batch) {
          options.signal.throwIfAborted();
          const slice = documents.slice(start, start + batch);
          await withSignal(
            handle.collection.upsert({
              ids: slice.map((doc) => doc.id),
              embeddings: vectors.slice(start, start + batch),
              documents: slice.map((doc) => doc.text),
              metadatas: slice.map((doc) => toChromaMetadata(doc.metadata)),
            }),
            options.signal,
          );
        }
      };
      try {
        await write();
      } catch (err) {
        // A cached handle of a collection deleted elsewhere: create it afresh once (upserts are idempotent).
        if (!(err instanceof ChromaNotFoundError)) throw err;
        connection.handles.delete(collection);
        await write();
      }
    } catch (err) {
      throw storeError(err, { collection });
    }
    return usage ? { upserted: documents.length, embedder, usage } : { upserted: documents.length, embedder };
  }

  async query(query: VectorQuery & { embedder?: string }, options: { signal: AbortSignal }): Promise<Document[]> {
    checkName(query.collection);
    const where = normalizeWhere(query.where);
    try {
      let handle = await this.#handle(query.collection, options.signal);
      const embedder = this.#embedderFor(handle, query.collection, query.embedder);
      const { vectors } = await this.#embeddings.embed([query.text], { signal: options.signal, embedder });
      const vector = vectors[0]!;
      if (handle.dimension !== null && vector.length !== handle.dimension) {
        throw new AppError(
          'EMBEDDER_MISMATCH',
          `collection "${query.collection}" holds ${handle.dimension}-dimensional vectors; "${embedder}" gives ${vector.length}`,
          { status: 409, details: [{ collection: query.collection, dimension: handle.dimension, got: vector.length }] },
        );
      }
      const run = (h: Handle) =>
        withSignal(
          h.collection.query({
            queryEmbeddings: [vector],
            nResults: query.topK,
            where,
            include: ['documents', 'metadatas', 'distances'],
          }),
          options.signal,
        );
      let result: Awaited<ReturnType<typeof run>>;
      try {
        result = await run(handle);
      } catch (err) {
        // The cached handle may point at a collection deleted and recreated elsewhere: look it up once more.
        if (!(err instanceof ChromaNotFoundError)) throw err;
        this.#client?.handles.delete(query.collection);
        handle = await this.#handle(query.collection, options.signal);
        result = await run(handle);
      }
      const ids = result.ids[0] ?? [];
      const texts = result.documents[0] ?? [];
      const metadatas = result.metadatas[0] ?? [];
      const distances = result.distances[0] ?? [];
      const found: Document[] = [];
      for (let i = 0; i < ids.length; i++) {
        const score = scoreOf(distances[i]);
        if (query.minScore !== undefined && score < query.minScore) continue;
        found.push({ id: ids[i]!, text: texts[i] ?? '', metadata: { ...(metadatas[i] ?? {}) }, score });
      }
      return found;
    } catch (err) {
      throw storeError(err, { collection: query.collection, where });
    }
  }

  /** Every collection with its record count and embedder. */
  async listCollections(): Promise<CollectionInfo[]> {
    try {
      const { client } = await this.#connect();
      const collections: Collection[] = [];
      for (let offset = 0; ; offset += 100) {
        const page = await client.listCollections({ limit: 100, offset });
        collections.push(...page);
        if (page.length < 100) break;
      }
      const infos = await Promise.all(
        collections.map(async (collection) => {
          const metadata = { ...(collection.metadata ?? {}) } as Record<string, unknown>;
          return {
            name: collection.name,
            count: await collection.count(),
            embedder: typeof metadata.embedder === 'string' ? metadata.embedder : null,
            dimension: typeof metadata.dimension === 'number' ? metadata.dimension : null,
            metadata,
          };
        }),
      );
      return infos.sort((a, b) => a.name.localeCompare(b.name));
    } catch (err) {
      throw storeError(err, {});
    }
  }

  /** One collection's info; COLLECTION_NOT_FOUND when unknown. */
  async collectionInfo(name: string): Promise<CollectionInfo> {
    checkName(name);
    try {
      const handle = await this.#handle(name, new AbortController().signal);
      return {
        name,
        count: await handle.collection.count(),
        embedder: handle.embedder,
        dimension: handle.dimension,
        metadata: { ...(handle.collection.metadata ?? {}) },
      };
    } catch (err) {
      throw storeError(err, { collection: name });
    }
  }

  /**
   * The documents of a collection, by `source`, with their chunk counts, in the order first stored. Reads the chunks'
   * metadata in pages; COLLECTION_NOT_FOUND when unknown.
   */
  async documents(name: string): Promise<{ documents: CollectionDocument[]; isPartial: boolean }> {
    checkName(name);
    try {
      const { collection } = await this.#handle(name, new AbortController().signal);
      const bySource = new Map<string, CollectionDocument>();
      const page = 1000;
      let offset = 0;
      for (; offset < MAX_SCANNED; offset += page) {
        const got = await collection.get({ include: ['metadatas'], limit: page, offset });
        for (const metadata of got.metadatas) {
          const source = typeof metadata?.source === 'string' ? metadata.source : '(no source)';
          const entry = bySource.get(source) ?? { source, chunks: 0 };
          entry.chunks++;
          if (typeof metadata?.fileId === 'string') entry.fileId = metadata.fileId;
          if (typeof metadata?.type === 'string') entry.type = metadata.type;
          bySource.set(source, entry);
        }
        if (got.ids.length < page) return { documents: [...bySource.values()], isPartial: false };
      }
      return { documents: [...bySource.values()], isPartial: true };
    } catch (err) {
      throw storeError(err, { collection: name });
    }
  }

  /** A page of a collection's chunks (one document's, with `source`), with how many there are in all. */
  async chunks(
    name: string,
    options: { source?: string; limit: number; offset: number },
  ): Promise<{ chunks: Document[]; total: number }> {
    checkName(name);
    const where = options.source === undefined ? undefined : ({ source: options.source } as Where);
    try {
      const { collection } = await this.#handle(name, new AbortController().signal);
      const total =
        where === undefined ? await collection.count() : (await collection.get({ where, include: [] })).ids.length;
      const got = await collection.get({
        where,
        limit: options.limit,
        offset: options.offset,
        include: ['documents', 'metadatas'],
      });
      const chunks = got.ids.map((id, i) => ({
        id,
        text: got.documents[i] ?? '',
        metadata: { ...(got.metadatas[i] ?? {}) },
      }));
      return { chunks, total };
    } catch (err) {
      throw storeError(err, { collection: name });
    }
  }

  /**
   * Deletes chunks by id, or every chunk of a document (`source`). Returns how many were deleted: 0 when none
   * matched. COLLECTION_NOT_FOUND when the collection is unknown.
   */
  async deleteChunks(name: string, which: { ids: string[] } | { source: string }): Promise<number> {
    checkName(name);
    try {
      const { collection } = await this.#handle(name, new AbortController().signal);
      const where = 'source' in which ? ({ source: which.source } as Where) : undefined;
      const found = await collection.get({ ...('ids' in which ? { ids: which.ids } : { where }), include: [] });
      if (found.ids.length === 0) return 0;
      await collection.delete({ ids: found.ids });
      return found.ids.length;
    } catch (err) {
      throw storeError(err, { collection: name });
    }
  }

  /** Deletes a collection; COLLECTION_NOT_FOUND when unknown. */
  async deleteCollection(name: string): Promise<void> {
    checkName(name);
    try {
      const connection = await this.#connect();
      connection.handles.delete(name);
      await connection.client.deleteCollection({ name });
    } catch (err) {
      throw storeError(err, { collection: name });
    }
  }

  #embedderFor(handle: Handle, collection: string, requested: string | undefined): string {
    const wanted = requested?.trim() ? parseEmbedder(requested).name : undefined;
    if (wanted && handle.embedder && wanted !== handle.embedder) throw mismatch(collection, handle.embedder, wanted);
    return wanted ?? handle.embedder ?? 'local';
  }

  async #connect() {
    const url = this.#server ? await this.#server.start() : this.#externalUrl!;
    if (this.#client?.url !== url) {
      const parsed = new URL(url);
      const client = new ChromaClient({
        host: parsed.hostname,
        port: Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80)),
        ssl: parsed.protocol === 'https:',
      });
      this.#client = { url, client, handles: new Map() };
      try {
        this.#client.maxBatch = await client.getMaxBatchSize();
      } catch {
        // older servers: keep our own batch size
      }
    }
    return this.#client;
  }

  async #handle(name: string, signal: AbortSignal): Promise<Handle> {
    const connection = await withSignal(this.#connect(), signal);
    const cached = connection.handles.get(name);
    if (cached) return cached;
    const collection = await withSignal(connection.client.getCollection({ name }), signal);
    const handle = this.#toHandle(collection);
    connection.handles.set(name, handle);
    return handle;
  }

  #toHandle(collection: Collection): Handle {
    const metadata = collection.metadata ?? {};
    return {
      collection,
      embedder: typeof metadata.embedder === 'string' ? metadata.embedder : null,
      dimension: typeof metadata.dimension === 'number' ? metadata.dimension : null,
    };
  }

  async #getOrCreate(name: string, embedder: string, dimension: number): Promise<Handle> {
    const connection = await this.#connect();
    let handle = connection.handles.get(name);
    if (!handle) {
      const collection = await connection.client.getOrCreateCollection({
        name,
        embeddingFunction: null,
        configuration: { hnsw: { space: 'cosine' } },
        metadata: { embedder, dimension, createdBy: 'flowloom' },
      });
      handle = this.#toHandle(collection);
      connection.handles.set(name, handle);
    }
    if (handle.embedder !== null && handle.embedder !== embedder) throw mismatch(name, handle.embedder, embedder);
    if (handle.dimension !== null && handle.dimension !== dimension) {
      throw new AppError(
        'EMBEDDER_MISMATCH',
        `collection "${name}" holds ${handle.dimension}-dimensional vectors; "${embedder}" gives ${dimension}`,
        { status: 409, details: [{ collection: name, dimension: handle.dimension, got: dimension }] },
      );
    }
    return handle;
  }
}
