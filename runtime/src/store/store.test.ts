import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FlowFile, TraceEvent } from '@flowloom/nodes';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { exportStatements } from './finetune.js';
import { MIGRATIONS, migrate, schemaVersion } from './migrations.js';
import { DB_FILE, SqliteStore, type SqliteStoreOptions } from './store.js';

const root = fileURLToPath(new URL('../../.tmp-store/', import.meta.url));
let counter = 0;
function tempDir(): string {
  const dir = join(root, `${process.pid}-${counter++}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}
afterAll(() => rmSync(root, { recursive: true, force: true }));

const flow: FlowFile = {
  format: 'flowloom.flow/v1',
  id: 'echo',
  name: 'Echo',
  nodes: [
    { id: 'q', type: 'input', position: { x: 0, y: 0 } },
    { id: 'a', type: 'output', position: { x: 200, y: 0 } },
  ],
  edges: [{ id: 'e1', source: 'q', sourcePort: 'value', target: 'a', targetPort: 'value' }],
};

function event(runId: string, seq: number, type: TraceEvent['type'] = 'node.log'): TraceEvent {
  return { runId, seq, at: new Date().toISOString(), type, flowId: 'echo', data: { message: `m${seq}` } } as TraceEvent;
}

describe('file modes', () => {
  it('creates the data folder 0700 and the database, its WAL and the owner lock 0600', async () => {
    const dataDir = join(tempDir(), 'data');
    const store = SqliteStore.open(dataDir);
    await store.createFlow(flow);
    const mode = (path: string) => statSync(path).mode & 0o777;
    expect(mode(dataDir)).toBe(0o700);
    expect(mode(join(dataDir, 'owners'))).toBe(0o700);
    const files = readdirSync(dataDir).filter((name) => name.startsWith(DB_FILE));
    expect(files).toEqual(expect.arrayContaining([DB_FILE, `${DB_FILE}-wal`]));
    for (const name of files) expect(mode(join(dataDir, name)), name).toBe(0o600);
    for (const name of readdirSync(join(dataDir, 'owners'))) expect(mode(join(dataDir, 'owners', name))).toBe(0o600);
    await store.close();
  });
});

describe('migrations', () => {
  it('creates every table on a new database, in WAL mode', async () => {
    const store = SqliteStore.open(tempDir());
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = (
      store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]
    ).map((t) => t.name);
    expect(tables).toEqual(
      expect.arrayContaining(['schema_migrations', 'flows', 'flow_versions', 'runs', 'run_events', 'feedback']),
    );
    expect(schemaVersion(store.db)).toBe(MIGRATIONS.at(-1)?.version);
    // Crash recovery's query (unfinished runs) uses the partial index, which finished runs never touch.
    const plan = store.db
      .prepare("EXPLAIN QUERY PLAN SELECT runId FROM runs WHERE status IN ('running', 'queued')")
      .all() as { detail: string }[];
    expect(plan.map((row) => row.detail).join(' ')).toContain('runs_unfinished');
    await store.close();
  });

  it("bumps the keys' revision on a change to any column of a key but its last use (a column added later too)", async () => {
    const store = SqliteStore.open(tempDir());
    const columns = (store.db.prepare('PRAGMA table_info(api_keys)').all() as { name: string }[]).map((c) => c.name);
    const trigger = store.db
      .prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'api_keys_revised_by_update'")
      .pluck()
      .get() as string;
    const watched = (/UPDATE OF (.+?) ON api_keys/s.exec(trigger)?.[1] ?? '').split(',').map((c) => c.trim());
    // A new column of api_keys must be added to the trigger (a new migration), or cached keys would not see it change.
    expect(watched.sort()).toEqual(columns.filter((c) => c !== 'lastUsedAt').sort());
    await store.close();
  });

  it('re-opening an up-to-date database applies nothing and keeps the data', async () => {
    const dir = tempDir();
    const first = SqliteStore.open(dir);
    await first.createFlow(flow);
    await first.close();
    const db = new Database(join(dir, DB_FILE));
    expect(migrate(db)).toEqual([]);
    db.close();
    const second = SqliteStore.open(dir);
    expect((await second.getFlow('echo'))?.version).toBe(1);
    await second.close();
  });

  it('migrates a version-1 database with data to the latest version', async () => {
    const dir = tempDir();
    const db = new Database(join(dir, DB_FILE));
    expect(migrate(db, MIGRATIONS.slice(0, 1))).toEqual([1]);
    db.prepare(
      "INSERT INTO runs (runId, flowId, flowVersion, status, inputs, startedAt) VALUES ('r_old', 'echo', 1, 'completed', '{}', ?)",
    ).run(new Date().toISOString());
    db.prepare("INSERT INTO run_events (runId, seq, type, json) VALUES ('r_old', 0, 'run.started', ?)").run(
      JSON.stringify(event('r_old', 0, 'run.started')),
    );
    db.close();

    const store = SqliteStore.open(dir);
    expect(schemaVersion(store.db)).toBe(MIGRATIONS.at(-1)?.version);
    expect(await store.getRun('r_old')).toMatchObject({ runId: 'r_old', status: 'completed', depth: 0 });
    expect(await store.getEvents('r_old')).toHaveLength(1);
    expect(
      (
        await store.putFeedback({
          id: 'f',
          runId: 'r_old',
          key: 'user',
          score: 1,
          source: 'api',
          author: 'admin',
          at: '2026-01-01',
        })
      ).score,
    ).toBe(1);
    await store.close();
  });

  it('rolls back a failing migration as a whole', async () => {
    const dir = tempDir();
    const db = new Database(join(dir, DB_FILE));
    const broken = [
      ...MIGRATIONS,
      { version: 99, name: 'broken', sql: 'CREATE TABLE half (x INTEGER); SELECT * FROM nope;' },
    ];
    expect(() => migrate(db, broken)).toThrow(/no such table/);
    expect(schemaVersion(db)).toBe(MIGRATIONS.at(-1)?.version);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").get()).toBeUndefined();
    db.close();
  });
});

function startRun(store: SqliteStore, runId: string, inputs: Record<string, unknown> = {}): void {
  store.insertRun({
    runId,
    flowId: 'echo',
    flowVersion: 1,
    status: 'running',
    inputs,
    startedAt: new Date().toISOString(),
  });
}

const count = (db: Database.Database, table: string) =>
  (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

/** Polls until `check` holds (background commits land on another thread or tick), failing after 5 s. */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting until ${what}`);
}

