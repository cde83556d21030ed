import { type Collection, HttpError, request } from '../api/http';
import { authHeaders, reportUnauthorized } from '../auth/token';

export type { Collection };

const enc = encodeURIComponent;

/** An error as the page says it. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A chunk as stored (or as a preview would store it). */
export interface Chunk {
  id: string;
  text: string;
  metadata: Record<string, unknown>;
  score?: number;
}

export interface CollectionDocument {
  source: string;
  chunks: number;
  fileId?: string;
  type?: string;
}

export interface PreviewAnswer {
  count: number;
  chunkSize: number;
  chunkOverlap: number;
  files: { name: string; type: string; size: number; splitter: string; chunkCount: number; chunks: Chunk[] }[];
}

export interface IngestAnswer {
  collection: string;
  count: number;
  embedder: string;
  files: { id: string; name: string; type: string; size: number; chunks: number }[];
}

/** How files are split (and embedded) when ingested: the form's options, as multipart text fields. */
export interface SplitChoice {
  chunkSize: number;
  chunkOverlap: number;
  /** `auto`: markdown for md and html, recursive for the rest. */
  splitter: 'auto' | 'recursive' | 'markdown';
  embedder?: string;
}

/** The files the ingest node reads (runtime/src/rag/documents/loaders.ts). */
export const FILE_ACCEPT = '.txt,.md,.markdown,.html,.htm,.json,.csv,.pdf';

function formOf(files: readonly File[], choice: SplitChoice): FormData {
  const form = new FormData();
  // Text fields first: the runtime reads the parts in order.
  form.append('chunkSize', String(choice.chunkSize));
  form.append('chunkOverlap', String(choice.chunkOverlap));
  if (choice.splitter !== 'auto') form.append('splitter', choice.splitter);
  if (choice.embedder) form.append('embedder', choice.embedder);
  for (const file of files) form.append('file', file, file.name);
  return form;
}

/**
 * Sends a multipart form with XMLHttpRequest, whose upload events give progress (fetch has none): `onProgress` gets
 * the share of bytes sent, 0 to 1. Errors are `HttpError`s, as the fetch wrapper's.
 */
function sendForm<T>(path: string, form: FormData, onProgress?: (sent: number) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    for (const [name, value] of Object.entries({ accept: 'application/json', ...authHeaders() }))
      xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress?.(e.loaded / e.total);
    };
    // Every byte is sent (also when the browser gave no progress on the way).
    xhr.upload.onload = () => onProgress?.(1);
    xhr.onerror = () =>
      reject(new HttpError(0, { code: 'INTERNAL', message: 'The runtime cannot be reached (upload failed)' }));
    xhr.onload = () => {
      let json: unknown;
      try {
        json = xhr.responseText ? JSON.parse(xhr.responseText) : undefined;
      } catch {
        json = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(json as T);
      if (xhr.status === 401) reportUnauthorized();
      const error = (json as { error?: HttpError['body'] } | undefined)?.error;
      reject(new HttpError(xhr.status, error ?? { code: 'INTERNAL', message: `POST ${path}: HTTP ${xhr.status}` }));
    };
    xhr.send(form);
  });
}

/** The Knowledge page's API: collections, their documents and chunks, previews, ingests and test queries. */
export const knowledgeApi = {
  collections: () => request<{ collections: Collection[] }>('GET', '/api/collections').then((r) => r.collections),
  collection: (name: string) => request<Collection>('GET', `/api/collections/${enc(name)}`),
  deleteCollection: (name: string) => request<unknown>('DELETE', `/api/collections/${enc(name)}`),
  documents: (name: string) =>
    request<{ documents: CollectionDocument[]; isPartial: boolean }>('GET', `/api/collections/${enc(name)}/documents`),
  deleteDocument: (name: string, source: string) =>
    request<{ deleted: number }>('DELETE', `/api/collections/${enc(name)}/documents?source=${enc(source)}`),
  chunks: (name: string, source: string, offset: number, limit: number) =>
    request<{ chunks: Chunk[]; total: number; offset: number; limit: number }>(
      'GET',
      `/api/collections/${enc(name)}/chunks?source=${enc(source)}&offset=${offset}&limit=${limit}`,
    ),
  deleteChunk: (name: string, chunkId: string) =>
    request<unknown>('DELETE', `/api/collections/${enc(name)}/chunks/${enc(chunkId)}`),
  query: (name: string, query: string, topK: number) =>
    request<{ documents: Chunk[] }>('POST', `/api/collections/${enc(name)}/query`, { query, topK }),
  preview: (files: readonly File[], choice: SplitChoice) =>
    sendForm<PreviewAnswer>('/api/uploads/preview', formOf(files, choice)),
  ingest: (name: string, files: readonly File[], choice: SplitChoice, onProgress: (sent: number) => void) =>
    sendForm<IngestAnswer>(`/api/collections/${enc(name)}/documents`, formOf(files, choice), onProgress),
};
