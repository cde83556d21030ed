import type { TraceEvent } from '@flowloom/nodes';
import { type FakeOpenAI, startFakeOpenAI } from '@flowloom/test/fake-openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Config, testConfig } from '../config.js';
import { createRuntime, type Runtime } from '../kernel.js';
import { EventStreams } from '../queue/event-streams.js';
import { Channels } from '../queue/run-queue.js';
import { RunService } from '../runs/run-service.js';
import { TEST_REDIS_URL } from '../testing/cluster.js';
import { removeTempDir, tempDir } from '../testing/fixtures.js';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';
import { chainFlow } from './flows.js';
import { isGapFree } from './watch.js';

// An api process waits on the end of a run nobody watches (the worker's `ended` message, then the stream's last
// entry), reads the run's stream as it goes once someone subscribes to its trace, and still answers when the message
// is missed (the sweep). An api runtime and a worker runtime in this process, on the local Postgres and Redis.

let fake: FakeOpenAI;
let database: TestDatabase;
let dataDir: string;
const runtimes: Runtime[] = [];
let api: Runtime;
const prefix = `flowloom_test_endwait_${process.pid}_${Date.now().toString(36)}`;
const EXPECTED = { out: 'echo: echo: echo: hello' };

function config(role: 'api' | 'worker'): Config {
  return testConfig({
    dataDir,
    databaseUrl: database.url,
    role,
    queue: { redisUrl: TEST_REDIS_URL, prefix, concurrency: 8, lockMs: 30_000, graceMs: 1_000 },
    openai: { baseURL: fake.url, apiKey: 'x' },
  });
}

async function start(role: 'api' | 'worker'): Promise<Runtime> {
  const runtime = await createRuntime(config(role));
  runtimes.push(runtime);
  return runtime;
}

beforeAll(async () => {
  fake = await startFakeOpenAI();
  database = await createTestDatabase();
  dataDir = tempDir('end-wait');
  await start('worker');
  api = await start('api');
}, 60_000);

afterAll(async () => {
  for (const runtime of runtimes.reverse()) await runtime.close();
  const { deleteKeys } = await import('../testing/cluster.js');
  const { Redis } = await import('ioredis');
  const redis = new Redis(TEST_REDIS_URL);
  await deleteKeys(redis, prefix);
  redis.disconnect();
  await database?.drop();
  await fake?.close();
  removeTempDir(dataDir);
}, 30_000);

describe('an api process waiting on queued runs', () => {
  it('answers a run nobody watches without reading its stream, and reads it whole once someone subscribes', async () => {
    const tail = vi.spyOn(EventStreams.prototype, 'tail');
    // No sweep within the test's time: the `ended` message alone must settle the unwatched run.
    const sweepMs = RunService.endSweepMs;
    RunService.endSweepMs = 600_000;
    try {
      const unwatched = api.runs.start(chainFlow(), { inputs: { q: 'hello' } });
      await unwatched.accepted;
      expect(await unwatched.done).toMatchObject({ status: 'completed', outputs: EXPECTED });
      expect(tail).not.toHaveBeenCalled();

      const watched = api.runs.start(chainFlow(), { inputs: { q: 'hello' } });
      const events: TraceEvent[] = [];
      let end!: () => void;
      const ended = new Promise<void>((resolve) => {
        end = resolve;
      });
      watched.handle.trace.subscribe((event) => {
        events.push(event);
        if (event.type === 'run.completed') end();
      });
      expect(await watched.done).toMatchObject({ status: 'completed', outputs: EXPECTED });
      await ended;
      expect(tail).toHaveBeenCalledTimes(1);
      expect(isGapFree(events)).toBe(true);
      expect(events[0]?.type).toBe('run.started');
      expect(events.filter((event) => event.type === 'node.completed')).toHaveLength(5);

      // Subscribed once the run has ended: the trace is read whole from the stream.
      const late = api.runs.start(chainFlow(), { inputs: { q: 'hello' } });
      const { trace } = late.handle;
      expect(await late.done).toMatchObject({ status: 'completed' });
      const seen: TraceEvent[] = [];
      await new Promise<void>((resolve) => {
        trace.subscribe((event) => {
          seen.push(event);
          if (event.type === 'run.completed') resolve();
        });
      });
      expect(isGapFree(seen)).toBe(true);
      expect(seen.filter((event) => event.type === 'node.completed')).toHaveLength(5);
      expect(tail).toHaveBeenCalledTimes(2);
    } finally {
      RunService.endSweepMs = sweepMs;
      tail.mockRestore();
    }
  }, 60_000);

  it('answers a run whose `ended` message it never got (the sweep reads the end from the stream)', async () => {
    // A second api process that does not subscribe to the channel: as if every message to it were lost.
    const on = Channels.prototype.on;
    const skip = vi.spyOn(Channels.prototype, 'on').mockImplementation(function (this: Channels, name, handler) {
      return name === 'ended' ? Promise.resolve() : on.call(this, name, handler);
    });
    let deaf: Runtime;
    try {
      deaf = await start('api');
    } finally {
      skip.mockRestore();
    }
    const tail = vi.spyOn(EventStreams.prototype, 'tail');
    const sweepMs = RunService.endSweepMs;
    RunService.endSweepMs = 100;
    try {
      const started = deaf.runs.start(chainFlow(), { inputs: { q: 'hello' } });
      expect(await started.done).toMatchObject({ status: 'completed', outputs: EXPECTED });
      expect(tail).not.toHaveBeenCalled();
    } finally {
      RunService.endSweepMs = sweepMs;
      tail.mockRestore();
    }
  }, 60_000);
});
