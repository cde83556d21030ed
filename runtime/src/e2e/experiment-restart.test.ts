import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type FakeOpenAI, startFakeOpenAI } from '@flowloom/test/fake-openai';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_FILE } from '../store/store.js';
import { buildBin, startServe } from '../testing/bin.js';
import { chatFlow, removeTempDir, tempDir } from '../testing/fixtures.js';

// kill -9 in the middle of an experiment: the next start goes on with it, and no finished cell runs again, not even
// one whose outcome the killed process had not written yet (its run had ended: the next start takes its outcome).

let fake: FakeOpenAI;
let dir: string;

beforeAll(async () => {
  buildBin();
  fake = await startFakeOpenAI();
  dir = tempDir('experiment-restart');
});

afterAll(async () => {
  await fake.close();
  removeTempDir(dir);
});

/** Reads the database as another process would (read-only), until `query` answers rows that `until` accepts. */
async function waitForRows<T>(path: string, sql: string, until: (rows: T[]) => boolean): Promise<T[]> {
  for (;;) {
    try {
      const db = new Database(path, { readonly: true, fileMustExist: true });
      try {
        const rows = db.prepare(sql).all() as T[];
        if (until(rows)) return rows;
      } finally {
        db.close();
      }
    } catch {
      // Not created yet, or busy.
    }
    await sleep(25);
  }
}

async function call(url: string, method: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

describe('an experiment across a crash', () => {
  it('resumes after kill -9 without rerunning finished cells', async () => {
    const dataDir = join(dir, 'data');
    const env = { OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'test' };
    const first = await startServe(dataDir, env);
    expect((await call(`${first.url}/api/flows`, 'POST', chatFlow())).status).toBe(201);
    expect((await call(`${first.url}/api/datasets`, 'POST', { id: 'qa', name: 'QA' })).status).toBe(201);
    // Three quick items, then slow ones: the process dies while the first slow one waits for its model.
    const items = [
      ...['one', 'two', 'three'].map((q) => ({ id: q, input: { question: q }, expected: `echo: Q: ${q}` })),
      ...['four', 'five'].map((q) => ({ id: q, input: { question: `${q} [[latency:1500]]` } })),
    ];
    expect((await call(`${first.url}/api/datasets/qa/items`, 'POST', { items })).status).toBe(201);
    const started = await call(`${first.url}/api/experiments`, 'POST', {
      datasetId: 'qa',
      targets: [{ flowId: 'chat', version: 'draft' }],
      evaluators: [{ type: 'latency', maxMs: 60_000 }],
      concurrency: 1,
    });
    expect(started.status).toBe(202);
    const { experimentId } = started.json as { experimentId: string };

    const dbPath = join(dataDir, DB_FILE);
    const finished = await waitForRows<{ seq: number; runId: string }>(
      dbPath,
      `SELECT seq, runId FROM experiment_cells WHERE status = 'done' ORDER BY seq`,
      (rows) => rows.length >= 3,
    );
    await waitForRows(
      dbPath,
      `SELECT runId FROM run_events WHERE type = 'node.started' AND json LIKE '%"nodeId":"llm"%' AND json LIKE '%four%'`,
      (rows) => rows.length > 0,
    );
    const exited = new Promise((resolve) => first.child.on('exit', (_code, signal) => resolve(signal)));
    first.child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    // The item in flight was stored as started, with its run.
    const db = new Database(dbPath);
    try {
      const inFlight = db
        .prepare(
          "SELECT c.status, c.runId FROM experiment_cells c JOIN experiment_items i USING (experimentId, seq) WHERE i.itemId = 'four'",
        )
        .get() as { status: string; runId: string | null };
      expect(inFlight).toEqual({ status: 'running', runId: expect.stringMatching(/^r_/) });
      // As if the kill had come before the outcome of "three" was written (finished cells are written in batches):
      // started, with its run, which completed.
      const lost = db
        .prepare(
          `UPDATE experiment_cells SET status = 'running', output = NULL, scores = NULL, passed = NULL, durationMs = NULL,
             endedAt = NULL WHERE seq = 3 AND runId IS NOT NULL`,
        )
        .run();
      expect(lost.changes).toBe(1);
    } finally {
      db.close();
    }

    const second = await startServe(dataDir, env);
    try {
      let experiment: { status: string; progress: { done: number; total: number; errors: number } };
      for (;;) {
        experiment = (await call(`${second.url}/api/experiments/${experimentId}`, 'GET')).json as typeof experiment;
        if (experiment.status !== 'running' && experiment.status !== 'queued') break;
        await sleep(50);
      }
      expect(experiment).toMatchObject({ status: 'completed', progress: { done: 5, total: 5, errors: 0 } });
      const { rows } = (await call(`${second.url}/api/experiments/${experimentId}/results`, 'GET')).json as {
        rows: { itemId: string; cells: { runId: string; status: string }[] }[];
      };
      // The cells finished before the kill keep their runs, "three" too (its run's outcome taken, not run again).
      for (const { seq, runId } of finished) {
        expect(rows[seq - 1]?.cells[0]).toMatchObject({ runId, status: 'done' });
      }
      const { runs } = (await call(`${second.url}/api/runs?flowId=chat&limit=100`, 'GET')).json as {
        runs: { inputs: { question: string }; status: string; error?: { code: string } }[];
      };
      const byQuestion = (q: string) => runs.filter((run) => run.inputs.question.startsWith(q));
      for (const q of ['one', 'two', 'three']) expect(byQuestion(q), q).toHaveLength(1);
      // The item in flight at the kill: its interrupted run, then the run that finished it.
      expect(
        byQuestion('four')
          .map((run) => run.error?.code ?? run.status)
          .sort(),
      ).toEqual(['RUN_INTERRUPTED', 'completed']);
      expect(byQuestion('five')).toHaveLength(1);
    } finally {
      const gone = new Promise((resolve) => second.child.on('exit', resolve));
      second.child.kill('SIGTERM');
      await gone;
    }
  });
});
