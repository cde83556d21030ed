import { readFileSync } from 'node:fs';
import type { TraceEvent } from '@flowloom/nodes';
import { type FakeOpenAI, startFakeOpenAI } from '@flowloom/test/fake-openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makePdf } from '../../rag/documents/make-pdf.js';
import { startTestApp, type TestApp } from '../../testing/fixtures.js';

let fake: FakeOpenAI;
let t: TestApp;

const guide = [
  '# Billing',
  'Invoices are emailed on the first business day of each month.',
  '## Refunds',
  'Refunds for annual plans are prorated to the day.',
  '# Account',
  'To reset your password open Account settings and choose Reset password.',
].join('\n');

beforeAll(async () => {
  fake = await startFakeOpenAI();
  t = await startTestApp({ openai: { baseURL: fake.url, apiKey: 'test' } });
});
afterAll(async () => {
  await t?.close();
  await fake?.close();
});

const inject = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown, headers?: Record<string, string>) =>
  t.app.inject({ method, url, payload: payload as string, headers });

/** A multipart/form-data body with file parts and text fields. */
function multipart(parts: ({ file: string; data: Uint8Array; type?: string } | { field: string; value: string })[]) {
  const boundary = '----flowloom-test-boundary';
  const chunks: Buffer[] = [];
  for (const part of parts) {
    if ('file' in part) {
      chunks.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${part.file}"\r\n` +
            `Content-Type: ${part.type ?? 'application/octet-stream'}\r\n\r\n`,
        ),
        Buffer.from(part.data),
        Buffer.from('\r\n'),
      );
    } else {
      chunks.push(
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${part.field}"\r\n\r\n${part.value}\r\n`),
      );
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

describe('vector store in the runtime', () => {
  it('reports Chroma as idle before first use (lazy start)', async () => {
    const res = await inject('GET', '/api/health');
    expect(res.json()).toMatchObject({ status: 'ok', vectorStore: { status: 'idle', managed: true, url: null } });
  });
});

describe('POST /api/collections/:name/documents', () => {
  it('ingests JSON files (markdown split by headings) and stores each chunk once however often it is sent', async () => {
    const body = {
      files: [
        { name: 'guide.md', text: guide },
        { name: 'plans.csv', text: 'plan,price\nPro,20\nTeam,50' },
      ],
    };
    const first = await inject('POST', '/api/collections/support/documents', body);
    expect(first.statusCode).toBe(200);
    const answer = first.json();
    expect(answer).toMatchObject({ collection: 'support', count: 4, embedder: 'local' });
    expect(answer.files).toEqual([
      expect.objectContaining({ name: 'guide.md', type: 'md', chunks: 3 }),
      expect.objectContaining({ name: 'plans.csv', type: 'csv', chunks: 1 }),
    ]);
    const again = await inject('POST', '/api/collections/support/documents', body);
    expect(again.json().ids).toEqual(answer.ids);
    const list = await inject('GET', '/api/collections');
    expect(list.json().collections).toContainEqual(
      expect.objectContaining({ name: 'support', count: 4, embedder: 'local', dimension: 384 }),
    );
    const health = await inject('GET', '/api/health');
    expect(health.json().vectorStore).toMatchObject({
      status: 'ok',
      managed: true,
      url: expect.stringMatching(/^http/),
    });
  });

  it('ingests a multipart upload with a PDF and options as fields', async () => {
    const { payload, headers } = multipart([
      { file: 'manual.pdf', data: makePdf(['The retriever node searches Chroma.']), type: 'application/pdf' },
      { field: 'chunkSize', value: '500' },
      { field: 'chunkOverlap', value: '50' },
    ]);
    const res = await t.app.inject({ method: 'POST', url: '/api/collections/manuals/documents', payload, headers });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      collection: 'manuals',
      count: 1,
      files: [{ name: 'manual.pdf', type: 'pdf', chunks: 1 }],
    });
    const info = await inject('GET', '/api/collections/manuals');
    expect(info.json()).toMatchObject({ name: 'manuals', count: 1, embedder: 'local' });
  });

  it('answers bad input with a precise 4xx and stores nothing', async () => {
    const cases: [unknown, number, string][] = [
      [{ files: [{ name: 'x.exe', text: 'MZ' }] }, 415, 'BAD_REQUEST'],
      [{ files: [{ name: 'bad.json', text: '{oops' }] }, 400, 'BAD_REQUEST'],
      [{ files: [{ name: 'a.txt', text: 'x', contentBase64: 'eA==' }] }, 400, 'VALIDATION_FAILED'],
      [{ files: [{ name: 'a.txt', text: 'x' }], chunkSize: 50 }, 400, 'VALIDATION_FAILED'],
      [{ files: [{ name: 'a.txt', text: 'x' }], chunkSize: 200, chunkOverlap: 200 }, 400, 'VALIDATION_FAILED'],
      [{ files: [{ name: 'a.txt', text: 'x' }], embedder: 'bert' }, 400, 'NODE_PARAM_INVALID'],
      [{ files: [] }, 400, 'VALIDATION_FAILED'],
      [{ files: [{ name: 'empty.txt', text: '   ' }] }, 400, 'BAD_REQUEST'],
    ];
    for (const [body, status, code] of cases) {
      const res = await inject('POST', '/api/collections/rejected/documents', body);
      expect([res.statusCode, res.json().error.code], JSON.stringify(body)).toEqual([status, code]);
    }
    const badName = await inject('POST', '/api/collections/x/documents', { files: [{ name: 'a.txt', text: 'x' }] });
    expect(badName.statusCode).toBe(400);
    expect(badName.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ field: 'params.name' }] });
    const { payload, headers } = multipart([
      { file: 'a.txt', data: new TextEncoder().encode('hello') },
      { field: 'chunkSize', value: 'big' },
      { field: 'color', value: 'red' },
    ]);
    const badFields = await t.app.inject({
      method: 'POST',
      url: '/api/collections/rejected/documents',
      payload,
      headers,
    });
    expect(badFields.statusCode).toBe(400);
    expect(badFields.json().error.details).toEqual([
      { field: 'body.chunkSize', message: 'must be a whole number from 100 to 8000' },
      { field: 'body.color', message: 'is not an allowed field' },
    ]);
    const names = (await inject('GET', '/api/collections')).json().collections.map((c: { name: string }) => c.name);
    expect(names).not.toContain('rejected');
  });

  it('refuses to add to a collection with another embedder: 409 EMBEDDER_MISMATCH', async () => {
    const res = await inject('POST', '/api/collections/support/documents', {
      files: [{ name: 'more.txt', text: 'more' }],
      embedder: 'openai:text-embedding-3-small',
    });
    expect([res.statusCode, res.json().error.code]).toEqual([409, 'EMBEDDER_MISMATCH']);
  });
});

