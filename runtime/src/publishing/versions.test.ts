import { join } from 'node:path';
import { NodeRegistry } from '@flowloom/nodes';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { DB_FILE, Store } from '../store/store.js';
import { removeTempDir, tempDir } from '../testing/fixtures.js';
import { PublishedService } from './versions.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) removeTempDir(dir);
});

describe('PublishedService.recordRun', () => {
  it('writes the published_runs row in the same commit as the run row', () => {
    const dir = tempDir('published');
    dirs.push(dir);
    const store = Store.open(dir, { flushDelayMs: 60_000, writer: 'inline' });
    const published = new PublishedService(store, new NodeRegistry());
    store.insertRun({
      runId: 'r_same',
      flowId: 'echo',
      flowVersion: 1,
      status: 'running',
      inputs: {},
      startedAt: new Date().toISOString(),
    });
    published.recordRun('r_same', 'echo', 1, 'abcdefabcdef', 'run');
    const count = (table: string) => (store.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    // Queued, not yet written: both wait for the group commit.
    expect([count('runs'), count('published_runs')]).toEqual([0, 0]);
    store.flushEvents();
    expect([count('runs'), count('published_runs')]).toEqual([1, 1]);
    store.close();
  });

  it('keeps queued published_runs rows when the group commit fails (database locked), instead of crashing', async () => {
    const dir = tempDir('published');
    dirs.push(dir);
    const errors: unknown[] = [];
    const store = Store.open(dir, {
      flushDelayMs: 0,
      writer: 'inline',
      busyTimeoutMs: 0,
      onError: (err) => errors.push(err),
    });
    const published = new PublishedService(store, new NodeRegistry());
    const other = new Database(join(dir, DB_FILE));
    other.exec('BEGIN IMMEDIATE');
    published.recordRun('r_locked', 'echo', 1, 'abcdefabcdef', 'run');
    // The write on the next tick fails: reported, not thrown out of setImmediate (an uncaught exception).
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toHaveLength(1);
    other.exec('COMMIT');
    other.close();
    store.flushEvents();
    const rows = store.db.prepare('SELECT runId, flowId, version, keyId, endpoint FROM published_runs').all();
    expect(rows).toEqual([{ runId: 'r_locked', flowId: 'echo', version: 1, keyId: 'abcdefabcdef', endpoint: 'run' }]);
    store.close();
  });
});
