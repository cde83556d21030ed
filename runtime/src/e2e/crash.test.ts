import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TraceEvent } from '@flowloom/nodes';
import { type FakeOpenAI, startFakeOpenAI } from '@flowloom/test/fake-openai';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isProcessAlive } from '../platform/process-alive.js';
import { DB_FILE, SqliteStore } from '../store/store.js';
import { BIN, buildBin, startServe } from '../testing/bin.js';
import { chatFlow, removeTempDir, tempDir } from '../testing/fixtures.js';

// kill -9 in the middle of a run: the database stays intact and the run is marked interrupted at the next start.

let fake: FakeOpenAI;
let dir: string;

beforeAll(async () => {
  buildBin();
  fake = await startFakeOpenAI();
  dir = tempDir('crash');
});

afterAll(async () => {
  await fake.close();
  removeTempDir(dir);
});

/** Polls the database (read-only, as another process would) until `query` returns a truthy row. */
async function waitForRow(path: string, sql: string, ...params: unknown[]): Promise<unknown> {
  for (;;) {
    try {
      const db = new Database(path, { readonly: true, fileMustExist: true });
      try {
        const row = db.prepare(sql).get(...params);
        if (row) return row;
      } finally {
        db.close();
      }
    } catch {
      // Not created yet.
    }
    await sleep(20);
  }
}

describe('crash recovery', () => {
  it('after kill -9 mid-run the store is intact and the run is failed with RUN_INTERRUPTED', async () => {
    const dataDir = join(dir, 'data');
    const setup = SqliteStore.open(dataDir);
    await setup.createFlow(chatFlow());
    await setup.close();

    const { child, url } = await startServe(dataDir, { OPENAI_BASE_URL: fake.url });
    // A run that blocks in the (slow) model call, answered by nobody: the process dies first.
    fetch(`${url}/api/flows/chat/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: { question: 'never answered [[hang]]' } }),
    }).catch(() => {});
    const dbPath = join(dataDir, DB_FILE);
    const row = (await waitForRow(
      dbPath,
      'SELECT runId FROM run_events WHERE type = \'node.started\' AND json LIKE \'%"nodeId":"llm"%\'',
    )) as { runId: string };
    const exited = new Promise((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const before = new Database(dbPath, { readonly: true });
    const eventsBefore = (
      before.prepare('SELECT json FROM run_events WHERE runId = ? ORDER BY seq').all(row.runId) as { json: string }[]
    ).map((r) => JSON.parse(r.json) as TraceEvent);
    expect(before.prepare('SELECT status FROM runs WHERE runId = ?').get(row.runId)).toEqual({ status: 'running' });
    before.close();

    const store = SqliteStore.open(dataDir);
    try {
      expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect((await store.getFlow('chat'))?.version).toBe(1);
      const run = await store.getRun(row.runId);
      expect(run).toMatchObject({ status: 'failed', error: { code: 'RUN_INTERRUPTED' } });
      expect(run?.endedAt).toBeDefined();
      const events = await store.getEvents(row.runId);
      expect(events.slice(0, eventsBefore.length)).toEqual(eventsBefore);
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
      expect(events[0]?.type).toBe('run.started');
      expect(events.at(-1)).toMatchObject({ type: 'run.failed', data: { error: { code: 'RUN_INTERRUPTED' } } });
    } finally {
      await store.close();
    }
  });

  it('a quick restart recovers the runs of a server killed with -9 that is still a zombie (the owner lock, not the pid)', async () => {
    const dataDir = join(dir, 'data-zombie');
    const setup = SqliteStore.open(dataDir);
    await setup.createFlow(chatFlow());
    await setup.close();
    // The server's parent is `sleep` (the shell execs it), which never reaps: killed, the server stays a zombie, and
    // kill(pid, 0) still says it is alive.
    const log = join(dir, 'zombie-serve.log');
    const parent = spawn(
      '/bin/sh',
      ['-c', `"$NODE" "$BIN" serve --port 0 --data "$DATA" 2>"$LOG" >/dev/null & echo $!; exec sleep 600`],
      {
        env: {
          PATH: process.env.PATH ?? '',
          NODE: process.execPath,
          BIN,
          DATA: dataDir,
          LOG: log,
          OPENAI_BASE_URL: fake.url,
        },
      },
    );
    try {
      const pid = Number(
        await new Promise<string>((resolve) => parent.stdout.once('data', (chunk) => resolve(String(chunk)))),
      );
      let url: string | undefined;
      while (!url) {
        url = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(await readFile(log, 'utf8').catch(() => ''))?.[1];
        if (!url) await sleep(20);
      }
      fetch(`${url}/api/flows/chat/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: { question: 'never answered [[hang]]' } }),
      }).catch(() => {});
      const row = (await waitForRow(
        join(dataDir, DB_FILE),
        'SELECT runId FROM run_events WHERE type = \'node.started\' AND json LIKE \'%"nodeId":"llm"%\'',
      )) as { runId: string };
      process.kill(pid, 'SIGKILL');
      while (!(await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.startsWith('Z')) await sleep(10);
      expect(isProcessAlive(pid)).toBe(true);

      // At once, a new server on the same data folder.
      const restarted = await startServe(dataDir, { OPENAI_BASE_URL: fake.url });
      try {
        const run = (await (await fetch(`${restarted.url}/api/runs/${row.runId}`)).json()) as {
          status: string;
          error?: { code: string };
        };
        expect(run).toMatchObject({ status: 'failed', error: { code: 'RUN_INTERRUPTED' } });
        const cancel = await fetch(`${restarted.url}/api/runs/${row.runId}/cancel`, { method: 'POST' });
        expect(((await cancel.json()) as { error: { code: string } }).error.code).toBe('RUN_NOT_RUNNING');
      } finally {
        const exited = new Promise((resolve) => restarted.child.on('exit', resolve));
        restarted.child.kill('SIGTERM');
        await exited;
      }
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('on SIGTERM the server cancels live runs, records them as cancelled and exits 0', async () => {
    const dataDir = join(dir, 'data-term');
    const setup = SqliteStore.open(dataDir);
    await setup.createFlow(chatFlow());
    await setup.close();
    const { child, url } = await startServe(dataDir, { OPENAI_BASE_URL: fake.url });
    const answer = fetch(`${url}/api/flows/chat/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: { question: 'stopped by shutdown [[hang]]' } }),
    }).then((res) => res.json() as Promise<{ status: string; runId: string }>);
    const dbPath = join(dataDir, DB_FILE);
    const row = (await waitForRow(
      dbPath,
      'SELECT runId FROM run_events WHERE type = \'node.started\' AND json LIKE \'%"nodeId":"llm"%\'',
    )) as { runId: string };
    const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    // The pending request is answered with the cancelled run before the server goes.
    expect(await answer).toMatchObject({ runId: row.runId, status: 'cancelled' });
    expect(await exited).toBe(0);
    const store = SqliteStore.open(dataDir);
    try {
      expect(await store.getRun(row.runId)).toMatchObject({ status: 'cancelled' });
      expect((await store.getEvents(row.runId)).at(-1)?.type).toBe('run.cancelled');
    } finally {
      await store.close();
    }
  });
});