describe('upload routes and their fields', () => {
  it('POST /api/uploads takes files only: split options are refused as fields, JSON or multipart', async () => {
    const json = await inject('POST', '/api/uploads', { files: [{ name: 'a.txt', text: 'x' }], chunkSize: 800 });
    expect([json.statusCode, json.json().error.details]).toEqual([
      400,
      [{ field: 'body.chunkSize', message: 'is not an allowed field' }],
    ]);
    const { payload, headers } = multipart([
      { file: 'a.txt', data: new TextEncoder().encode('hello') },
      { field: 'splitter', value: 'markdown' },
    ]);
    const form = await t.app.inject({ method: 'POST', url: '/api/uploads', payload, headers });
    expect([form.statusCode, form.json().error.details]).toEqual([
      400,
      [{ field: 'body.splitter', message: 'is not an allowed field' }],
    ]);
  });

  it('a JSON body is at most 1 MiB (413 BODY_TOO_LARGE); larger files go as multipart, up to 20 MiB each', async () => {
    const big = 'x'.repeat(1_500_000);
    for (const url of ['/api/uploads', '/api/collections/big/documents']) {
      const res = await inject('POST', url, { files: [{ name: 'big.txt', text: big }] });
      expect([res.statusCode, res.json().error.code], url).toEqual([413, 'BODY_TOO_LARGE']);
    }
    const { payload, headers } = multipart([{ file: 'big.txt', data: new TextEncoder().encode(big) }]);
    const res = await t.app.inject({ method: 'POST', url: '/api/uploads', payload, headers });
    expect(res.statusCode).toBe(200);
    expect(res.json().files).toEqual([expect.objectContaining({ name: 'big.txt', size: 1_500_000 })]);
  });

  it('the OpenAPI document lists both forms of both routes, with their fields', async () => {
    const paths = (await inject('GET', '/api/docs')).json().paths;
    const form = (path: string, type: string) => {
      const schema = paths[path].post.requestBody.content[type].schema;
      return Object.keys(schema.properties).sort();
    };
    expect(form('/api/uploads', 'application/json')).toEqual(['files']);
    expect(form('/api/uploads', 'multipart/form-data')).toEqual(['file']);
    const options = ['chunkOverlap', 'chunkSize', 'embedder', 'splitter'];
    expect(form('/api/collections/{name}/documents', 'application/json')).toEqual([...options, 'files'].sort());
    expect(form('/api/collections/{name}/documents', 'multipart/form-data')).toEqual([...options, 'file'].sort());
  });
});

