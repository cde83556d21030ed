import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../testing/fixtures.js';

// The routes behind the editor's Knowledge page: preview the split, browse and delete documents and chunks, test a
// query. Real Chroma (the managed server) and the local embedder.

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

const inject = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) =>
  t.app.inject({ method, url, payload: payload as string });

const faq = Array.from({ length: 12 }, (_, i) => `Question ${i + 1}: how do refunds work for plan ${i + 1}?`).join(
  '\n\n',
);
const guide = '# Billing\nInvoices are emailed monthly.\n# Account\nReset your password in Account settings.';

describe('POST /api/uploads/preview', () => {
  it('splits with the chunk size and overlap asked for, and stores nothing', async () => {
    const small = await inject('POST', '/api/uploads/preview', {
      files: [{ name: 'faq.txt', text: faq }],
      chunkSize: 120,
      chunkOverlap: 30,
    });
    expect(small.statusCode, small.body).toBe(200);
    const answer = small.json();
    expect(answer).toMatchObject({ chunkSize: 120, chunkOverlap: 30 });
    expect(answer.files[0]).toMatchObject({ name: 'faq.txt', type: 'txt', splitter: 'recursive' });
    expect(answer.files[0].chunkCount).toBeGreaterThan(3);
    for (const chunk of answer.files[0].chunks) expect(chunk.text.length).toBeLessThanOrEqual(120);
    // Bigger chunks: fewer of them.
    const big = (await inject('POST', '/api/uploads/preview', { files: [{ name: 'faq.txt', text: faq }] })).json();
    expect(big.files[0].chunkCount).toBeLessThan(answer.files[0].chunkCount);
    // Markdown splits by headings.
    const md = (await inject('POST', '/api/uploads/preview', { files: [{ name: 'guide.md', text: guide }] })).json();
    expect(md.files[0]).toMatchObject({ splitter: 'markdown', chunkCount: 2 });
    expect(md.files[0].chunks[1].metadata.headingPath).toBe('Account');
    // Nothing was stored: no collection, no upload.
    expect((await inject('GET', '/api/collections')).json().collections).toEqual([]);
  });

  it('refuses bad options naming the field, and files it cannot read', async () => {
    const overlap = await inject('POST', '/api/uploads/preview', {
      files: [{ name: 'a.txt', text: 'x' }],
      chunkSize: 200,
      chunkOverlap: 200,
    });
    expect([overlap.statusCode, overlap.json().error.details[0].field]).toEqual([400, 'body.chunkOverlap']);
    const type = await inject('POST', '/api/uploads/preview', { files: [{ name: 'a.exe', text: 'x' }] });
    expect(type.statusCode).toBe(415);
  });
});

describe('documents, chunks and test queries of a collection', () => {
  beforeAll(async () => {
    const res = await inject('POST', '/api/collections/kbase/documents', {
      files: [
        { name: 'faq.txt', text: faq },
        { name: 'guide.md', text: guide },
      ],
      chunkSize: 200,
      chunkOverlap: 20,
    });
    expect(res.statusCode, res.body).toBe(200);
  });

  it('lists the documents with their chunk counts', async () => {
    const res = await inject('GET', '/api/collections/kbase/documents');
    expect(res.statusCode).toBe(200);
    const { documents, isPartial } = res.json();
    expect(isPartial).toBe(false);
    expect(documents.map((d: { source: string }) => d.source).sort()).toEqual(['faq.txt', 'guide.md']);
    const total = documents.reduce((sum: number, d: { chunks: number }) => sum + d.chunks, 0);
    expect(total).toBe((await inject('GET', '/api/collections/kbase')).json().count);
    expect(documents.find((d: { source: string }) => d.source === 'guide.md')).toMatchObject({ chunks: 2, type: 'md' });
  });

  it('pages through the chunks of a document', async () => {
    const first = (await inject('GET', '/api/collections/kbase/chunks?source=faq.txt&limit=2')).json();
    expect(first.chunks).toHaveLength(2);
    expect(first).toMatchObject({ limit: 2, offset: 0 });
    expect(first.total).toBeGreaterThan(2);
    for (const chunk of first.chunks) expect(chunk.metadata.source).toBe('faq.txt');
    const second = (await inject('GET', '/api/collections/kbase/chunks?source=faq.txt&limit=2&offset=2')).json();
    expect(second.chunks[0].id).not.toBe(first.chunks[0].id);
    const bad = await inject('GET', '/api/collections/kbase/chunks?limit=1000');
    expect([bad.statusCode, bad.json().error.details[0].field]).toEqual([400, 'querystring.limit']);
    expect((await inject('GET', '/api/collections/nothing-here/chunks')).json().error.code).toBe(
      'COLLECTION_NOT_FOUND',
    );
  });

  it('answers a test query with scores, best first', async () => {
    const res = await inject('POST', '/api/collections/kbase/query', { query: 'reset my password', topK: 3 });
    expect(res.statusCode, res.body).toBe(200);
    const { documents } = res.json();
    expect(documents).toHaveLength(3);
    expect(documents[0].text).toContain('Reset your password');
    const scores = documents.map((d: { score: number }) => d.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    for (const score of scores) expect(score).toBeGreaterThanOrEqual(0);
    const empty = await inject('POST', '/api/collections/kbase/query', { query: '' });
    expect([empty.statusCode, empty.json().error.details[0].field]).toEqual([400, 'body.query']);
  });

  it('deletes one chunk, then a whole document, and says 404 for what is not there', async () => {
    const { chunks, total } = (await inject('GET', '/api/collections/kbase/chunks?source=faq.txt')).json();
    const gone = await inject('DELETE', `/api/collections/kbase/chunks/${chunks[0].id}`);
    expect(gone.statusCode).toBe(204);
    expect((await inject('GET', '/api/collections/kbase/chunks?source=faq.txt')).json().total).toBe(total - 1);
    const again = await inject('DELETE', `/api/collections/kbase/chunks/${chunks[0].id}`);
    expect([again.statusCode, again.json().error.code]).toEqual([404, 'NOT_FOUND']);

    const before = (await inject('GET', '/api/collections/kbase')).json().count;
    const doc = await inject('DELETE', '/api/collections/kbase/documents?source=faq.txt');
    expect(doc.json()).toEqual({ deleted: total - 1 });
    expect((await inject('GET', '/api/collections/kbase')).json().count).toBe(before - (total - 1));
    const docs = (await inject('GET', '/api/collections/kbase/documents')).json().documents;
    expect(docs.map((d: { source: string }) => d.source)).toEqual(['guide.md']);
    const missing = await inject('DELETE', '/api/collections/kbase/documents?source=faq.txt');
    expect([missing.statusCode, missing.json().error.code]).toEqual([404, 'NOT_FOUND']);
    const noSource = await inject('DELETE', '/api/collections/kbase/documents');
    expect([noSource.statusCode, noSource.json().error.details[0].field]).toEqual([400, 'querystring.source']);
  });
});
