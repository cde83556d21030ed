#!/usr/bin/env node
// `npm run cluster`: builds, then starts a small cluster on this machine's Postgres and Redis, to try the scale-out
// roles: 2 api processes (ports 3001 and 3002, or CLUSTER_PORT and the next) and 2 workers (FLOWLOOM_ROLE=api/worker),
// sharing the database `flowloom_cluster` (created when missing) and the Redis key prefix `flowloom_cluster`.
// DATABASE_URL, REDIS_URL, FLOWLOOM_QUEUE_PREFIX and the other variables of docs/contracts.md §6 are passed on when
// set. Ctrl-C stops every process (the workers finish or hand back their runs first). docs/deploy.md explains it.
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'runtime', 'bin', 'flowloom.js');
process.env.TURBO_TELEMETRY_DISABLED = '1';
// The user's settings (not a turbo task: read once, here).
const given = { ...process.env };

const build = spawnSync('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], { cwd: ROOT, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const databaseUrl = given.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/flowloom_cluster';
if (!given.DATABASE_URL) {
  // The default database is made on first use (on the local server: trust auth, user postgres).
  const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
  try {
    await admin.connect();
    const { rowCount } = await admin.query("SELECT 1 FROM pg_database WHERE datname = 'flowloom_cluster'");
    if (rowCount === 0) await admin.query('CREATE DATABASE flowloom_cluster');
  } catch (err) {
    console.error(`cluster: cannot reach Postgres on 127.0.0.1:5432 (set DATABASE_URL): ${err.message}`);
    process.exit(1);
  } finally {
    await admin.end().catch(() => {});
  }
}

const basePort = Number(given.CLUSTER_PORT ?? 3001);
const env = {
  ...given,
  DATABASE_URL: databaseUrl,
  REDIS_URL: given.REDIS_URL ?? 'redis://127.0.0.1:6379',
  FLOWLOOM_QUEUE_PREFIX: given.FLOWLOOM_QUEUE_PREFIX ?? 'flowloom_cluster',
  FLOWLOOM_DATA: given.FLOWLOOM_DATA ?? join(ROOT, '.flowloom-cluster'),
};
const children = [];
function start(name, args, role) {
  // A process group of its own: a terminal's Ctrl-C reaches only this script, which passes one SIGTERM on (a second
  // signal would stop a process at once, without finishing or handing back its runs).
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...env, FLOWLOOM_ROLE: role },
    stdio: 'pipe',
    detached: true,
  });
  const prefix = (chunk) =>
    chunk
      .toString()
      .split('\n')
      .filter(Boolean)
      .map((line) => `[${name}] ${line}\n`)
      .join('');
  child.stdout.on('data', (chunk) => process.stdout.write(prefix(chunk)));
  child.stderr.on('data', (chunk) => process.stderr.write(prefix(chunk)));
  child.on('exit', (code, signal) => {
    console.log(`[${name}] exited (${signal ?? code})`);
    if (!stopping) stop();
  });
  children.push(child);
}

let stopping = false;
function stop() {
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

start('api-1', ['serve', '--port', String(basePort)], 'api');
start('api-2', ['serve', '--port', String(basePort + 1)], 'api');
start('worker-1', ['worker'], 'worker');
start('worker-2', ['worker'], 'worker');
console.log(
  `cluster: api on http://127.0.0.1:${basePort} and http://127.0.0.1:${basePort + 1}, 2 workers; ` +
    `store ${databaseUrl.replace(/\/\/[^@]*@/, '//')}, Redis prefix ${env.FLOWLOOM_QUEUE_PREFIX}. Ctrl-C stops it.`,
);
