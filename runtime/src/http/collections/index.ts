import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError, type Document, type SplitOptions } from '@flowloom/nodes';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { errorResponses } from '../errors.js';
import {
  ChunkParams,
  ChunksQuery,
  ChunksResponse,
  CollectionParams,
  Collection as CollectionSchema,
  CollectionsResponse,
  DeletedResponse,
  DocumentsResponse,
  IngestForm,
  IngestJsonBody,
  IngestResponse,
  PreviewResponse,
  QueryBody,
  QueryResponse,
  SourceQuery,
  UploadForm,
  UploadJsonBody,
  UploadResponse,
} from './schemas.js';

/** Largest file of a multipart upload (a JSON body, files included, is at most 1 MiB like every JSON body). */
export const MAX_FILE_BYTES = 20 * 1024 * 1024;
const MAX_FILES = 20;

interface UploadedFile {
  name: string;
  data: Uint8Array;
  mediaType?: string;
}

interface JsonFile {
  name: string;
  text?: string;
  contentBase64?: string;
  mediaType?: string;
}

const problem = (field: string, message: string) =>
  new AppError('VALIDATION_FAILED', `${field} ${message}`, { details: [{ field, message }] });

function fromJson(files: JsonFile[]): UploadedFile[] {
  return files.map((file, i) => {
    if ((file.text === undefined) === (file.contentBase64 === undefined)) {
      throw problem(`body.files.${i}`, 'needs exactly one of "text" and "contentBase64"');
    }
    const data =
      file.text !== undefined
        ? new TextEncoder().encode(file.text)
        : new Uint8Array(Buffer.from(file.contentBase64!, 'base64'));
    return file.mediaType ? { name: file.name, data, mediaType: file.mediaType } : { name: file.name, data };
  });
}

/** Reads a multipart upload: every file part, and the text fields. */
async function fromMultipart(
  request: FastifyRequest,
  maxTotalBytes = MAX_FILES * MAX_FILE_BYTES,
): Promise<{ files: UploadedFile[]; fields: Record<string, string> }> {
  const files: UploadedFile[] = [];
  const fields: Record<string, string> = {};
  let total = 0;
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        const data = new Uint8Array(await part.toBuffer());
        total += data.byteLength;
        // Refused as soon as the files passed it: the rest of the upload is not buffered.
        if (total > maxTotalBytes) {
          throw new AppError('BODY_TOO_LARGE', `body.files: at most ${maxTotalBytes} bytes of files in total here`, {
            details: [{ field: 'body.files', message: `at most ${maxTotalBytes} bytes in total` }],
          });
        }
        files.push({ name: part.filename || part.fieldname, data, mediaType: part.mimetype });
      } else {
        fields[part.fieldname] = String(part.value);
      }
    }
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE') {
      throw new AppError('BODY_TOO_LARGE', `a file is larger than ${MAX_FILE_BYTES} bytes`, { cause: err });
    }
    if (code === 'FST_FILES_LIMIT')
      throw new AppError('BODY_TOO_LARGE', `at most ${MAX_FILES} files per upload`, { cause: err });
    if (code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') {
      throw new AppError('BAD_REQUEST', 'too many form fields', { cause: err });
    }
    throw err;
  }
  if (files.length === 0) throw problem('body.files', 'needs at least one file part');
  return { files, fields };
}

