import { join } from 'node:path';
import { NodeRegistry } from '@flowloom/nodes';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDir, tempDir } from '../testing/fixtures.js';
import { PublishedService } from './published.js';
import { DB_FILE, Store } from './store.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) removeTempDir(dir);
});

describe('PublishedService.recordRun', () => {
  it('keeps queued published_runs rows when the background write fails (database locked), instead of crashing', async () => {
    const dir = tempDir('published');
    dirs.push(dir);
    const store = Store.open(dir);
    store.db.pragma('busy_timeout = 0');
    const published = new PublishedService(store, new NodeRegistry());
    const other = new Database(join(dir, DB_FILE));
    other.exec('BEGIN IMMEDIATE');
    published.recordRun('r_locked', 'echo', 1, 'abcdefabcdef', 'run');
    // The write on the next tick fails; before the fix it threw out of setImmediate (an uncaught exception).
    await new Promise((resolve) => setImmediate(resolve));
    other.exec('COMMIT');
    other.close();
    published.flushRuns();
    const rows = store.db.prepare('SELECT runId, flowId, version, keyId, endpoint FROM published_runs').all();
    expect(rows).toEqual([{ runId: 'r_locked', flowId: 'echo', version: 1, keyId: 'abcdefabcdef', endpoint: 'run' }]);
    store.close();
  });
});
