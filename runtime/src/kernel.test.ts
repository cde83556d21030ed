import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { testConfig } from './config.js';
import { createRuntime } from './kernel.js';
import { SqliteStore } from './store/store.js';
import { buildBin } from './testing/bin.js';
import { flowOf, removeTempDir, tempDir } from './testing/fixtures.js';
import { sleepKind } from './testing/kinds.js';

const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const dir of dirs.splice(0)) removeTempDir(dir);
});

describe('createRuntime', () => {
  it('closes the store it opened when a later step fails (bad secret key file)', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    writeFileSync(join(dataDir, 'secret.key'), 'too short');
    const close = vi.spyOn(SqliteStore.prototype, 'close');
    await expect(createRuntime(testConfig({ dataDir }))).rejects.toMatchObject({ code: 'SERVICE_NOT_CONFIGURED' });
    expect(close).toHaveBeenCalledTimes(1);
  });

  it('loads no Postgres, Redis, BullMQ or socket.io Redis adapter in the embedded default (all role, SQLite)', () => {
    buildBin();
    const dataDir = tempDir();
    dirs.push(dataDir);
    const dist = fileURLToPath(new URL('../dist/', import.meta.url));
    // A fresh process: the CommonJS drivers (pg, ioredis, which BullMQ loads) show in its require cache once loaded.
    const script = `
      import { createRequire } from 'node:module';
      const { createRuntime } = await import(${JSON.stringify(join(dist, 'kernel.js'))});
      const { testConfig } = await import(${JSON.stringify(join(dist, 'config.js'))});
      const { buildApp } = await import(${JSON.stringify(join(dist, 'http/app.js'))});
      const config = testConfig({ dataDir: ${JSON.stringify(dataDir)} });
      const app = await buildApp(await createRuntime(config), config);
      await app.ready();
      const loaded = Object.keys(createRequire(import.meta.url).cache);
      await app.close();
      const drivers = ['pg', 'ioredis', '@socket.io/redis-streams-adapter', 'better-sqlite3'];
      console.log(JSON.stringify(drivers.filter((name) => loaded.some((file) => file.includes('/node_modules/' + name + '/')))));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    // better-sqlite3 shows that the check sees what is loaded.
    expect(JSON.parse(out.trim().split('\n').at(-1) as string)).toEqual(['better-sqlite3']);
  }, 60_000);
});

describe('runtime.close()', () => {
  it('cancels a live run, and its final row and end event are in the store afterwards', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const runtime = await createRuntime(testConfig({ dataDir }));
    runtime.registry.register(sleepKind);
    const flow = flowOf(
      'slow',
      [
        ['q', 'input', { name: 'question', dataType: 'text' }],
        ['s', 'test-sleep', { ms: 60_000 }],
        ['out', 'output', { name: 'answer' }],
      ],
      ['q.value→s.in', 's.out→out.value'],
    );
    const started = runtime.runs.start(flow, { inputs: { question: 'x' } });
    await runtime.close();
    await expect(started.done).resolves.toMatchObject({ status: 'cancelled' });
    const store = SqliteStore.open(dataDir, { writer: 'inline', recover: false });
    try {
      expect((await store.getRun(started.handle.runId))?.status).toBe('cancelled');
      expect((await store.getEvents(started.handle.runId)).at(-1)?.type).toBe('run.cancelled');
    } finally {
      await store.close();
    }
  });
});