/** Ingest options from multipart text fields, checked like the JSON body. */
function optionsFromFields(fields: Record<string, string>): {
  splitter?: SplitOptions['splitter'];
  chunkSize?: number;
  chunkOverlap?: number;
  embedder?: string;
} {
  const details: { field: string; message: string }[] = [];
  const int = (name: string, min: number, max: number): number | undefined => {
    const raw = fields[name];
    if (raw === undefined || raw === '') return undefined;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      details.push({ field: `body.${name}`, message: `must be a whole number from ${min} to ${max}` });
    }
    return value;
  };
  const splitter = fields.splitter || undefined;
  if (splitter !== undefined && splitter !== 'recursive' && splitter !== 'markdown') {
    details.push({ field: 'body.splitter', message: 'must be recursive or markdown' });
  }
  const out = {
    splitter: splitter as SplitOptions['splitter'] | undefined,
    chunkSize: int('chunkSize', 100, 8000),
    chunkOverlap: int('chunkOverlap', 0, 4000),
    embedder: fields.embedder || undefined,
  };
  for (const name of Object.keys(fields)) {
    if (!['splitter', 'chunkSize', 'chunkOverlap', 'embedder'].includes(name)) {
      details.push({ field: `body.${name}`, message: 'is not an allowed field' });
    }
  }
  if (details.length > 0) {
    throw new AppError('VALIDATION_FAILED', `${details[0]!.field} ${details[0]!.message}`, { details });
  }
  return out;
}

/**
 * `POST /api/uploads` only stores files: a text field (a split option, say) would do nothing there, so it is refused
 * like an unknown JSON field. Split options belong to the ingest node, or to `POST /api/collections/:name/documents`.
 */
function refuseFields(fields: Record<string, string>): void {
  const details = Object.keys(fields).map((name) => ({ field: `body.${name}`, message: 'is not an allowed field' }));
  const [first] = details;
  if (first) throw new AppError('VALIDATION_FAILED', `${first.field} ${first.message}`, { details });
}

type IngestOptions = ReturnType<typeof optionsFromFields>;

/** The files and split options of an ingest (or preview) request, multipart or JSON, checked. */
async function ingestRequest(
  request: FastifyRequest,
  maxTotalBytes = MAX_FILES * MAX_FILE_BYTES,
): Promise<{
  files: UploadedFile[];
  options: IngestOptions;
  chunkSize: number;
  chunkOverlap: number;
}> {
  let files: UploadedFile[];
  let options: IngestOptions;
  if (request.isMultipart()) {
    const upload = await fromMultipart(request, maxTotalBytes);
    files = upload.files;
    options = optionsFromFields(upload.fields);
  } else {
    const body = request.body as { files: JsonFile[] } & IngestOptions;
    files = fromJson(body.files);
    options = body;
  }
  const chunkSize = options.chunkSize ?? 1000;
  const chunkOverlap = options.chunkOverlap ?? Math.min(150, Math.floor(chunkSize / 4));
  if (chunkOverlap >= chunkSize) throw problem('body.chunkOverlap', 'must be less than chunkSize');
  return { files, options, chunkSize, chunkOverlap };
}

/** The splitter a file gets: the one asked for, else markdown for md and html, recursive for the rest. */
function splitterFor(type: string, asked: SplitOptions['splitter'] | undefined): SplitOptions['splitter'] {
  return asked ?? (type === 'md' || type === 'html' ? 'markdown' : 'recursive');
}

/** How many chunks of each file a preview shows. */
const PREVIEW_CHUNKS = 100;
/** The most file bytes one preview reads (all files together): a preview holds them all while it splits. */
export const PREVIEW_MAX_BYTES = MAX_FILE_BYTES;

/** Aborted when the client goes away before the answer is sent. */
function requestSignal(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort(new AppError('BAD_REQUEST', 'the client closed the request'));
  });
  return controller.signal;
}

/**
 * Collections for the editor (`GET /api/collections` with counts and embedders) and file uploads: `POST /api/uploads`
 * stores files for ingest nodes (by id); `POST /api/collections/:name/documents` stores, splits, embeds and upserts
 * them in one go. Both take multipart/form-data (file parts; the ingest route also the text fields of its options) or
 * JSON (`files: [{name, text | contentBase64}]`, at most 1 MiB like every JSON body).
 */
