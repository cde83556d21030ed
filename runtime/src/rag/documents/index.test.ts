import { readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkId, Documents, previewDocument, splitDocument } from './index.js';
import { makePdf } from './make-pdf.js';

const runtimeDir = fileURLToPath(new URL('../../..', import.meta.url));
const signal = new AbortController().signal;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(runtimeDir, '.tmp-documents-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('previewDocument', () => {
  it('counts every chunk but builds only the first ones shown, as splitDocument makes them', () => {
    for (const splitter of ['recursive', 'markdown'] as const) {
      const text = Array.from({ length: 300 }, (_, i) => `# Part ${i}\n\nParagraph number ${i} of the text.`).join(
        '\n\n',
      );
      const doc = { id: 'd', text, metadata: { source: 'a.md' } };
      const options = { splitter, chunkSize: 40, chunkOverlap: 0 };
      const all = splitDocument(doc, options);
      const preview = previewDocument(doc, options, 100);
      expect(all.length).toBeGreaterThan(100);
      expect(preview.count).toBe(all.length);
      expect(preview.chunks).toEqual(all.slice(0, 100));
    }
  });
});

describe('splitDocument', () => {
  const doc = { id: 'd1', text: '# A\none\n## B\ntwo', metadata: { source: 'guide.md', lang: 'en' } };

  it('derives ids from source and text and adds source, chunk and headingPath', () => {
    const chunks = splitDocument(doc, { splitter: 'markdown', chunkSize: 100, chunkOverlap: 0 });
    expect(chunks).toEqual([
      {
        id: chunkId('guide.md', '# A\none'),
        text: '# A\none',
        metadata: { source: 'guide.md', lang: 'en', chunk: 0, headingPath: 'A' },
      },
      {
        id: chunkId('guide.md', '## B\ntwo'),
        text: '## B\ntwo',
        metadata: { source: 'guide.md', lang: 'en', chunk: 1, headingPath: 'A > B' },
      },
    ]);
    expect(splitDocument(doc, { splitter: 'markdown', chunkSize: 100, chunkOverlap: 0 })).toEqual(chunks);
  });

  it('gives the same text from another source another id; uses the id when there is no source', () => {
    const [a] = splitDocument({ ...doc, metadata: {} }, { splitter: 'recursive', chunkSize: 100, chunkOverlap: 0 });
    const [b] = splitDocument(doc, { splitter: 'recursive', chunkSize: 100, chunkOverlap: 0 });
    expect(a!.metadata.source).toBe('d1');
    expect(a!.id).not.toBe(b!.id);
  });
});

describe('Documents', () => {
  it('stores an upload under a content-derived id and loads it back', async () => {
    const documents = new Documents(dataDir);
    const { file: saved, document } = await documents.save({
      name: 'manual.pdf',
      data: makePdf(['Vectors live in Chroma.']),
    });
    expect(document.text).toContain('Vectors live in Chroma.');
    expect(saved).toMatchObject({ id: expect.stringMatching(/^f_[0-9a-f]{24}$/), name: 'manual.pdf', type: 'pdf' });
    expect((await documents.save({ name: 'manual.pdf', data: makePdf(['Vectors live in Chroma.']) })).file.id).toBe(
      saved.id,
    );
    const loaded = await documents.load(saved.id, { signal });
    expect(loaded).toMatchObject({ id: saved.id, metadata: { source: 'manual.pdf', type: 'pdf', fileId: saved.id } });
    expect(loaded.text).toContain('Vectors live in Chroma.');
  });

  it('keeps the earlier record when the same bytes are uploaded under a new name; files are 0600 in a 0700 folder', async () => {
    const documents = new Documents(dataDir);
    const data = new TextEncoder().encode('# Same\n\nSame bytes.');
    const first = (await documents.save({ name: 'first.md', data })).file;
    const second = (await documents.save({ name: 'second.md', data })).file;
    expect(second.id).not.toBe(first.id);
    expect(await documents.info(first.id)).toMatchObject({ name: 'first.md' });
    expect(await documents.info(second.id)).toMatchObject({ name: 'second.md' });
    const uploads = join(dataDir, 'uploads');
    expect(statSync(uploads).mode & 0o777).toBe(0o700);
    for (const name of readdirSync(uploads)) expect(statSync(join(uploads, name)).mode & 0o777, name).toBe(0o600);
  });

  it('refuses unknown ids and unsupported files', async () => {
    const documents = new Documents(dataDir);
    await expect(documents.load('f_000000000000000000000000', { signal })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(documents.load('../../etc/passwd', { signal })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(documents.save({ name: 'x.bin', data: new Uint8Array([1]) })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
  });
});