describe('POST /api/uploads/preview: size', () => {
  it('refuses more than 20 MiB of files in total with 413 naming body.files; one file up to that is previewed', async () => {
    const text = (bytes: number) => new Uint8Array(Buffer.alloc(bytes, 'word '));
    const over = multipart([
      { file: 'a.txt', data: text(11 * 1024 * 1024), type: 'text/plain' },
      { file: 'b.txt', data: text(11 * 1024 * 1024), type: 'text/plain' },
    ]);
    const res = await t.app.inject({ method: 'POST', url: '/api/uploads/preview', ...over });
    expect([res.statusCode, res.json().error.code]).toEqual([413, 'BODY_TOO_LARGE']);
    expect(res.json().error.details[0].field).toBe('body.files');
    const one = multipart([{ file: 'a.txt', data: text(1024 * 1024), type: 'text/plain' }]);
    const ok = await t.app.inject({ method: 'POST', url: '/api/uploads/preview', ...one });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().files[0].chunks).toHaveLength(100);
    expect(ok.json().files[0].chunkCount).toBe(ok.json().count);
  });
});

describe('collections', () => {
  it('GET /api/collections answers 503 VECTOR_STORE_UNAVAILABLE when Chroma cannot be reached', async () => {
    const down = await startTestApp({ chromaUrl: 'http://127.0.0.1:9' });
    try {
      const res = await down.app.inject({ method: 'GET', url: '/api/collections' });
      expect([res.statusCode, res.json().error.code]).toEqual([503, 'VECTOR_STORE_UNAVAILABLE']);
    } finally {
      await down.close();
    }
  });

  it('GET and DELETE an unknown collection → 404 COLLECTION_NOT_FOUND', async () => {
    for (const method of ['GET', 'DELETE'] as const) {
      const res = await inject(method, '/api/collections/nothing-here');
      expect([res.statusCode, res.json().error.code]).toEqual([404, 'COLLECTION_NOT_FOUND']);
    }
  });

  it('POST /api/uploads stores files whose ids an ingest node takes', async () => {
    const res = await inject('POST', '/api/uploads', {
      files: [{ name: 'faq.md', text: '# FAQ\nShipping takes 3 days.' }],
    });
    expect(res.statusCode).toBe(200);
    const [file] = res.json().files;
    expect(file).toMatchObject({ id: expect.stringMatching(/^f_/), name: 'faq.md', type: 'md' });

    const flow = {
      format: 'flowloom.flow/v1',
      id: 'ingest-files',
      name: 'Ingest files',
      nodes: [
        { id: 'files', type: 'input', position: { x: 0, y: 0 }, params: { name: 'files', dataType: 'json' } },
        {
          id: 'ingest',
          type: 'ingest',
          position: { x: 200, y: 0 },
          params: { collection: 'faq', splitter: 'markdown' },
        },
        { id: 'count', type: 'output', position: { x: 400, y: 0 }, params: { name: 'count' } },
      ],
      edges: [
        { id: 'e1', source: 'files', sourcePort: 'value', target: 'ingest', targetPort: 'files' },
        { id: 'e2', source: 'ingest', sourcePort: 'count', target: 'count', targetPort: 'value' },
      ],
    };
    expect((await inject('POST', '/api/flows', flow)).statusCode).toBe(201);
    const run = await inject('POST', '/api/flows/ingest-files/runs', { inputs: { files: [file.id] } });
    expect(run.json()).toMatchObject({ status: 'completed', outputs: { count: 1 } });
    const missing = await inject('POST', '/api/flows/ingest-files/runs', {
      inputs: { files: ['f_000000000000000000000000'] },
    });
    expect(missing.json()).toMatchObject({ status: 'failed', error: { code: 'NOT_FOUND' } });
  });
});

