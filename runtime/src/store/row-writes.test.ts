import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDir, tempDir } from '../testing/fixtures.js';
import { addEvent, BatchWriter, emptyBatch, type WriteBatch } from './row-writes.js';
import { Store } from './store.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) removeTempDir(dir);
});

function openStore(): Store {
  const dir = tempDir('writes');
  dirs.push(dir);
  return Store.open(dir, { writer: 'inline', flushDelayMs: 60_000 });
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
    sessionId: null,
    parentRunId: null,
    depth: 0,
  };
}

function finish(runId: string) {
  return {
    runId,
    status: 'completed',
    outputs: '{"a":1}',
    error: null,
    usage: null,
    cost: null,
    endedAt: new Date().toISOString(),
    durationMs: 5,
  };
}

describe('BatchWriter', () => {
  it('lands the final state when batches are written again after their first commit (a lost writer thread)', () => {
    const store = openStore();
    const writer = new BatchWriter(store.db);
    const first: WriteBatch = { ...emptyBatch(1), runs: [runRow('r_again')] };
    addEvent(first, { runId: 'r_again', seq: 0, type: 'run.started' });
    const second: WriteBatch = { ...emptyBatch(2), finishes: [finish('r_again')] };
    addEvent(second, { runId: 'r_again', seq: 1, type: 'run.completed' });
    // The thread committed the first batch but died before saying so: both are written again, together.
    writer.write([first]);
    writer.write([first, second]);
    expect(store.getRun('r_again')).toMatchObject({ status: 'completed', outputs: { a: 1 }, durationMs: 5 });
    expect(store.getEvents('r_again').map((e) => e.seq)).toEqual([0, 1]);
    store.close();
  });

  it('keeps events whose text holds tabs, newlines and non-ASCII exactly', () => {
    const store = openStore();
    const writer = new BatchWriter(store.db);
    const batch: WriteBatch = { ...emptyBatch(1), runs: [runRow('r_text')] };
    const tricky = 'a\tb\nc\r\n“quoted” — ünïcode 🧵 \u2028 end';
    addEvent(batch, { runId: 'r_text', seq: 0, type: 'node.log', data: { message: tricky } } as never);
    addEvent(batch, { runId: 'r_text', seq: 1, type: 'node.log', data: { message: '' } } as never);
    writer.write([batch]);
    const events = store.getEvents('r_text') as unknown as { seq: number; data: { message: string } }[];
    expect(events.map((e) => [e.seq, e.data.message])).toEqual([
      [0, tricky],
      [1, ''],
    ]);
    store.close();
  });
});
