import { isAppError } from '@flowloom/nodes';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { echoFlow, flowOf, startTestApp, type TestApp } from '../testing/fixtures.js';
import { createSandbox, type WorkerSandbox } from './sandbox.js';

const MB = 1024 * 1024;
let sandbox: WorkerSandbox | undefined;
let t: TestApp | undefined;
afterEach(async () => {
  await sandbox?.close();
  await t?.close();
  sandbox = undefined;
  t = undefined;
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (isAppError(err)) return err.code;
    throw err;
  }
  return 'completed';
}

describe('memory limit', () => {
  it('holds for many allocations of 512 KB each, not only for one large one', async () => {
    sandbox = createSandbox({ workers: 1 });
    const signal = new AbortController().signal;
    // 400 × 512 KB = 200 MB with a 1 MB limit: this build of QuickJS never counted these.
    const code = 'const a = []; for (let i = 0; i < 400; i++) a.push("x".repeat(512 * 1024) + i); return a.length;';
    expect(await codeOf(sandbox.run(code, {}, { signal, memoryBytes: MB, timeoutMs: 20_000 }))).toBe('SANDBOX_MEMORY');
    const buffers = 'const a = []; for (let i = 0; i < 400; i++) a.push(new ArrayBuffer(512 * 1024)); return a.length;';
    expect(await codeOf(sandbox.run(buffers, {}, { signal, memoryBytes: MB, timeoutMs: 20_000 }))).toBe(
      'SANDBOX_MEMORY',
    );
    // Within its limit the same script completes.
    expect(await sandbox.run(code.replace('400', '8'), {}, { signal, memoryBytes: 16 * MB })).toBe(8);
  });

  it('ends a worker whose script grew its memory past the recycling budget, so the memory is returned', async () => {
    sandbox = createSandbox({ workers: 1, recycleMemoryBytes: 32 * MB });
    const signal = new AbortController().signal;
    expect(await sandbox.run('return 1;', {}, { signal })).toBe(1);
    expect(sandbox.workerCount).toBe(1);
    // About 40 MB: past the 32 MB budget.
    const big = 'const a = []; for (let i = 0; i < 80; i++) a.push("y".repeat(512 * 1024) + i); return a.length;';
    expect(await sandbox.run(big, {}, { signal, memoryBytes: 64 * MB, timeoutMs: 20_000 })).toBe(80);
    expect(sandbox.workerCount).toBe(0);
    // A fresh worker takes the next script.
    expect(await sandbox.run('return 2;', {}, { signal })).toBe(2);
    expect(sandbox.workerCount).toBe(1);
  });

  it('ends workers left idle, so a burst of scripts does not keep their memory for good', async () => {
    sandbox = createSandbox({ workers: 3, idleMs: 300 });
    const signal = new AbortController().signal;
    // Three scripts of three runs at once: three workers. Counted while they run (under load a worker that started
    // first can be idle past its time, and ended, before the last one answers).
    let most = 0;
    const counting = setInterval(() => {
      most = Math.max(most, sandbox?.workerCount ?? 0);
    }, 5);
    const slow = 'const end = Date.now() + 300; while (Date.now() < end) {} return n;';
    const results = await Promise.all([1, 2, 3].map((n) => sandbox?.run(slow, { n }, { signal, key: `run ${n}` })));
    clearInterval(counting);
    expect(results).toEqual([1, 2, 3]);
    expect(most).toBe(3);
    await vi.waitFor(() => expect(sandbox?.workerCount).toBe(0), { timeout: 10_000, interval: 50 });
    // A fresh worker takes the next script.
    expect(await sandbox.run('return 4;', {}, { signal })).toBe(4);
    expect(sandbox.workerCount).toBe(1);
  });

  it('does not end a worker while it runs a script longer than the idle time', async () => {
    sandbox = createSandbox({ workers: 1, idleMs: 50 });
    const signal = new AbortController().signal;
    expect(await sandbox.run('return 1;', {}, { signal })).toBe(1);
    // Idle for less than its time, then busy for several idle times: the worker that took the script answers.
    const busy = 'const end = Date.now() + 500; while (Date.now() < end) {} return 2;';
    expect(await sandbox.run(busy, {}, { signal, timeoutMs: 10_000 })).toBe(2);
  });
});

describe('fair queueing', () => {
  it("one run's two long scripts do not keep another run's script waiting for a worker", async () => {
    sandbox = createSandbox({ workers: 2, maxTimeoutMs: 30_000 });
    const controller = new AbortController();
    const spin = 'for (;;) {}';
    let longSettled = 0;
    const long = [1, 2].map(() =>
      sandbox
        ?.run(spin, {}, { signal: controller.signal, timeoutMs: 30_000, key: 'run-a' })
        .catch(() => undefined)
        .finally(() => longSettled++),
    );
    expect(await sandbox.run('return "b";', {}, { signal: new AbortController().signal, key: 'run-b' })).toBe('b');
    // Run B got its worker while both of run A's scripts were still spinning.
    expect(longSettled).toBe(0);
    controller.abort(new Error('done'));
    await Promise.all(long);
  });

  it('scripts without a key are each their own: they use every worker', async () => {
    sandbox = createSandbox({ workers: 3 });
    const signal = new AbortController().signal;
    const results = await Promise.all([1, 2, 3, 4].map((n) => sandbox?.run('return n * n;', { n }, { signal })));
    expect(results).toEqual([1, 4, 9, 16]);
    expect(sandbox.workerCount).toBe(3);
  });

  it('through the runtime: a run with two long code nodes does not starve another run (FLOWLOOM_SANDBOX_WORKERS)', async () => {
    t = await startTestApp({ sandbox: { workers: 2 } });
    const spin = { code: 'for (;;) {}', timeoutMs: 30_000 };
    const long = flowOf(
      'long',
      [
        ['a', 'code', spin],
        ['b', 'code', spin],
        ['out', 'output', { name: 'out' }],
        ['out2', 'output', { name: 'out2' }],
      ],
      ['a.result→out.value', 'b.result→out2.value'],
    );
    const quick = flowOf(
      'quick',
      [
        ['c', 'code', { code: 'return 42;' }],
        ['out', 'output', { name: 'out' }],
      ],
      ['c.result→out.value'],
    );
    for (const flow of [long, quick, echoFlow()]) {
      expect((await t.app.inject({ method: 'POST', url: '/api/flows', payload: flow })).statusCode).toBe(201);
    }
    const accepted = await t.app.inject({
      method: 'POST',
      url: '/api/flows/long/runs',
      payload: { inputs: {} },
      headers: { prefer: 'respond-async' },
    });
    const longRun = accepted.json().runId as string;
    // Both long nodes have started before the quick run does (one holds a worker, the other waits for the run's
    // second: a run holds all workers but one).
    await new Promise<void>((resolve) => {
      const trace = t?.app.runtime.runs.liveTrace(longRun);
      const started = new Set<string>();
      trace?.subscribe((event) => {
        if (event.type === 'node.started' && event.nodeId) started.add(event.nodeId);
        if (started.size === 2) resolve();
      });
    });
    const answer = (
      await t.app.inject({ method: 'POST', url: '/api/flows/quick/runs', payload: { inputs: {} } })
    ).json();
    expect(answer).toMatchObject({ status: 'completed', outputs: { out: 42 } });
    expect((await t.app.runtime.runs.get(longRun))?.isLive).toBe(true);
    await t.app.inject({ method: 'POST', url: `/api/runs/${longRun}/cancel` });
  });
});
