import type { TraceEvent } from '@flowloom/nodes';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { deleteKeys, TEST_REDIS_URL } from '../testing/cluster.js';
import { EventStreams } from './event-streams.js';
import { RedisKeys } from './keys.js';
import { RedisConnections } from './redis.js';

// A worker's relays on a real Redis (a key prefix of this test's own, deleted after).

const prefix = `flowloom_test_streams_${process.pid}_${Date.now().toString(36)}`;
let connections: RedisConnections;
let streams: EventStreams;

beforeAll(async () => {
  connections = await RedisConnections.connect(TEST_REDIS_URL);
  streams = new EventStreams(connections, new RedisKeys(prefix), { retentionMs: 60_000 });
});

afterAll(async () => {
  await deleteKeys(connections.command, prefix);
  streams.close();
  await connections.close();
});

const event = (runId: string, seq: number, type = 'node.log'): TraceEvent =>
  ({ type, seq, runId, at: new Date(0).toISOString(), data: { message: `event ${seq}` } }) as unknown as TraceEvent;
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
const seqs = (events: TraceEvent[]) => events.map((e) => e.seq);
const range = (n: number) => Array.from({ length: n }, (_, seq) => seq);

/** Counts the script calls that relay events (distinct calls: auto-pipelining may enter one twice). */
function countRelayCalls(): { count: () => number; restore: () => void } {
  const durable = connections.durable as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const spy = vi.spyOn(durable, 'xaddFencedRuns');
  return {
    count: () => new Set(spy.mock.calls.map((args) => JSON.stringify(args))).size,
    restore: () => spy.mockRestore(),
  };
}

describe("a worker's relays", () => {
  it("send one turn's events of every run in one script call, each stream in order, the end last", async () => {
    const calls = countRelayCalls();
    const a = await streams.relay('r_a', 1);
    const b = await streams.relay('r_b', 1);
    if (!a || !b) throw new Error('no relay');
    for (let seq = 0; seq < 10; seq++) {
      a.push(event('r_a', seq));
      b.push(event('r_b', seq));
    }
    await nextTurn();
    expect(calls.count()).toBe(1);
    a.push(event('r_a', 10));
    a.end(event('r_a', 11, 'run.completed'), Promise.resolve());
    b.push(event('r_b', 10));
    await Promise.all([a.drain(), b.drain()]);
    calls.restore();
    expect(seqs(await streams.read('r_a'))).toEqual(range(12));
    expect((await streams.read('r_a')).at(-1)?.type).toBe('run.completed');
    expect(seqs(await streams.read('r_b'))).toEqual(range(11));
    // The end keeps the stream for the retention time only; a run going on keeps it for a day at most.
    const endedTtl = await connections.command.pttl(`${prefix}:run:r_a:events`);
    expect(endedTtl).toBeGreaterThan(0);
    expect(endedTtl).toBeLessThanOrEqual(60_000);
    expect(await connections.command.pttl(`${prefix}:run:r_b:events`)).toBeGreaterThan(60_000);
  });

  it('splits a batch larger than one call, in order', async () => {
    const calls = countRelayCalls();
    const relay = await streams.relay('r_large', 1);
    if (!relay) throw new Error('no relay');
    for (let seq = 0; seq < 1200; seq++) relay.push(event('r_large', seq));
    await relay.drain();
    expect(calls.count()).toBe(3);
    calls.restore();
    expect(seqs(await streams.read('r_large'))).toEqual(range(1200));
  });

  it('refuse the events of an attempt older than the newest, and skip entries already relayed', async () => {
    const first = await streams.relay('r_fenced', 1);
    const other = await streams.relay('r_other', 1);
    if (!first || !other) throw new Error('no relay');
    first.push(event('r_fenced', 0));
    first.push(event('r_fenced', 1));
    await first.drain();
    const second = await streams.relay('r_fenced', 2);
    if (!second) throw new Error('no relay');
    expect(await streams.relay('r_fenced', 1)).toBeNull();
    // The older attempt keeps emitting, in the same call as another run's events: only its own are refused.
    first.push(event('r_fenced', 2));
    first.push(event('r_fenced', 3));
    other.push(event('r_other', 0));
    await Promise.all([first.drain(), other.drain()]);
    expect(first.isFenced).toBe(true);
    expect(other.isFenced).toBe(false);
    expect(seqs(await streams.read('r_other'))).toEqual([0]);
    expect(seqs(await streams.read('r_fenced'))).toEqual([0, 1]);
    // The new attempt relays again what the old one did (a resumed run), then goes on: duplicates are skipped.
    for (let seq = 0; seq < 4; seq++) second.push(event('r_fenced', seq));
    await second.drain();
    expect(seqs(await streams.read('r_fenced'))).toEqual([0, 1, 2, 3]);
    expect(second.isFenced).toBe(false);
  });

  it('tell the attempt that claims a run whether a cancel was asked for it, in the same call', async () => {
    const keys = new RedisKeys(prefix);
    await connections.command.set(keys.cancel('r_cancelled'), '1');
    const cancelled = await streams.relay('r_cancelled', 1);
    const going = await streams.relay('r_going', 1);
    expect(cancelled?.isCancelRequested).toBe(true);
    expect(going?.isCancelRequested).toBe(false);
  });

  it("publish the run id on the `ended` channel with a run's end only (a split batch: with its last part), and not for a fenced attempt", async () => {
    const keys = new RedisKeys(prefix);
    const ended: string[] = [];
    const listener = connections.open({ maxRetriesPerRequest: null });
    await listener.subscribe(keys.channel('ended'));
    listener.on('message', (_channel: string, runId: string) => ended.push(runId));
    try {
      const short = await streams.relay('r_short', 1);
      const long = await streams.relay('r_long', 1);
      const old = await streams.relay('r_old_attempt', 1);
      if (!short || !long || !old) throw new Error('no relay');
      short.push(event('r_short', 0));
      await short.drain();
      // One more than a call holds: the end goes in the second call.
      for (let seq = 0; seq < 600; seq++) long.push(event('r_long', seq));
      long.end(event('r_long', 600, 'run.completed'), Promise.resolve());
      short.end(event('r_short', 1, 'run.failed'), Promise.resolve());
      await streams.relay('r_old_attempt', 2);
      old.end(event('r_old_attempt', 0, 'run.completed'), Promise.resolve());
      await Promise.all([short.drain(), long.drain(), old.drain()]);
      // Published after the appends, in the same script call: the last entry is the end by then.
      const marker = await streams.relay('r_marker', 1);
      if (!marker) throw new Error('no relay');
      marker.end(event('r_marker', 0, 'run.completed'), Promise.resolve());
      await marker.drain();
      for (let i = 0; i < 100 && !ended.includes('r_marker'); i++) await new Promise((r) => setTimeout(r, 10));
      expect(ended.sort()).toEqual(['r_long', 'r_marker', 'r_short']);
      const [longEnd, shortEnd, gone] = await streams.lastEvents(['r_long', 'r_short', 'r_none']);
      expect(longEnd).toMatchObject({ seq: 600, type: 'run.completed' });
      expect(shortEnd).toMatchObject({ seq: 1, type: 'run.failed' });
      expect(gone).toBeUndefined();
    } finally {
      listener.disconnect();
    }
  });
});
