import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, buildBin } from '../testing/bin.js';
import { removeTempDir, tempDir } from '../testing/fixtures.js';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';

// Bad or missing scale-out settings stop a real process at start, with one line naming the variable.

let database: TestDatabase;
let dataDir: string;
beforeAll(async () => {
  buildBin();
  database = await createTestDatabase();
  dataDir = tempDir('roles');
}, 60_000);
afterAll(async () => {
  await database?.drop();
  removeTempDir(dataDir);
});

const MAIN = BIN.replace(/bin[/\\]flowloom\.js$/, 'dist/main.js');

/**
 * Runs the bin (or, with `main`, `node dist/main.js` as `npm start` does) with an environment; resolves with its exit
 * code and stderr once it exits (bounded in time).
 */
function runBin(
  args: string[] | 'main',
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, args === 'main' ? [MAIN] : [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', FLOWLOOM_DATA: dataDir, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) => {
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

function oneLineNaming(stderr: string, variable: string): void {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toContain(variable);
}

describe('roles and settings (real processes)', () => {
  it('flowloom worker without DATABASE_URL stops with one line naming it', async () => {
    const { code, stderr } = await runBin(['worker'], { REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(code).toBe(2);
    oneLineNaming(stderr, 'DATABASE_URL');
  });

  it('FLOWLOOM_ROLE=api without REDIS_URL stops with one line naming it', async () => {
    const { code, stderr } = await runBin(['serve', '--port', '0'], {
      FLOWLOOM_ROLE: 'api',
      DATABASE_URL: database.url,
    });
    expect(code).toBe(2);
    expect(stderr).toContain('REDIS_URL');
    expect(stderr).not.toContain('Flowloom 0');
  });

  it('names FLOWLOOM_ROLE, REDIS_URL and FLOWLOOM_WORKER_CONCURRENCY when they are malformed', async () => {
    const base = { DATABASE_URL: database.url, REDIS_URL: 'redis://127.0.0.1:6379' };
    const role = await runBin('main', { ...base, FLOWLOOM_ROLE: 'boss' });
    expect(role.code).toBe(1);
    oneLineNaming(role.stderr, 'FLOWLOOM_ROLE');
    const cases = [
      ['REDIS_URL', 'http://127.0.0.1:6379'],
      ['FLOWLOOM_WORKER_CONCURRENCY', 'many'],
      ['FLOWLOOM_QUEUE_LOCK_MS', '5'],
      ['FLOWLOOM_QUEUE_PREFIX', 'a b'],
    ] as const;
    const answers = await Promise.all(
      cases.map(([variable, value]) => runBin(['worker'], { ...base, [variable]: value })),
    );
    cases.forEach(([variable], i) => {
      expect(answers[i]?.code, variable).toBe(2);
      oneLineNaming(answers[i]?.stderr ?? '', variable);
    });
  });

  it('a Redis that cannot be reached stops a worker with one line naming REDIS_URL', async () => {
    const { code, stderr } = await runBin(['worker'], { DATABASE_URL: database.url, REDIS_URL: 'redis://127.0.0.1:1' });
    expect(code).toBe(1);
    oneLineNaming(stderr, 'REDIS_URL');
  });

  it('node dist/main.js with FLOWLOOM_ROLE=worker and no REDIS_URL stops with one line naming it', async () => {
    const { code, stderr } = await runBin('main', { FLOWLOOM_ROLE: 'worker', DATABASE_URL: database.url });
    expect(code).toBe(1);
    oneLineNaming(stderr, 'REDIS_URL');
  });
});
