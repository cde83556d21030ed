import { type ChildProcess, spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { BIN } from './bin.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';

// Test helpers for the scale-out roles: api and worker processes spawned as a deployment runs them (the `flowloom`
// bin), on the local Postgres (a database of the test's own, dropped after) and Redis (a key prefix of the test's own;
// only those keys are deleted after, never FLUSH).

/** The Redis the tests use: FLOWLOOM_TEST_REDIS_URL, else the local one. */
export const TEST_REDIS_URL = process.env.FLOWLOOM_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** One spawned process: its role, child, output so far, and (api) its base URL. */
export interface ClusterProcess {
  role: 'api' | 'worker';
  name: string;
  child: ChildProcess;
  url?: string;
  output: () => string;
  /** Resolves with the exit code or signal once the process has exited. */
  exited: Promise<string>;
}

export interface Cluster {
  database: TestDatabase;
  prefix: string;
  env: Record<string, string>;
  redis: Redis;
  processes: ClusterProcess[];
  startApi(name: string, env?: Record<string, string>): Promise<ClusterProcess>;
  startWorker(name: string, env?: Record<string, string>): Promise<ClusterProcess>;
  /** Kills every process (SIGKILL), deletes the prefix's Redis keys and drops the database. */
  close(): Promise<void>;
}

let clusters = 0;

/** Spawns `flowloom <command>` and resolves once it says it is ready (api: its URL; worker: its ready line). */
function spawnRole(
  role: 'api' | 'worker',
  name: string,
  env: Record<string, string>,
  dataDir: string,
): Promise<ClusterProcess> {
  const args = role === 'api' ? ['serve', '--port', '0', '--data', dataDir] : ['worker', '--data', dataDir];
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env, FLOWLOOM_ROLE: role },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<string>((resolve) => {
    child.on('exit', (code, signal) => resolve(signal ?? String(code)));
  });
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      const api = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      const process: ClusterProcess = { role, name, child, output: () => output, exited };
      if (role === 'api' && api?.[1]) {
        child.stderr?.off('data', onData);
        child.stderr?.on('data', (more) => {
          output += more;
        });
        resolve({ ...process, url: api[1] });
      } else if (role === 'worker' && output.includes(' worker (queue prefix')) {
        child.stderr?.off('data', onData);
        child.stderr?.on('data', (more) => {
          output += more;
        });
        resolve(process);
      }
    };
    child.stderr?.on('data', onData);
    void exited.then((how) => reject(new Error(`${name} exited (${how}) before it was ready: ${output}`)));
  });
}

/**
 * A cluster's shared settings and a way to start its processes. `settings` are added to every process's environment
 * (e.g. OPENAI_BASE_URL of a fake, FLOWLOOM_QUEUE_LOCK_MS).
 */
export async function createCluster(dataDir: string, settings: Record<string, string> = {}): Promise<Cluster> {
  const database = await createTestDatabase();
  const prefix = `flowloom_test_${process.pid}_${Date.now().toString(36)}_${clusters++}`;
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  const env: Record<string, string> = {
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    FLOWLOOM_QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    ...settings,
  };
  const processes: ClusterProcess[] = [];
  const start = async (role: 'api' | 'worker', name: string, extra: Record<string, string> = {}) => {
    const started = await spawnRole(role, name, { ...env, ...extra }, dataDir);
    processes.push(started);
    return started;
  };
  return {
    database,
    prefix,
    env,
    redis,
    processes,
    startApi: (name, extra) => start('api', name, extra),
    startWorker: (name, extra) => start('worker', name, extra),
    async close() {
      for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      await Promise.all(processes.map((p) => p.exited));
      await deleteKeys(redis, prefix);
      redis.disconnect();
      await database.drop();
    },
  };
}

/** Deletes every key of one prefix (SCAN, never FLUSH). */
export async function deleteKeys(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}
