import type { TraceEvent } from '@flowloom/nodes';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDir, tempDir } from '../testing/fixtures.js';
import { addEvent, BatchWriter, emptyBatch, type WriteBatch } from './row-writes.js';
import { SqliteStore } from './store.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) removeTempDir(dir);
});

function openStore(): SqliteStore {
  const dir = tempDir('writes');
  dirs.push(dir);
  return SqliteStore.open(dir, { writer: 'inline', flushDelayMs: 60_000 });
}

function runRow(runId: string) {
  return {
    runId,
    flowId: 'echo',
    flowVersion: 1,
    status: 'running',
    inputs: '{}',
    startedAt: new Date().toISOString(),
    pid: process.pid,
    owner: null,
    sessionId: null,
    parentRunId: null,
    depth: 0,
    attempt: 1,
    source: null,
    origin: null,
  };
}

function finish(runId: string) {
  return {
    runId,
    attempt: 1,
    status: 'completed',
    outputs: '{"a":1}',
    error: null,
    usage: null,
    cost: null,
    endedAt: new Date().toISOString(),
    durationMs: 5,
    ttftMs: null,
  };
}

/** A run's first or last event, as a run emits them. */
function runEvent(runId: string, end: boolean): TraceEvent {
  const envelope = { runId, at: new Date().toISOString(), flowId: 'f' };
  return end
    ? { ...envelope, seq: 1, type: 'run.completed', data: { outputs: { a: 1 }, durationMs: 5 } }
    : { ...envelope, seq: 0, type: 'run.started', data: { inputs: {} } };
}
const started = (runId: string) => runEvent(runId, false);
const completed = (runId: string) => runEvent(runId, true);

describe('BatchWriter', () => {
  it('lands the final state when batches are written again after their first commit (a lost writer thread)', async () => {
    const store = openStore();
    const writer = new BatchWriter(store.db);
    const first: WriteBatch = { ...emptyBatch(1), runs: [runRow('r_again')] };
    addEvent(first, started('r_again'), 1);
    const second: WriteBatch = { ...emptyBatch(2), finishes: [finish('r_again')] };
    addEvent(second, completed('r_again'), 1);
    // The thread committed the first batch but died before saying so: both are written again, together.
    writer.write([first]);
    writer.write([first, second]);
    expect(await store.getRun('r_again')).toMatchObject({ status: 'completed', outputs: { a: 1 }, durationMs: 5 });
    expect((await store.getEvents('r_again')).map((e) => e.seq)).toEqual([0, 1]);
    await store.close();
  });

  it('writes nothing of an older attempt when its batches come again after the run was claimed', async () => {
    const store = openStore();
    const writer = new BatchWriter(store.db);
    const first: WriteBatch = { ...emptyBatch(1), runs: [runRow('r_claimed')] };
    addEvent(first, started('r_claimed'), 1);
    writer.write([first]);
    expect(await store.claimRun('r_claimed')).toBe(2);
    const late: WriteBatch = { ...emptyBatch(2), finishes: [finish('r_claimed')] };
    addEvent(late, completed('r_claimed'), 1);
    writer.write([first, late]);
    expect(await store.getRun('r_claimed')).toMatchObject({ status: 'running', attempt: 2 });
    expect((await store.getEvents('r_claimed')).map((e) => e.seq)).toEqual([0]);
    await store.close();
  });
});
