import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../config.js';
import { createRuntime } from '../kernel.js';
import { echoFlow, removeTempDir, startTestApp, type TestApp, tempDir } from '../testing/fixtures.js';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';
import { startTcpProxy, type TcpProxy } from '../testing/tcp-proxy.js';

// The runtime on Postgres (DATABASE_URL) when Postgres goes away: requests that need the store answer 503
// STORE_UNAVAILABLE, health says so, the process stays up, and everything works again once Postgres is back. The
// database is reached through a TCP proxy the test controls; the shared server is never stopped.

let database: TestDatabase;
let proxy: TcpProxy;
let t: TestApp;

beforeAll(async () => {
  database = await createTestDatabase();
  const target = new URL(database.url);
  proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  const url = new URL(database.url);
  url.port = String(proxy.port);
  t = await startTestApp({
    databaseUrl: url.toString(),
    postgres: { schema: database.schema(), connectTimeoutMs: 500, queryTimeoutMs: 500 },
  });
});
afterAll(async () => {
  try {
    await proxy?.restore();
    await t?.close();
    await proxy?.close();
  } finally {
    await database?.drop();
  }
});

function inject(method: 'GET' | 'POST', url: string, payload?: object, headers: Record<string, string> = {}) {
  return t.app.inject({ method, url, payload, headers });
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting until ${what}`);
}

describe('the runtime on Postgres', () => {
  it('reports its storage kind in health', async () => {
    const health = await inject('GET', '/api/health');
    expect(health.json()).toMatchObject({ status: 'ok', storage: { status: 'ok', kind: 'postgres' } });
  });

  it('answers 503 STORE_UNAVAILABLE while Postgres refuses connections or stops answering, then recovers', async () => {
    expect((await inject('POST', '/api/flows', echoFlow())).statusCode).toBe(201);
    expect((await inject('POST', '/api/flows/echo/publish', {})).statusCode).toBe(201);
    const key = (await inject('POST', '/api/keys', { name: 'k' })).json().key as string;
    const published = () =>
      inject('POST', '/api/v1/flows/echo/run', { inputs: { question: 'hi' } }, { authorization: `Bearer ${key}` });
    expect((await inject('POST', '/api/flows/echo/runs', { inputs: { question: 'hi' } })).json()).toMatchObject({
      status: 'completed',
    });
    expect((await published()).json()).toMatchObject({ status: 'completed', outputs: { answer: 'hi' } });

    for (const outage of ['refuse', 'mute'] as const) {
      if (outage === 'refuse') await proxy.refuse();
      else proxy.mute();
      const flows = await inject('GET', '/api/flows');
      expect([outage, flows.statusCode, flows.json().error.code]).toEqual([outage, 503, 'STORE_UNAVAILABLE']);
      const run = await inject('POST', '/api/flows/echo/runs', { inputs: { question: 'hi' } });
      expect([run.statusCode, run.json().error.code]).toEqual([503, 'STORE_UNAVAILABLE']);
      // The published version and the key are cached, but a run that could not be recorded is refused all the same.
      const fromCache = await published();
      expect([fromCache.statusCode, fromCache.json().error.code]).toEqual([503, 'STORE_UNAVAILABLE']);
      const health = await inject('GET', '/api/health');
      expect(health.statusCode).toBe(200);
      expect(health.json()).toMatchObject({ status: 'degraded', storage: { status: 'unavailable', kind: 'postgres' } });

      await proxy.restore();
      await until(async () => (await inject('GET', '/api/flows')).statusCode === 200, 'the store answers again');
      expect((await inject('POST', '/api/flows/echo/runs', { inputs: { question: 'back' } })).json()).toMatchObject({
        status: 'completed',
        outputs: { answer: 'back' },
      });
      expect((await published()).statusCode).toBe(200);
    }
    // Two runs before, and two after each outage: none was recorded while it lasted.
    expect((await inject('GET', '/api/runs?flowId=echo')).json().runs).toHaveLength(6);
  });
});

describe('starting on a Postgres that is not there', () => {
  it('stops the start with one line naming DATABASE_URL', async () => {
    const dataDir = tempDir('no-pg');
    try {
      await proxy.refuse();
      const url = new URL(database.url);
      url.port = String(proxy.port);
      const starting = createRuntime(
        testConfig({ dataDir, databaseUrl: url.toString(), postgres: { connectTimeoutMs: 500 } }),
      );
      await expect(starting).rejects.toThrow(
        /^DATABASE_URL: cannot open the Postgres store at 127\.0\.0\.1:\d+\/\w+: /,
      );
      await expect(starting).rejects.not.toThrow(/\n/);
    } finally {
      await proxy.restore();
      removeTempDir(dataDir);
    }
  });
});
