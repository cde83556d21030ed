import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError, type Document, type DocumentService, type SplitOptions } from '@flowloom/nodes';
import { createPrivateDirAsync } from '../../platform/private-files.js';
import { type FileType, loadFile } from './loaders.js';
import { splitMarkdown, splitRecursive } from './splitters.js';

export { FILE_TYPES, type FileType, fileTypeOf, loadFile } from './loaders.js';
export { splitMarkdown, splitRecursive } from './splitters.js';

/** An uploaded file as stored under `<dataDir>/uploads`. */
export interface StoredFile {
  id: string;
  name: string;
  type: FileType;
  size: number;
  createdAt: string;
}

const FILE_ID = /^f_[0-9a-f]{24}$/;

/** Content-derived chunk id: the same source and text always give the same id. */
export function chunkId(source: string, text: string): string {
  return createHash('sha256').update(source).update('\u0000').update(text).digest('hex').slice(0, 32);
}

/** Splits one document into chunks with content-derived ids and `source`, `chunk`, `headingPath` metadata. */
export function splitDocument(document: Document, options: SplitOptions): Document[] {
  return previewDocument(document, options, Number.POSITIVE_INFINITY).chunks;
}

/**
 * How a document splits: how many chunks, and the first `shown` of them as `splitDocument` makes them. Chunks past
 * those are counted, not built (no id hashed, no metadata copied): a preview of a large file holds only its pieces'
 * text while it counts.
 */
export function previewDocument(
  document: Document,
  options: SplitOptions,
  shown: number,
): { count: number; chunks: Document[] } {
  const source =
    typeof document.metadata.source === 'string' && document.metadata.source ? document.metadata.source : document.id;
  const pieces: readonly (string | { text: string; headings?: readonly string[] })[] =
    options.splitter === 'markdown' ? splitMarkdown(document.text, options) : splitRecursive(document.text, options);
  const chunks = pieces.slice(0, shown).map((piece, chunk) => {
    const metadata: Record<string, unknown> = { ...document.metadata, source, chunk };
    if (typeof piece !== 'string' && piece.headings?.length) metadata.headingPath = piece.headings.join(' > ');
    const text = typeof piece === 'string' ? piece : piece.text;
    return { id: chunkId(source, text), text, metadata };
  });
  return { count: pieces.length, chunks };
}

/**
 * DocumentService: keeps uploaded files under `<dataDir>/uploads` (id derived from content), loads them by id
 * and splits documents for ingestion.
 */
export class Documents implements DocumentService {
  readonly #dir: string;

  constructor(dataDir: string) {
    this.#dir = join(dataDir, 'uploads');
  }

  /**
   * An upload as it would be stored, without storing it (the chunk preview): its record and its text. Throws like
   * `save` for a file that cannot be read.
   */
  async read(file: {
    name: string;
    data: Uint8Array;
    mediaType?: string;
  }): Promise<{ file: StoredFile; document: Document }> {
    const loaded = await loadFile(file);
    // The name is part of the id: the same bytes uploaded under another name are another file, never a new record
    // over the earlier one's.
    const id = `f_${createHash('sha256').update(file.name).update('\0').update(file.data).digest('hex').slice(0, 24)}`;
    const record: StoredFile = {
      id,
      name: file.name,
      type: loaded.type,
      size: file.data.byteLength,
      createdAt: new Date().toISOString(),
    };
    return { file: record, document: { id, text: loaded.text, metadata: { ...loaded.metadata, fileId: id } } };
  }

  /**
   * Stores an upload after checking it loads; the same name and bytes give the same id. The folder is private and
   * the files 0600. Returns the record and the text.
   */
  async save(file: {
    name: string;
    data: Uint8Array;
    mediaType?: string;
  }): Promise<{ file: StoredFile; document: Document }> {
    const read = await this.read(file);
    const { id } = read.file;
    await createPrivateDirAsync(this.#dir);
    await writeFile(join(this.#dir, id), file.data, { mode: 0o600 });
    await writeFile(join(this.#dir, `${id}.json`), JSON.stringify(read.file), { mode: 0o600 });
    return read;
  }

  /** The record of a stored file; NOT_FOUND when unknown. */
  async info(fileId: string): Promise<StoredFile> {
    if (!FILE_ID.test(fileId)) throw notFound(fileId);
    try {
      return JSON.parse(await readFile(join(this.#dir, `${fileId}.json`), 'utf8')) as StoredFile;
    } catch {
      throw notFound(fileId);
    }
  }

  async load(fileId: string, options: { signal: AbortSignal }): Promise<Document> {
    const record = await this.info(fileId);
    options.signal.throwIfAborted();
    const data = await readFile(join(this.#dir, fileId), { signal: options.signal });
    const loaded = await loadFile({ name: record.name, data });
    return { id: fileId, text: loaded.text, metadata: { ...loaded.metadata, fileId } };
  }

  split(document: Document, options: SplitOptions): Document[] {
    return splitDocument(document, options);
  }

  /** The chunk count of a document and its first `shown` chunks (the others counted, not built). */
  preview(document: Document, options: SplitOptions, shown: number): { count: number; chunks: Document[] } {
    return previewDocument(document, options, shown);
  }
}

function notFound(fileId: string): AppError {
  return new AppError('NOT_FOUND', `file "${fileId}" was not uploaded`, { details: [{ fileId }] });
}
