import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChromaClient } from 'chromadb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ChromaServer } from './chroma-server.js';

const runtimeDir = fileURLToPath(new URL('../..', import.meta.url));
let dataRoot: string;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function clientFor(url: string): ChromaClient {
  const { hostname, port } = new URL(url);
  return new ChromaClient({ host: hostname, port: Number(port), ssl: false });
}

beforeAll(async () => {
  dataRoot = await mkdtemp(join(runtimeDir, '.chroma-data-server-'));
});
afterAll(async () => {
  await rm(dataRoot, { recursive: true, force: true });
});

describe('ChromaServer', () => {
  it('is idle until started, then ok; start is idempotent; stop ends the child', async () => {
    const server = new ChromaServer({ path: join(dataRoot, 'a') });
    expect(server.health()).toMatchObject({ status: 'idle', managed: true, url: null });
    const starting = server.start();
    expect(server.health().status).toBe('starting');
    const url = await starting;
    expect(await server.start()).toBe(url);
    expect(server.health()).toMatchObject({ status: 'ok', url, restarts: 0 });
    expect(await clientFor(url).version()).toBe('1.0.0');
    const pid = server.pid!;
    await server.stop();
    expect(isAlive(pid)).toBe(false);
    expect(server.health().status).toBe('down');
    await expect(server.start()).rejects.toMatchObject({ code: 'VECTOR_STORE_UNAVAILABLE' });
  });

  it('restarts a child that dies, on the same URL, with its data intact', async () => {
    const server = new ChromaServer({ path: join(dataRoot, 'b') });
    try {
      const url = await server.start();
      const collection = await clientFor(url).createCollection({ name: 'survives', embeddingFunction: null });
      await collection.add({ ids: ['x'], embeddings: [[1, 0, 0]], documents: ['kept'] });
      const firstPid = server.pid!;
      process.kill(firstPid, 'SIGKILL');
      await vi.waitFor(() => expect(server.health()).toMatchObject({ status: 'ok', restarts: 1 }), {
        timeout: 30_000,
        interval: 50,
      });
      expect(server.pid).not.toBe(firstPid);
      expect(server.url).toBe(url);
      const again = await clientFor(url).getCollection({ name: 'survives' });
      expect(await again.get({ ids: ['x'] })).toMatchObject({ documents: ['kept'] });
    } finally {
      await server.stop();
    }
  });

  it('runs one server per data folder: a second user shares it, and takes over when its owner stops', async () => {
    const path = join(dataRoot, 'shared');
    const owner = new ChromaServer({ path });
    const other = new ChromaServer({ path, watchIntervalMs: 100 });
    try {
      const url = await owner.start();
      // A second server on the same files would overwrite the first one's index: the second user shares instead.
      expect(await other.start()).toBe(url);
      expect(other.health()).toMatchObject({ status: 'ok', url, pid: null, sharedWith: process.pid });
      const collection = await clientFor(url).createCollection({ name: 'one', embeddingFunction: null });
      await collection.add({ ids: ['x'], embeddings: [[1, 0, 0]], documents: ['kept'] });
      const ownerPid = owner.pid as number;
      await owner.stop();
      expect(isAlive(ownerPid)).toBe(false);
      // The sharer notices, starts its own server on the same folder, and finds the data there.
      await vi.waitFor(() => expect(other.health()).toMatchObject({ status: 'ok', pid: expect.any(Number) }), {
        timeout: 30_000,
        interval: 50,
      });
      expect(other.health().sharedWith).toBeUndefined();
      const again = await clientFor(await other.start()).getCollection({ name: 'one' });
      expect(await again.get({ ids: ['x'] })).toMatchObject({ documents: ['kept'] });
      expect(JSON.parse(await readFile(`${path}.owner.json`, 'utf8'))).toMatchObject({ pid: process.pid });
    } finally {
      await owner.stop();
      await other.stop();
    }
    // The last owner gave the folder up.
    await expect(readFile(`${path}.owner.json`, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('replaces the record of an owner that is gone (a crashed process) and starts its own server', async () => {
    const path = join(dataRoot, 'stale');
    await mkdir(path, { recursive: true });
    await writeFile(`${path}.owner.json`, JSON.stringify({ pid: 2147483646, port: 1 }));
    const server = new ChromaServer({ path });
    try {
      const url = await server.start();
      expect(server.health()).toMatchObject({ status: 'ok', pid: expect.any(Number) });
      expect(server.health().sharedWith).toBeUndefined();
      expect(JSON.parse(await readFile(`${path}.owner.json`, 'utf8'))).toEqual({
        pid: process.pid,
        port: Number(new URL(url).port),
      });
    } finally {
      await server.stop();
    }
  });

  it('leaves no orphan when its parent is killed with SIGKILL', async () => {
    const script = [
      `import { ChromaServer } from ${JSON.stringify(join(runtimeDir, 'src/rag/chroma-server.ts'))};`,
      `const server = new ChromaServer({ path: ${JSON.stringify(join(dataRoot, 'c'))} });`,
      'await server.start();',
      'console.log(JSON.stringify({ pid: server.pid }));',
      'setInterval(() => {}, 1000);',
    ].join('\n');
    const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: runtimeDir,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      parent.stdout.setEncoding('utf8');
      parent.stdout.on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('\n')) resolve(out.split('\n')[0]!);
      });
      parent.once('exit', (code) => reject(new Error(`parent exited early (${code})`)));
    });
    const childPid = (JSON.parse(line) as { pid: number }).pid;
    expect(isAlive(childPid)).toBe(true);
    parent.kill('SIGKILL');
    await vi.waitFor(() => expect(isAlive(childPid)).toBe(false), { timeout: 15_000, interval: 100 });
  });
});
