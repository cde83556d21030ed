import { Type } from 'typebox';

export const CollectionParams = Type.Object({
  name: Type.String({
    pattern: '^[a-zA-Z0-9][a-zA-Z0-9._-]{1,510}[a-zA-Z0-9]$',
    description: 'Collection name: 3-512 characters from letters, digits, ".", "_" and "-".',
  }),
});

export const Collection = Type.Object({
  name: Type.String(),
  count: Type.Integer({ description: 'Records (chunks) stored.' }),
  embedder: Type.Union([Type.String(), Type.Null()], { description: '"local" or "openai:<model>"; null if unknown.' }),
  dimension: Type.Union([Type.Integer(), Type.Null()]),
  metadata: Type.Record(Type.String(), Type.Unknown()),
});

export const CollectionsResponse = Type.Object({ collections: Type.Array(Collection) });

/** One file in a JSON upload: its name (the type comes from the extension) and its content. */
const JsonFile = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 255, description: 'File name; its extension picks the loader.' }),
    text: Type.Optional(Type.String({ description: 'Content as text (txt, md, html, json, csv).' })),
    contentBase64: Type.Optional(Type.String({ description: 'Content as base64 (any type, required for pdf).' })),
    mediaType: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

export const IngestOptions = {
  splitter: Type.Optional(
    Type.Union([Type.Literal('recursive'), Type.Literal('markdown')], {
      description: 'Default: markdown for md and html files, recursive for the others.',
    }),
  ),
  chunkSize: Type.Optional(Type.Integer({ minimum: 100, maximum: 8000, default: 1000 })),
  chunkOverlap: Type.Optional(Type.Integer({ minimum: 0, maximum: 4000, default: 150 })),
  embedder: Type.Optional(Type.String({ maxLength: 200, description: '"local" (default) or "openai:<model>".' })),
};

export const UploadJsonBody = Type.Object(
  { files: Type.Array(JsonFile, { minItems: 1, maxItems: 20 }) },
  { additionalProperties: false },
);

/** A file part of a multipart upload; any field name (`file`, `files`) is taken. */
const FilePart = Type.String({ format: 'binary', description: 'A file part; its file name picks the loader.' });

/**
 * The multipart form of `POST /api/uploads`, for the OpenAPI document: the handler reads the parts as they stream in
 * and checks them itself (schemas of multipart bodies are not used for validation, see http/app.ts).
 */
export const UploadForm = Type.Object({ file: Type.Array(FilePart, { minItems: 1, maxItems: 20 }) });

/** The multipart form of `POST /api/collections/:name/documents`: file parts and the ingest options as text fields. */
export const IngestForm = Type.Object({
  file: Type.Array(FilePart, { minItems: 1, maxItems: 20 }),
  splitter: IngestOptions.splitter,
  chunkSize: Type.Optional(Type.String({ description: 'A whole number from 100 to 8000 (default 1000).' })),
  chunkOverlap: Type.Optional(Type.String({ description: 'A whole number from 0 to 4000, less than chunkSize.' })),
  embedder: IngestOptions.embedder,
});

export const IngestJsonBody = Type.Object(
  { files: Type.Array(JsonFile, { minItems: 1, maxItems: 20 }), ...IngestOptions },
  { additionalProperties: false },
);

export const StoredFile = Type.Object({
  id: Type.String({ description: 'Content-derived id; pass it to an ingest node\'s "files" input.' }),
  name: Type.String(),
  type: Type.String(),
  size: Type.Integer(),
  createdAt: Type.String(),
});

export const UploadResponse = Type.Object({ files: Type.Array(StoredFile) });

export const IngestResponse = Type.Object({
  collection: Type.String(),
  count: Type.Integer({ description: 'Chunks stored (new or updated).' }),
  ids: Type.Array(Type.String()),
  embedder: Type.String(),
  files: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      type: Type.String(),
      size: Type.Integer(),
      chunks: Type.Integer(),
    }),
  ),
});

/** A chunk as stored: its text and metadata (`source`, `chunk`, `fileId`, `type`, `headingPath`...). */
const Chunk = Type.Object({
  id: Type.String(),
  text: Type.String(),
  metadata: Type.Record(Type.String(), Type.Unknown()),
});

export const PreviewResponse = Type.Object({
  count: Type.Integer({ description: 'Chunks in all the files.' }),
  chunkSize: Type.Integer(),
  chunkOverlap: Type.Integer(),
  files: Type.Array(
    Type.Object({
      name: Type.String(),
      type: Type.String(),
      size: Type.Integer(),
      splitter: Type.String(),
      chunkCount: Type.Integer({ description: 'Chunks of this file.' }),
      chunks: Type.Array(Chunk, { description: 'Its first 100 chunks.' }),
    }),
  ),
});

export const DocumentsResponse = Type.Object({
  collection: Type.String(),
  documents: Type.Array(
    Type.Object({
      source: Type.String({ description: 'The file name (or source) its chunks share.' }),
      chunks: Type.Integer(),
      fileId: Type.Optional(Type.String()),
      type: Type.Optional(Type.String()),
    }),
  ),
  isPartial: Type.Boolean({ description: 'True when the collection is too large to list every document.' }),
});

export const SourceQuery = Type.Object(
  { source: Type.String({ minLength: 1, maxLength: 1000, description: 'The document: its chunks’ `source`.' }) },
  { additionalProperties: false },
);

export const ChunksQuery = Type.Object(
  {
    source: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, description: 'Only this document’s chunks.' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  },
  { additionalProperties: false },
);

export const ChunksResponse = Type.Object({
  chunks: Type.Array(Chunk),
  total: Type.Integer(),
  offset: Type.Integer(),
  limit: Type.Integer(),
});

export const ChunkParams = Type.Object({
  name: CollectionParams.properties.name,
  chunkId: Type.String({ minLength: 1, maxLength: 200 }),
});

export const DeletedResponse = Type.Object({ deleted: Type.Integer({ description: 'Chunks deleted.' }) });

export const QueryBody = Type.Object(
  {
    query: Type.String({ minLength: 1, maxLength: 8000 }),
    topK: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, default: 4 })),
    minScore: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  },
  { additionalProperties: false },
);

export const QueryResponse = Type.Object({
  documents: Type.Array(
    Type.Object({ ...Chunk.properties, score: Type.Number({ description: 'Similarity, 0 to 1 (1 = the same).' }) }),
  ),
});
