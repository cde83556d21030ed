import type { FlowFile, TraceEvent } from '@flowloom/nodes';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../testing/postgres.js';
import { startTcpProxy, type TcpProxy } from '../../testing/tcp-proxy.js';
import { PgDatabase } from './db.js';
import { PG_MIGRATIONS } from './migrations.js';
import { PostgresStore } from './store.js';

// What only Postgres has: a database on the other side of a network that can go away. The store sits behind a TCP
// proxy the test controls (the shared server itself is never stopped).

const flow: FlowFile = {
  format: 'flowloom.flow/v1',
  id: 'echo',
  name: 'Echo',
  nodes: [{ id: 'q', type: 'input', position: { x: 0, y: 0 } }],
  edges: [],
};

function event(runId: string, seq: number): TraceEvent {
  return { runId, seq, at: new Date().toISOString(), type: 'node.log', flowId: 'echo', data: { message: 'm' } };
}

/** Polls until `check` holds, failing after `ms`. */
async function until(check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting until ${what}`);
}

/** A run that waits in the queue (attempt 0), for a worker to claim. */
function queued(runId: string) {
  return {
    runId,
    flowId: 'echo',
    flowVersion: 1,
    status: 'queued',
    inputs: {},
    startedAt: new Date().toISOString(),
  } as const;
}

/**
 * Counts the statements any connection sends whose text matches `pattern`, until `stop`: pool queries and those of a
 * transaction alike go through the client's `query`.
 */
function countStatements(pattern: RegExp): { count: () => number; stop: () => void } {
  const spy = vi.spyOn(pg.Client.prototype, 'query');
  const text = (config: unknown) => (typeof config === 'string' ? config : ((config as { text?: string }).text ?? ''));
  return {
    count: () => spy.mock.calls.filter(([config]) => pattern.test(text(config))).length,
    stop: () => spy.mockRestore(),
  };
}

let database: TestDatabase;
let proxy: TcpProxy;
const opened: PostgresStore[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  const target = new URL(database.url);
  proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
});
afterAll(async () => {
  try {
    await proxy?.restore();
    for (const store of opened) await store.close();
    await proxy?.close();
  } finally {
    await database?.drop();
  }
});

/** A store that reaches the database through the proxy, with short time limits. */
async function behindProxy(schema: string, errors: unknown[] = []): Promise<PostgresStore> {
  const url = new URL(database.url);
  url.port = String(proxy.port);
  const store = await PostgresStore.open({
    url: url.toString(),
    schema,
    connectTimeoutMs: 500,
    queryTimeoutMs: 500,
    flushDelayMs: 0,
    onError: (err) => errors.push(err),
  });
  opened.push(store);
  return store;
}

/** How many rows a table has, asked on a direct connection (not through the proxy). */
async function countDirect(schema: string, table: string, where = 'true'): Promise<number> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const { rows } = await client.query(`SELECT COUNT(*)::int AS n FROM ${schema}.${table} WHERE ${where}`);
    return (rows[0] as { n: number }).n;
  } finally {
    await client.end();
  }
}

describe('a Postgres that goes away', () => {
  it('answers STORE_UNAVAILABLE while it refuses connections, keeps queued runs, and commits them once it is back', async () => {
    const schema = database.schema();
    const errors: unknown[] = [];
    const store = await behindProxy(schema, errors);
    await store.createFlow(flow);
    await proxy.refuse();

    await expect(store.getFlow('echo')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', status: 503 });
    expect(() => store.assertAvailable()).toThrow(expect.objectContaining({ code: 'STORE_UNAVAILABLE' }));
    expect(await store.ping()).toBe(false);
    // A run that was already going when it went away: its rows wait in memory, the commit is tried again.
    store.insertRun({
      runId: 'r_down',
      flowId: 'echo',
      flowVersion: 1,
      status: 'running',
      inputs: {},
      startedAt: new Date().toISOString(),
    });
    store.enqueueEvent(event('r_down', 0), 1);
    store.finishRun('r_down', 1, { status: 'completed', endedAt: new Date().toISOString(), durationMs: 1 });
    await until(() => errors.length > 0, 'the failed commit is reported');
    expect(errors[0]).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    await expect(store.flush()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });

    await proxy.restore();
    // The pool reconnects on its own: the probe clears the flag and the retry lands the queued rows.
    await until(() => {
      try {
        store.assertAvailable();
        return true;
      } catch {
        return false;
      }
    }, 'the store is available again');
    await until(async () => (await countDirect(schema, 'runs', "status = 'completed'")) === 1, 'the run is committed');
    expect(await countDirect(schema, 'run_events')).toBe(1);
    expect((await store.getFlow('echo'))?.version).toBe(1);
  });

  it('rejects claims and job puts while it refuses connections, and commits the jobs once it is back', async () => {
    const schema = database.schema();
    const store = await behindProxy(schema);
    await proxy.refuse();
    // Every caller of a group that failed gets the error, those that went out first and those that waited alike.
    const claims = await Promise.allSettled(['r_a', 'r_b', 'r_c'].map((runId) => store.claimRun(runId)));
    expect(claims).toEqual(
      claims.map(() => ({ status: 'rejected', reason: expect.objectContaining({ code: 'STORE_UNAVAILABLE' }) })),
    );
    await expect(store.runJobs.put('r_job', '{"flow":1}')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });

    await proxy.restore();
    // The job stays queued with the rest of its batch: the background retry writes it.
    await until(async () => (await countDirect(schema, 'run_jobs')) === 1, 'the job is committed');
    expect(await store.runJobs.get('r_job')).toBe('{"flow":1}');
  });

  it('survives a connection cut while checked out between statements: the next one fails, nothing is uncaught', async () => {
    const url = new URL(database.url);
    url.port = String(proxy.port);
    const db = new PgDatabase({ url: url.toString(), schema: database.schema(), connectTimeoutMs: 500 });
    try {
      const client = await db.pool.connect();
      await client.query('BEGIN');
      await proxy.refuse();
      // pg reports the cut as an 'error' event on the client, with no statement running to reject.
      const socket = (client as unknown as { connection: { stream: { destroyed: boolean } } }).connection.stream;
      await until(() => socket.destroyed, 'the client saw the cut');
      await expect(client.query('SELECT 1')).rejects.toThrow();
      client.release(true);
    } finally {
      await proxy.restore();
      await db.end();
    }
  });

  it('answers STORE_UNAVAILABLE when it stops answering, within the query time limit', async () => {
    const schema = database.schema();
    const store = await behindProxy(schema);
    await store.createFlow(flow);
    proxy.mute();
    const startedAt = Date.now();
    await expect(store.getFlowText('echo')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(Date.now() - startedAt).toBeLessThan(5000);
    await expect(store.listFlows()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    await proxy.restore();
    await until(async () => (await store.ping()) === true, 'it answers again');
    expect((await store.listFlows()).map((f) => f.id)).toEqual(['echo']);
  });
});

describe('grouped statements', () => {
  /** A store on the database directly, with no delay before a commit (as soon as one is asked for). */
  async function direct(): Promise<PostgresStore> {
    const store = await PostgresStore.open({ url: database.url, schema: database.schema(), flushDelayMs: 0 });
    opened.push(store);
    return store;
  }

  it('claims runs that come while a claim is under way in one statement, each at its own attempt', async () => {
    const store = await direct();
    const runIds = Array.from({ length: 20 }, (_, i) => `r_claim${i}`);
    // Not flushed: a claim commits what was queued before it first.
    for (const runId of runIds) store.insertRun(queued(runId));
    store.insertRun(queued('r_ended'));
    store.finishRun('r_ended', 0, { status: 'cancelled', endedAt: new Date().toISOString(), durationMs: 1 });
    const statements = countStatements(/UPDATE runs SET attempt/);
    try {
      const attempts = await Promise.all(runIds.map((runId) => store.claimRun(runId)));
      expect(attempts).toEqual(runIds.map(() => 1));
      // The first claim goes out alone, the others wait for it and go together.
      expect(statements.count()).toBeLessThanOrEqual(2);
    } finally {
      statements.stop();
    }
    // Two claims of one run: the second fences out the first, even when they would fit in one group.
    store.insertRun(queued('r_twice'));
    const [other, ...twice] = await Promise.all([
      store.claimRun('r_claim0'),
      store.claimRun('r_twice'),
      store.claimRun('r_twice'),
    ]);
    expect(other).toBe(2);
    expect(twice.sort()).toEqual([1, 2]);
    expect(await store.claimRun('r_ended')).toBeUndefined();
    expect((await store.getRun('r_twice'))?.attempt).toBe(2);
  });

  it('commits a batch in one statement: no BEGIN or COMMIT of its own, every part written, stale writes fenced', async () => {
    const store = await direct();
    store.insertRun(queued('r_older'));
    await store.flush();
    expect(await store.claimRun('r_older')).toBe(1);
    expect(await store.claimRun('r_older')).toBe(2);
    const spy = vi.spyOn(pg.Client.prototype, 'query');
    // This store's statements only (an earlier test's store may still be retrying in the background).
    const ours = () =>
      spy.mock.calls.filter(([config]) =>
        JSON.stringify((config as { values?: unknown }).values ?? '').includes('r_whole'),
      );
    const begins = () => spy.mock.calls.filter(([config]) => config === 'BEGIN');
    try {
      // A run that starts and ends here, another one's events and end (and a stale attempt's), and a job.
      store.insertRun(queued('r_whole'));
      store.enqueueEvent(event('r_whole', 0), 0);
      store.finishRun('r_whole', 0, { status: 'completed', endedAt: new Date().toISOString(), durationMs: 1 });
      store.enqueueEvent(event('r_older', 0), 2);
      store.enqueueEvent(event('r_older', 1), 1);
      store.finishRun('r_older', 1, { status: 'failed', endedAt: new Date().toISOString(), durationMs: 1 });
      await Promise.all([store.runJobs.put('r_whole', '{}'), store.flush()]);
      expect(ours()).toHaveLength(1);
      expect(begins()).toHaveLength(0);
    } finally {
      spy.mockRestore();
    }
    expect(await store.getRun('r_whole')).toMatchObject({ status: 'completed' });
    expect((await store.getEvents('r_whole')).map((e) => e.seq)).toEqual([0]);
    // The stale attempt's event and end did not land; the current attempt's event did.
    expect((await store.getEvents('r_older')).map((e) => e.seq)).toEqual([0]);
    expect(await store.getRun('r_older')).toMatchObject({ status: 'running', attempt: 2 });
    expect(await store.runJobs.get('r_whole')).toBe('{}');
  });

  it('holds a commit behind a claim under way: the claim wins, the older attempt writes nothing after it', async () => {
    const schema = database.schema();
    const store = await PostgresStore.open({ url: database.url, schema, flushDelayMs: 0 });
    opened.push(store);
    store.insertRun(queued('r_race'));
    expect(await store.claimRun('r_race')).toBe(1);
    const claimer = new pg.Client({ connectionString: database.url });
    await claimer.connect();
    try {
      // Another worker's claim, not committed yet.
      await claimer.query('BEGIN');
      await claimer.query(`UPDATE ${schema}.runs SET attempt = attempt + 1 WHERE run_id = 'r_race'`);
      // Attempt 1 writes on, unaware: its commit locks the row, so it waits for the claim.
      store.enqueueEvent(event('r_race', 0), 1);
      store.finishRun('r_race', 1, { status: 'completed', endedAt: new Date().toISOString(), durationMs: 1 });
      let isCommitted = false;
      const flushed = store.flush().then(() => {
        isCommitted = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(isCommitted).toBe(false);
      await claimer.query('COMMIT');
      await flushed;
    } finally {
      await claimer.end();
    }
    expect(await store.getEvents('r_race')).toEqual([]);
    expect(await store.getRun('r_race')).toMatchObject({ status: 'running', attempt: 2 });
  });

  it('commits the jobs put at once in one batch, keeping the first job of a run', async () => {
    const store = await direct();
    const statements = countStatements(/INSERT INTO run_jobs/);
    try {
      await Promise.all([
        ...Array.from({ length: 10 }, (_, i) => store.runJobs.put(`r_job${i}`, `{"n":${i}}`)),
        store.runJobs.put('r_job1', '{"n":"again"}'),
      ]);
      // The first put's commit goes out at once, the others wait for it and go together.
      expect(statements.count()).toBeLessThanOrEqual(2);
    } finally {
      statements.stop();
    }
    await store.runJobs.put('r_job0', '{"n":"later"}');
    expect(await store.runJobs.get('r_job0')).toBe('{"n":0}');
    expect(await store.runJobs.get('r_job1')).toBe('{"n":1}');
    expect(await store.runJobs.get('r_job9')).toBe('{"n":9}');
  });
});

describe('schema', () => {
  it('applies each migration once when two processes open a new schema at the same moment', async () => {
    const schema = database.schema();
    const [a, b] = await Promise.all([
      PostgresStore.open({ url: database.url, schema }),
      PostgresStore.open({ url: database.url, schema }),
    ]);
    opened.push(a, b);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`);
      expect(rows.map((row) => row.version)).toEqual(PG_MIGRATIONS.map((m) => m.version));
    } finally {
      await client.end();
    }
  });

  it('refuses a schema name that is not plain', async () => {
    await expect(PostgresStore.open({ url: database.url, schema: 'x; DROP TABLE runs' })).rejects.toThrow(
      /not a plain schema name/,
    );
  });
});