describe('flows/rag-qa.flow.json end to end (fake model)', () => {
  const flow = JSON.parse(readFileSync(new URL('../../../../flows/rag-qa.flow.json', import.meta.url), 'utf8'));

  it('ingests the documents input, retrieves the closest chunks and answers from them', async () => {
    expect((await inject('POST', '/api/flows', flow)).statusCode).toBe(201);
    fake.reset();
    const res = await inject('POST', '/api/flows/rag-qa/runs', {
      inputs: { question: 'How are refunds for annual plans handled?', documents: guide },
    });
    const answer = res.json();
    expect(answer).toMatchObject({ status: 'completed', outputs: { ingested: 3, answer: expect.any(String) } });
    // The prompt the model received holds the retrieved refund passage.
    const chat = fake.requests.find((r) => r.path.endsWith('/chat/completions'));
    expect(JSON.stringify(chat?.body)).toContain('Refunds for annual plans are prorated to the day.');

    const detail = (await inject('GET', `/api/runs/${answer.runId}`)).json();
    const retrieved = detail.events.find(
      (e: TraceEvent) => e.type === 'node.completed' && e.nodeId === 'search',
    ) as TraceEvent & {
      data: { outputs: { documents: { text: string; score: number; metadata: Record<string, unknown> }[] } };
    };
    const documents = retrieved.data.outputs.documents;
    expect(documents).toHaveLength(3);
    expect(documents[0]).toMatchObject({ metadata: { source: 'flow-input', headingPath: 'Billing > Refunds' } });
    expect(documents[0]!.score).toBeGreaterThan(documents[2]!.score);
    const progress = detail.events.filter((e: TraceEvent) => e.type === 'node.log' && e.nodeId === 'ingest');
    expect(progress.length).toBeGreaterThan(0);
  });

  it('answers a later question without new documents from what is stored', async () => {
    const res = await inject('POST', '/api/flows/rag-qa/runs', { inputs: { question: 'When are invoices emailed?' } });
    expect(res.json()).toMatchObject({ status: 'completed', outputs: { ingested: 0 } });
  });

  it('fails only the retriever node, with COLLECTION_NOT_FOUND, for an unknown collection', async () => {
    const other = structuredClone(flow);
    other.id = 'rag-qa-missing';
    for (const node of other.nodes) if (node.params?.collection) node.params.collection = 'never-created';
    expect((await inject('POST', '/api/flows', other)).statusCode).toBe(201);
    const res = await inject('POST', '/api/flows/rag-qa-missing/runs', { inputs: { question: 'anything?' } });
    expect(res.json()).toMatchObject({ status: 'failed', error: { code: 'COLLECTION_NOT_FOUND' } });
    expect((await inject('GET', '/api/health')).json().status).toBe('ok');
  });
});