describe('fine-tuning export of listed runs', () => {
  it('looks the listed runs and their events up by id, never scanning, and reads each once', async () => {
    const store = SqliteStore.open(tempDir(), { writer: 'inline', flushDelayMs: 0 });
    for (const runId of ['r_1', 'r_2', 'r_3']) {
      startRun(store, runId);
      store.enqueueEvent({ ...event(runId, 0, 'node.started'), nodeId: 'a', spanId: `s_${runId}` } as TraceEvent, 1);
      store.finishRun(runId, 1, { status: 'completed', outputs: {}, endedAt: new Date().toISOString(), durationMs: 1 });
    }
    const runs = await store.exportRuns({ runIds: ['r_3', 'r_1', 'r_3', 'r_gone'] });
    expect(runs.map((run) => [run.runId, run.events.length])).toEqual([
      ['r_1', 1],
      ['r_3', 1],
    ]);
    // Each of its statements: one step per listed id, then a search of runs and of run_events by run id.
    for (const sql of Object.values(exportStatements(true))) {
      const plan = (
        store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ runIds: '[]', flowId: null, since: null, until: null }) as {
          detail: string;
        }[]
      ).map((row) => row.detail);
      const tables = plan.filter((detail) => / (r|e)\b/.test(detail) && !detail.includes('feedback'));
      expect(tables.length, plan.join('\n')).toBeGreaterThan(0);
      for (const detail of tables) expect(detail, plan.join('\n')).toMatch(/^SEARCH (r|e) USING/);
    }
    await store.close();
  });
});

