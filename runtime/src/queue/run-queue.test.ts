import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { deleteKeys, TEST_REDIS_URL } from '../testing/cluster.js';
import { RedisKeys } from './keys.js';
import { RedisConnections } from './redis.js';
import { Channels, RunQueue, type StartedRun } from './run-queue.js';

// The announcements of started runs between API processes, on a real Redis (a key prefix of this test's own).

const keys = new RedisKeys(`flowloom_test_queue_${process.pid}_${Date.now().toString(36)}`);
let connections: RedisConnections;
let queue: RunQueue;
let channels: Channels;

beforeAll(async () => {
  connections = await RedisConnections.connect(TEST_REDIS_URL);
  queue = new RunQueue(connections, keys);
  channels = new Channels(connections, keys);
});

afterAll(async () => {
  await queue.close();
  await deleteKeys(connections.command, keys.prefix);
  await connections.close();
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('started runs', () => {
  it('go in one message per turn of the event loop, and every other process hears each of them', async () => {
    const heard: StartedRun[] = [];
    await channels.onStarted((run) => heard.push(run));
    const publish = vi.spyOn(connections.command, 'publish');
    try {
      await Promise.all([queue.announce('r_1', 'f_a'), queue.announce('r_2', 'f_b'), queue.announce('r_3', 'f_a')]);
      expect(publish).toHaveBeenCalledTimes(1);
      await queue.announce('r_4', 'f_a');
      expect(publish).toHaveBeenCalledTimes(2);
    } finally {
      publish.mockRestore();
    }
    await until(() => heard.length === 4);
    // Each names the announcing process (which skips its own).
    const by = queue.id;
    expect(heard).toEqual([
      { runId: 'r_1', flowId: 'f_a', by },
      { runId: 'r_2', flowId: 'f_b', by },
      { runId: 'r_3', flowId: 'f_a', by },
      { runId: 'r_4', flowId: 'f_a', by },
    ]);
    // An older process announces one run per message: still heard.
    await connections.command.publish(keys.channel('started'), JSON.stringify({ runId: 'r_old', flowId: 'f_a' }));
    await until(() => heard.length === 5);
    expect(heard.at(-1)).toEqual({ runId: 'r_old', flowId: 'f_a' });
  });

  it('go as one run alone in the form older processes read, and a bad entry or handler spoils no other run', async () => {
    const messages: string[] = [];
    const listener = connections.open({ maxRetriesPerRequest: null });
    await listener.subscribe(keys.channel('started'));
    listener.on('message', (_channel: string, message: string) => messages.push(message));
    await queue.announce('r_alone', 'f_a');
    await until(() => messages.length === 1);
    expect(JSON.parse(messages[0] as string)).toEqual({ runId: 'r_alone', flowId: 'f_a', by: queue.id });
    listener.disconnect();

    const heard: string[] = [];
    await channels.onStarted((run) => {
      if (run.runId === 'r_throws') throw new Error('a handler failed');
      heard.push(run.runId);
    });
    const batch = [null, { runId: 'r_throws', flowId: 'f' }, { runId: 7 }, { runId: 'r_fine', flowId: 'f' }];
    await connections.command.publish(keys.channel('started'), JSON.stringify(batch));
    await until(() => heard.includes('r_fine'));
    expect(heard).toContain('r_fine');
  });
});