export const collections: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(multipart, {
    limits: { fileSize: MAX_FILE_BYTES, files: MAX_FILES, fields: 10, fieldSize: 1000, parts: MAX_FILES + 10 },
  });
  const tags = ['collections'];

  app.get(
    '/collections',
    { schema: { tags, summary: 'List collections', response: { 200: CollectionsResponse, ...errorResponses } } },
    async () => ({ collections: await app.runtime.vectors.listCollections() }),
  );

  app.get(
    '/collections/:name',
    {
      schema: {
        tags,
        summary: 'One collection',
        params: CollectionParams,
        response: { 200: CollectionSchema, ...errorResponses },
      },
    },
    async (request) => app.runtime.vectors.collectionInfo(request.params.name),
  );

  app.delete(
    '/collections/:name',
    {
      schema: {
        tags,
        summary: 'Delete a collection',
        params: CollectionParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await app.runtime.vectors.deleteCollection(request.params.name);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/uploads',
    {
      schema: {
        tags,
        summary: 'Upload files for ingest nodes',
        description:
          'Stores files, nothing more: how they are split and embedded is up to the ingest node that takes their ids. ' +
          'multipart/form-data (file parts, up to 20 files of 20 MiB) or JSON (at most 1 MiB in all).',
        body: {
          content: {
            'application/json': { schema: UploadJsonBody },
            'multipart/form-data': { schema: UploadForm },
          },
        },
        response: { 200: UploadResponse, ...errorResponses },
      },
    },
    async (request) => {
      let files: UploadedFile[];
      if (request.isMultipart()) {
        const upload = await fromMultipart(request);
        refuseFields(upload.fields);
        files = upload.files;
      } else {
        files = fromJson((request.body as { files: JsonFile[] }).files);
      }
      const stored = [];
      for (const file of files) stored.push((await app.runtime.documents.save(file)).file);
      return { files: stored };
    },
  );

  app.post(
    '/collections/:name/documents',
    {
      schema: {
        tags,
        summary: 'Ingest files into a collection',
        description:
          'Stores, splits, embeds and upserts files in one go. multipart/form-data (file parts, up to 20 files of ' +
          '20 MiB, and the text fields splitter, chunkSize, chunkOverlap, embedder) or JSON (at most 1 MiB in all).',
        params: CollectionParams,
        body: {
          content: {
            'application/json': { schema: IngestJsonBody },
            'multipart/form-data': { schema: IngestForm },
          },
        },
        response: { 200: IngestResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const signal = requestSignal(reply);
      const { files, options, chunkSize, chunkOverlap } = await ingestRequest(request);

      const chunks = new Map<string, Document>();
      const report = [];
      for (const upload of files) {
        const { file, document } = await app.runtime.documents.save(upload);
        const splitter = splitterFor(file.type, options.splitter);
        const pieces = app.runtime.documents.split(document, { splitter, chunkSize, chunkOverlap });
        for (const piece of pieces) chunks.set(piece.id, piece);
        report.push({ ...file, chunks: pieces.length });
      }
      if (chunks.size === 0) throw new AppError('BAD_REQUEST', 'the uploaded files contain no text');
      const all = [...chunks.values()];
      const result = await app.runtime.vectors.upsert(request.params.name, all, { signal, embedder: options.embedder });
      return {
        collection: request.params.name,
        count: all.length,
        ids: all.map((chunk) => chunk.id),
        embedder: result.embedder,
        files: report.map(({ id, name, type, size, chunks: n }) => ({ id, name, type, size, chunks: n })),
      };
    },
  );

  app.post(
    '/uploads/preview',
    {
      schema: {
        tags,
        summary: 'Preview how files would be split',
        description:
          'The chunks an ingest with the same files and options would store (the first 100 of each file), with ' +
          'nothing stored or embedded. Same bodies as `POST /api/collections/:name/documents`, with at most 20 MiB ' +
          'of files in total (413 `BODY_TOO_LARGE` naming `body.files` beyond).',
        body: {
          content: {
            'application/json': { schema: IngestJsonBody },
            'multipart/form-data': { schema: IngestForm },
          },
        },
        response: { 200: PreviewResponse, ...errorResponses },
      },
    },
    async (request) => {
      const { files, options, chunkSize, chunkOverlap } = await ingestRequest(request, PREVIEW_MAX_BYTES);
      let count = 0;
      const report = [];
      for (const upload of files) {
        const { file, document } = await app.runtime.documents.read(upload);
        const splitter = splitterFor(file.type, options.splitter);
        // Counted past the chunks shown, not built: one file's pieces at a time.
        const preview = app.runtime.documents.preview(document, { splitter, chunkSize, chunkOverlap }, PREVIEW_CHUNKS);
        count += preview.count;
        report.push({
          name: file.name,
          type: file.type,
          size: file.size,
          splitter,
          chunkCount: preview.count,
          chunks: preview.chunks,
        });
      }
      return { count, chunkSize, chunkOverlap, files: report };
    },
  );

  app.get(
    '/collections/:name/documents',
    {
      schema: {
        tags,
        summary: 'The documents of a collection',
        description: 'Its chunks grouped by `source` (the file name of an upload), with their counts.',
        params: CollectionParams,
        response: { 200: DocumentsResponse, ...errorResponses },
      },
    },
    async (request) => ({
      collection: request.params.name,
      ...(await app.runtime.vectors.documents(request.params.name)),
    }),
  );

  app.delete(
    '/collections/:name/documents',
    {
      schema: {
        tags,
        summary: 'Delete a document from a collection',
        description: 'Deletes every chunk whose `source` is the one given; 404 when none has it.',
        params: CollectionParams,
        querystring: SourceQuery,
        response: { 200: DeletedResponse, ...errorResponses },
      },
    },
    async (request) => {
      const { name } = request.params;
      const deleted = await app.runtime.vectors.deleteChunks(name, { source: request.query.source });
      if (deleted === 0)
        throw new AppError('NOT_FOUND', `collection "${name}" has no document "${request.query.source}"`, {
          details: [{ field: 'querystring.source', message: 'no chunk has this source' }],
        });
      return { deleted };
    },
  );

  app.get(
    '/collections/:name/chunks',
    {
      schema: {
        tags,
        summary: 'Browse the chunks of a collection',
        description: 'A page of chunks (of one document with `source`), in the order stored, and how many in all.',
        params: CollectionParams,
        querystring: ChunksQuery,
        response: { 200: ChunksResponse, ...errorResponses },
      },
    },
    async (request) => {
      const { source, limit = 50, offset = 0 } = request.query;
      const page = await app.runtime.vectors.chunks(request.params.name, {
        ...(source !== undefined && { source }),
        limit,
        offset,
      });
      return { ...page, limit, offset };
    },
  );

  app.delete(
    '/collections/:name/chunks/:chunkId',
    {
      schema: {
        tags,
        summary: 'Delete one chunk',
        params: ChunkParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { name, chunkId } = request.params;
      const deleted = await app.runtime.vectors.deleteChunks(name, { ids: [chunkId] });
      if (deleted === 0)
        throw new AppError('NOT_FOUND', `collection "${name}" has no chunk "${chunkId}"`, {
          details: [{ field: 'params.chunkId', message: 'no such chunk' }],
        });
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/collections/:name/query',
    {
      schema: {
        tags,
        summary: 'Test a query',
        description:
          'The chunks closest to a query, best first, each with its similarity score, as a retriever node with ' +
          'this collection finds them (the collection’s own embedder).',
        params: CollectionParams,
        body: QueryBody,
        response: { 200: QueryResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { query, topK = 4, minScore } = request.body;
      const documents = await app.runtime.vectors.query(
        { collection: request.params.name, text: query, topK, ...(minScore !== undefined && { minScore }) },
        { signal: requestSignal(reply) },
      );
      return { documents: documents.map((d) => ({ ...d, score: d.score ?? 0 })) };
    },
  );
};
