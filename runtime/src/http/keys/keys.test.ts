import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { io as connect } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { testConfig } from '../../config.js';
import { DB_FILE } from '../../store/store.js';
import { buildTestApp, echoFlow, removeTempDir, startTestApp, type TestApp, tempDir } from '../../testing/fixtures.js';

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('/api/keys', () => {
  it('creates a key (secret shown once), lists it without the secret, revokes it', async () => {
    t = await startTestApp();
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/keys',
      payload: { name: 'site', flows: ['chat'], rateLimit: 30 },
    });
    expect(created.statusCode).toBe(201);
    const body = created.json();
    expect(body).toMatchObject({ name: 'site', flows: ['chat'], rateLimit: 30, revokedAt: null, lastUsedAt: null });
    expect(body.key).toMatch(/^flk_/);
    const list = await t.app.inject({ method: 'GET', url: '/api/keys' });
    expect(list.json().keys).toHaveLength(1);
    // The secret follows `flk_<id>_` (and may itself contain '_').
    expect(list.body).not.toContain(body.key.slice(`flk_${body.id}_`.length));
    expect(list.json().keys[0]).not.toHaveProperty('key');
    const revoked = await t.app.inject({ method: 'DELETE', url: `/api/keys/${body.id}` });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json().key.revokedAt).toEqual(expect.any(String));
    // Revoking is idempotent: a second DELETE answers 200 with the key as it was revoked the first time.
    const again = await t.app.inject({ method: 'DELETE', url: `/api/keys/${body.id}` });
    expect([again.statusCode, again.json()]).toEqual([200, revoked.json()]);
  });

  it('answers 400 naming the field, and 404 for unknown keys', async () => {
    t = await startTestApp();
    const bad = await t.app.inject({ method: 'POST', url: '/api/keys', payload: { name: '', flows: ['Not A Flow'] } });
    expect(bad.statusCode).toBe(400);
    expect(
      bad
        .json()
        .error.details.map((d: { field: string }) => d.field)
        .sort(),
    ).toEqual(['body.flows.0', 'body.name']);
    const missing = await t.app.inject({ method: 'DELETE', url: '/api/keys/0123456789ab' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('KEY_NOT_FOUND');
    // Not a key id at all (e.g. the secret pasted instead): 400 naming the param, nothing revoked.
    const { key } = (await t.app.inject({ method: 'POST', url: '/api/keys', payload: { name: 'kept' } })).json();
    const malformed = await t.app.inject({ method: 'DELETE', url: `/api/keys/${key}` });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.details).toEqual([expect.objectContaining({ field: 'params.id' })]);
    expect((await t.app.inject({ method: 'GET', url: '/api/keys' })).json().keys[0].revokedAt).toBeNull();
  });
});

describe('admin token', () => {
  it('guards the editor API when set; health and the published API stay key-only', async () => {
    t = await startTestApp({ adminToken: 'sesame' });
    const denied = await t.app.inject({ method: 'GET', url: '/api/flows' });
    expect(denied.statusCode).toBe(401);
    expect(denied.json().error.code).toBe('UNAUTHORIZED');
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/flows', headers: { authorization: 'Bearer nope' } })).statusCode,
    ).toBe(401);
    const auth = { authorization: 'Bearer sesame' };
    expect((await t.app.inject({ method: 'GET', url: '/api/flows', headers: auth })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'POST', url: '/api/keys', payload: { name: 'x' } })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/api/health' })).statusCode).toBe(200);
    // The admin token is not an API key.
    await t.app.inject({ method: 'POST', url: '/api/flows', payload: echoFlow(), headers: auth });
    await t.app.inject({ method: 'POST', url: '/api/flows/echo/publish', payload: {}, headers: auth });
    const v1 = await t.app.inject({
      method: 'POST',
      url: '/api/v1/flows/echo/run',
      payload: { inputs: { question: 'x' } },
      headers: auth,
    });
    expect(v1.statusCode).toBe(401);
  });

  it('needs the token in the socket.io handshake', async () => {
    t = await startTestApp({ adminToken: 'sesame' });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.address() as { port: number };
    const attempt = (token?: string) =>
      new Promise<string>((resolve) => {
        const socket = connect(`http://127.0.0.1:${port}/traces`, {
          transports: ['websocket'],
          reconnection: false,
          auth: token ? { token } : {},
        });
        socket.on('connect', () => {
          socket.close();
          resolve('connected');
        });
        socket.on('connect_error', (err) => {
          socket.close();
          resolve(`refused: ${err.message}`);
        });
      });
    expect(await attempt()).toMatch(/^refused/);
    expect(await attempt('wrong')).toMatch(/^refused/);
    expect(await attempt('sesame')).toBe('connected');
  });

  it('refuses to start on a non-loopback host without a token, leaving nothing open', async () => {
    const dataDir = tempDir();
    try {
      const config = testConfig({ dataDir, host: '0.0.0.0', templatesDir: join(dataDir, 'none') });
      await expect(buildTestApp(config)).rejects.toMatchObject({ code: 'SERVICE_NOT_CONFIGURED' });
      // The store opened before the refusal is closed again: every connection gone, so its WAL is gone too.
      expect(readdirSync(dataDir).filter((name) => name.startsWith(DB_FILE))).toEqual([DB_FILE]);
    } finally {
      removeTempDir(dataDir);
    }
    t = await startTestApp({ host: '0.0.0.0', adminToken: 'sesame' });
    expect((await t.app.inject({ method: 'GET', url: '/api/flows' })).statusCode).toBe(401);
  });
});
