import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { testConfig } from '../../config.js';
import { buildTestApp, removeTempDir, startTestApp, type TestApp, tempDir } from '../../testing/fixtures.js';

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(async () => t.close());

describe('GET /api/health', () => {
  it('reports version, storage and the vector store', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      status: expect.stringMatching(/^(ok|degraded)$/),
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      role: 'all',
      queue: { status: 'disabled' },
      storage: { status: 'ok', kind: inject('testDatabaseUrl') === undefined ? 'sqlite' : 'postgres' },
      vectorStore: expect.objectContaining({ status: expect.any(String) }),
    });
  });

  it('is ok with the vector store disabled', async () => {
    vi.spyOn(t.app.runtime.vectors, 'health').mockResolvedValue({ status: 'disabled' } as never);
    const res = await t.app.inject({ method: 'GET', url: '/api/health' });
    expect(res.json()).toMatchObject({ status: 'ok', vectorStore: { status: 'disabled' } });
  });

  it('shows what the vector store reports, degraded when it is unavailable', async () => {
    vi.spyOn(t.app.runtime.vectors, 'health').mockResolvedValue({
      status: 'unavailable',
      url: 'http://127.0.0.1:1',
    } as never);
    const res = await t.app.inject({ method: 'GET', url: '/api/health' });
    expect(res.json()).toMatchObject({
      status: 'degraded',
      vectorStore: { status: 'unavailable', url: 'http://127.0.0.1:1' },
    });
  });
});

describe('app', () => {
  it('unknown API routes → 404 NOT_FOUND with the error shape', async () => {
    for (const [method, url] of [
      ['GET', '/api/nope'],
      ['POST', '/api/flows/echo/nope'],
      ['PATCH', '/api/flows/echo'],
    ] as const) {
      const res = await t.app.inject({ method, url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error.code, url).toBe('NOT_FOUND');
    }
  });

  it('serves a minimal page at / when the editor is not built', async () => {
    const bare = await startTestApp({ editorDir: join(t.dataDir, 'no-editor') });
    try {
      const res = await bare.app.inject({ method: 'GET', url: '/' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('text/html');
      expect(res.body).toContain('/api/health');
    } finally {
      await bare.close();
    }
  });

  it('serves the built editor at / with an SPA fallback for its routes, real 404s for missing files', async () => {
    const editorDir = join(t.dataDir, 'editor');
    mkdirSync(join(editorDir, 'assets'), { recursive: true });
    writeFileSync(join(editorDir, 'index.html'), '<!doctype html><title>editor</title>');
    writeFileSync(join(editorDir, 'assets', 'app.js'), 'console.log(1)');
    const withEditor = await startTestApp({ editorDir });
    try {
      const get = (url: string) => withEditor.app.inject({ method: 'GET', url });
      expect((await get('/')).body).toContain('<title>editor</title>');
      expect((await get('/assets/app.js')).body).toBe('console.log(1)');
      const route = await get('/flows/support-rag');
      expect(route.statusCode).toBe(200);
      expect(route.body).toContain('<title>editor</title>');
      expect((await get('/assets/missing.js')).statusCode).toBe(404);
      const api = await get('/api/missing');
      expect(api.statusCode).toBe(404);
      expect(api.json().error.code).toBe('NOT_FOUND');
    } finally {
      await withEditor.close();
    }
  });

  it('documents every route in the OpenAPI document at /api/docs', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/docs' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    for (const path of [
      '/api/health',
      '/api/nodes',
      '/api/flows',
      '/api/flows/{id}',
      '/api/flows/{id}/versions',
      '/api/flows/{id}/versions/{version}',
      '/api/flows/{id}/validate',
      '/api/flows/{id}/runs',
      '/api/validate',
      '/api/runs',
      '/api/runs/{runId}',
      '/api/runs/{runId}/cancel',
      '/api/runs/{runId}/feedback',
      '/api/templates',
      '/api/schema/flow.json',
    ]) {
      expect(doc.paths, path).toHaveProperty([path]);
    }
    const ui = await t.app.inject({ method: 'GET', url: '/api/docs/ui' });
    expect(ui.headers['content-type']).toContain('text/html');
  });

  it('answers unexpected faults with 500 INTERNAL and a generic message, and keeps serving', async () => {
    const dataDir = tempDir();
    const app = await buildTestApp(testConfig({ dataDir }));
    app.get('/api/boom', async () => {
      throw new Error('secret internals: /etc/shadow');
    });
    try {
      const res = await app.inject({ method: 'GET', url: '/api/boom' });
      expect(res.statusCode).toBe(500);
      expect(res.json()).toEqual({ error: { code: 'INTERNAL', message: 'Internal error' } });
      expect((await app.inject({ method: 'GET', url: '/api/health' })).statusCode).toBe(200);
    } finally {
      await app.close();
      removeTempDir(dataDir);
    }
  });
});