describe.each(['thread', 'inline'] as const)('runs, %s writer', (writer) => {
  /** A store of this writer kind that collects background errors; `done` checks the kind held and nothing failed. */
  function openStore(dir: string, options: SqliteStoreOptions = {}) {
    const errors: unknown[] = [];
    const store = SqliteStore.open(dir, { writer, onError: (err) => errors.push(err), ...options });
    expect(store.hasWriterThread).toBe(writer === 'thread');
    const done = async () => {
      expect(store.hasWriterThread).toBe(writer === 'thread');
      expect(errors).toEqual([]);
      await store.close();
    };
    return { store, errors, done };
  }

  it('queues rows and events off the hot path, commits them together, and reads see them at once', async () => {
    const { store, done } = openStore(tempDir(), { flushDelayMs: 0 });
    startRun(store, 'r_1', { q: 'hi' });
    for (let seq = 0; seq < 5; seq++) store.enqueueEvent(event('r_1', seq), 1);
    // Nothing is written on the run's hot path: the row and the events go together in the background.
    expect([count(store.db, 'runs'), count(store.db, 'run_events')]).toEqual([0, 0]);
    await until(() => count(store.db, 'run_events') === 5, 'the events are committed');
    expect(count(store.db, 'runs')).toBe(1);
    expect((await store.getEvents('r_1')).map((e) => e.seq)).toEqual([0, 1, 2, 3, 4]);
    store.enqueueEvent(event('r_1', 5, 'run.completed'), 1);
    store.finishRun('r_1', 1, {
      status: 'completed',
      outputs: { a: 'hi' },
      endedAt: new Date().toISOString(),
      durationMs: 3,
    });
    // Read right away: the read commits what is queued first.
    expect(await store.getEvents('r_1')).toHaveLength(6);
    expect(await store.getRun('r_1')).toMatchObject({
      status: 'completed',
      outputs: { a: 'hi' },
      durationMs: 3,
      inputs: { q: 'hi' },
    });
    expect((await store.listRuns({ flowId: 'echo', status: 'completed' })).map((r) => r.runId)).toEqual(['r_1']);
    expect(await store.listRuns({ status: 'failed' })).toEqual([]);
    await done();
  });

  it('commits on its own once the flush delay passes, not before, and its own reads never wait for it', async () => {
    const dir = tempDir();
    const { store, done } = openStore(dir, { flushDelayMs: 300 });
    startRun(store, 'r_t');
    store.enqueueEvent(event('r_t', 0, 'run.started'), 1);
    // Another connection (another process reading the data folder) sees the row once the delay has passed.
    const other = new Database(join(dir, DB_FILE), { readonly: true });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(count(other, 'run_events')).toBe(0);
    await until(() => count(other, 'run_events') === 1, 'another connection sees the event');
    // With a delay no test waits for, the store's own reads still see everything at once.
    const slow = openStore(tempDir(), { flushDelayMs: 60_000 });
    startRun(slow.store, 'r_s');
    slow.store.enqueueEvent(event('r_s', 0, 'run.started'), 1);
    expect((await slow.store.getEvents('r_s')).map((e) => e.type)).toEqual(['run.started']);
    expect((await slow.store.getRun('r_s'))?.status).toBe('running');
    other.close();
    await done();
    await slow.done();
  });

  it('does not wait for the delay once a large batch of events is queued', async () => {
    const { store, done } = openStore(tempDir(), { flushDelayMs: 60_000 });
    startRun(store, 'r_big');
    for (let seq = 0; seq < 6000; seq++) store.enqueueEvent(event('r_big', seq), 1);
    // Committed from the 5000th event on, not after a minute.
    await until(() => count(store.db, 'run_events') === 6000, 'the large batch is committed');
    await done();
  });

  it('commits what is queued when it closes', async () => {
    const dir = tempDir();
    const { store, done } = openStore(dir, { flushDelayMs: 60_000 });
    startRun(store, 'r_close');
    store.enqueueEvent(event('r_close', 0, 'run.started'), 1);
    store.finishRun('r_close', 1, { status: 'completed', endedAt: new Date().toISOString(), durationMs: 1 });
    await done();
    const reopened = new Database(join(dir, DB_FILE), { readonly: true });
    expect(reopened.prepare('SELECT status FROM runs').all()).toEqual([{ status: 'completed' }]);
    expect(count(reopened, 'run_events')).toBe(1);
    reopened.close();
  });

  it('has closed every connection when close returns, even right after opening (its folder can go at once)', async () => {
    const dir = tempDir();
    const { store, done } = openStore(dir);
    // A thread may still be starting: close waits for it to open and close its connection, so the last connection
    // to close (the store's own) removes the WAL, and no file is created again after the caller removes them.
    await done();
    expect(readdirSync(dir)).toEqual([DB_FILE]);
    rmSync(join(dir, DB_FILE));
    await store.writerThreadExited();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('keeps queued rows and events when a commit fails (database locked), and commits them with the next', async () => {
    const dir = tempDir();
    const { store, errors } = openStore(dir, { flushDelayMs: 0, busyTimeoutMs: 0 });
    // Another connection (e.g. a CLI run on the same data folder) holds the write lock.
    const other = new Database(join(dir, DB_FILE));
    other.exec('BEGIN IMMEDIATE');
    startRun(store, 'r_busy');
    for (let seq = 0; seq < 3; seq++) store.enqueueEvent(event('r_busy', seq), 1);
    // The background commit fails: reported, not thrown out of a timer (which would crash the process).
    await until(() => errors.length === 1, 'the failed commit is reported');
    expect(String(errors[0])).toMatch(/locked|busy/i);
    // The final state queues behind them; its commit fails too and keeps everything.
    store.finishRun('r_busy', 1, { status: 'completed', endedAt: new Date().toISOString(), durationMs: 1 });
    await until(() => errors.length === 2, 'the second failed commit is reported');
    // A read while the lock is held says so instead of answering with stale data.
    await expect(store.getRun('r_busy')).rejects.toThrow(/locked|busy/i);
    other.exec('COMMIT');
    other.close();
    // Once the lock is free the store tries again on its own: another process sees the run without any read here.
    const reader = new Database(join(dir, DB_FILE), { readonly: true });
    await until(() => count(reader, 'run_events') === 3, 'the retry commits the queued events');
    expect(reader.prepare('SELECT status FROM runs').all()).toEqual([{ status: 'completed' }]);
    reader.close();
    expect((await store.getEvents('r_busy')).map((e) => e.seq)).toEqual([0, 1, 2]);
    await store.close();
  });
});

describe('runs, when the writer thread fails', () => {
  it('writes what the thread may not have committed, and everything after, on its own connection', async () => {
    const dir = tempDir();
    const errors: unknown[] = [];
    const store = SqliteStore.open(dir, { flushDelayMs: 0, onError: (err) => errors.push(err) });
    // A live thread first: it has committed something.
    startRun(store, 'r_first');
    await until(() => count(store.db, 'runs') === 1, 'the thread commits');
    startRun(store, 'r_before');
    for (let seq = 0; seq < 3; seq++) store.enqueueEvent(event('r_before', seq), 1);
    // Posted to the thread on the next tick; killed right after, committed or not.
    await new Promise((resolve) => setImmediate(resolve));
    await store.killWriterThread();
    await until(() => !store.hasWriterThread, 'the store notices the thread is gone');
    expect(String(errors[0])).toMatch(/writer thread exited/);
    startRun(store, 'r_after');
    store.enqueueEvent(event('r_after', 0, 'run.started'), 1);
    store.finishRun('r_before', 1, { status: 'completed', endedAt: new Date().toISOString(), durationMs: 2 });
    expect((await store.getEvents('r_before')).map((e) => e.seq)).toEqual([0, 1, 2]);
    expect((await store.getRun('r_before'))?.status).toBe('completed');
    expect(await store.getEvents('r_after')).toHaveLength(1);
    await store.close();
    const reopened = new Database(join(dir, DB_FILE), { readonly: true });
    expect(count(reopened, 'runs')).toBe(3);
    expect(count(reopened, 'run_events')).toBe(4);
    reopened.close();
  });

  it('answers a read that was waiting on a thread that died, instead of hanging', async () => {
    const dir = tempDir();
    const errors: unknown[] = [];
    // A short busy timeout: a silent thread is given up on after 2 × 100 ms + 1 s.
    const store = SqliteStore.open(dir, {
      flushDelayMs: 60_000,
      busyTimeoutMs: 100,
      onError: (err) => errors.push(err),
    });
    startRun(store, 'r_live');
    await store.flush();
    await until(() => count(store.db, 'runs') === 1, 'the thread commits');
    startRun(store, 'r_orphan');
    store.enqueueEvent(event('r_orphan', 0, 'run.started'), 1);
    // The thread is stopped while this thread blocks in the read: its exit event cannot be handled meanwhile.
    void store.killWriterThread();
    expect((await store.getRun('r_orphan'))?.status).toBe('running');
    expect(await store.getEvents('r_orphan')).toHaveLength(1);
    expect(store.hasWriterThread).toBe(false);
    expect(errors.map(String).join(' ')).toMatch(/writer thread (did not answer|exited)/);
    await store.close();
  });

  it('takes over at once when the thread cannot open the database, instead of waiting for it', async () => {
    const dir = tempDir();
    const errors: unknown[] = [];
    const store = SqliteStore.open(dir, { flushDelayMs: 60_000, onError: (err) => errors.push(err) });
    // Gone before the thread (still starting) opens it: the thread never creates a database of its own.
    for (const name of readdirSync(dir)) rmSync(join(dir, name), { recursive: true });
    startRun(store, 'r_alone');
    store.enqueueEvent(event('r_alone', 0, 'run.started'), 1);
    // The read blocks on the thread, which says it failed: the store answers from its own connection.
    expect(await store.getEvents('r_alone')).toHaveLength(1);
    expect(store.hasWriterThread).toBe(false);
    expect(errors.map(String).join(' ')).toMatch(/could not open the database/);
    expect(readdirSync(dir)).toEqual([]);
    await store.close();
  });

  it('stops the thread when its last commit fails at close, so the process can exit, and keeps the data', async () => {
    const dir = tempDir();
    const errors: unknown[] = [];
    const store = SqliteStore.open(dir, {
      flushDelayMs: 60_000,
      busyTimeoutMs: 50,
      onError: (err) => errors.push(err),
    });
    const other = new Database(join(dir, DB_FILE));
    other.exec('BEGIN IMMEDIATE');
    startRun(store, 'r_at_close');
    await store.close();
    // Both the thread and the fallback on the store's own connection met the lock: reported, not thrown.
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(String(errors[0])).toMatch(/locked|busy/i);
    expect(store.hasWriterThread).toBe(false);
    other.exec('ROLLBACK');
    other.close();
  });
});