describe('tool-retriever under function-call (fake model)', () => {
  const flow = {
    format: 'flowloom.flow/v1',
    id: 'kb-agent',
    name: 'Agent with a knowledge base tool',
    nodes: [
      { id: 'question', type: 'input', position: { x: 0, y: 0 }, params: { name: 'question' } },
      { id: 'kb', type: 'tool-retriever', position: { x: 0, y: 200 }, params: { collection: 'kb-agent', topK: 2 } },
      { id: 'agent', type: 'function-call', position: { x: 300, y: 0 }, params: { stream: false } },
      { id: 'answer', type: 'output', position: { x: 600, y: 0 }, params: { name: 'answer' } },
    ],
    edges: [
      { id: 'e1', source: 'question', sourcePort: 'value', target: 'agent', targetPort: 'prompt' },
      { id: 'e2', source: 'kb', sourcePort: 'tool', target: 'agent', targetPort: 'tools' },
      { id: 'e3', source: 'agent', sourcePort: 'text', target: 'answer', targetPort: 'value' },
    ],
  };

  it("answers the model's search with passages, as a child span; a call without query goes back as a tool error", async () => {
    const ingested = await inject('POST', '/api/collections/kb-agent/documents', {
      files: [{ name: 'guide.md', text: guide }],
    });
    expect(ingested.statusCode).toBe(200);
    expect((await inject('POST', '/api/flows', flow)).statusCode).toBe(201);
    fake.reset();
    fake.enqueue({
      toolCalls: [
        { name: 'search_documents', arguments: { query: 'refund policy annual plans' } },
        { name: 'search_documents', arguments: {} },
      ],
    });
    fake.enqueue({ text: 'Annual plans are refunded pro rata.' });
    const res = await inject('POST', '/api/flows/kb-agent/runs', { inputs: { question: 'Do I get a refund?' } });
    const run = res.json();
    expect(run).toMatchObject({ status: 'completed', outputs: { answer: 'Annual plans are refunded pro rata.' } });
    const chats = fake.requests.filter((r) => r.path.endsWith('/chat/completions'));
    const second = chats[1]?.body as { messages: { role: string; content: string }[]; tools?: unknown[] };
    const toolMessages = second.messages.filter((m) => m.role === 'tool');
    expect(toolMessages).toHaveLength(2);
    expect(toolMessages[0]!.content).toContain('Refunds for annual plans are prorated to the day.');
    expect(toolMessages[1]!.content).toContain('TOOL_FAILED');
    const detail = (await inject('GET', `/api/runs/${run.runId}`)).json();
    const agentSpan = detail.events.find((e: TraceEvent) => e.type === 'node.started' && e.nodeId === 'agent').spanId;
    const children = detail.events.filter((e: TraceEvent) => e.parentSpanId === agentSpan);
    expect(
      children.some((e: TraceEvent) => e.type === 'node.log' && /found 2 documents/.test(JSON.stringify(e.data))),
    ).toBe(true);
  });
});

describe('managed Chroma in the runtime', () => {
  it('comes back after its process is killed, with the data still there', async () => {
    const pid = t.app.runtime.vectors.server!.pid!;
    process.kill(pid, 'SIGKILL');
    await vi.waitFor(
      async () => {
        const health = (await inject('GET', '/api/health')).json();
        expect(health.vectorStore).toMatchObject({ status: 'ok', restarts: 1 });
      },
      { timeout: 30_000, interval: 50 },
    );
    expect(t.app.runtime.vectors.server!.pid).not.toBe(pid);
    const info = await inject('GET', '/api/collections/support');
    expect(info.json()).toMatchObject({ count: 4 });
  });

  it('stops with the runtime', async () => {
    const local = await startTestApp();
    await local.app.runtime.vectors.ready();
    const pid = local.app.runtime.vectors.server!.pid!;
    await local.close();
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
