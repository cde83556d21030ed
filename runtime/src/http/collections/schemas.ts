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
