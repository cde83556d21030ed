import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { testConfig } from './config.js';
import { createRuntime } from './kernel.js';
import { Store } from './store/store.js';
import { flowOf, removeTempDir, tempDir } from './testing/fixtures.js';
import { sleepKind } from './testing/kinds.js';

const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const dir of dirs.splice(0)) removeTempDir(dir);
});

describe('createRuntime', () => {
  it('closes the store it opened when a later step fails (bad secret key file)', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    writeFileSync(join(dataDir, 'secret.key'), 'too short');
    const close = vi.spyOn(Store.prototype, 'close');
    await expect(createRuntime(testConfig({ dataDir }))).rejects.toMatchObject({ code: 'SERVICE_NOT_CONFIGURED' });
    expect(close).toHaveBeenCalledTimes(1);
  });
});

describe('runtime.close()', () => {
  it('cancels a live run, and its final row and end event are in the store afterwards', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const runtime = await createRuntime(testConfig({ dataDir }));
    runtime.registry.register(sleepKind);
    const flow = flowOf(
      'slow',
      [
        ['q', 'input', { name: 'question', dataType: 'text' }],
        ['s', 'test-sleep', { ms: 60_000 }],
        ['out', 'output', { name: 'answer' }],
      ],
      ['q.value→s.in', 's.out→out.value'],
    );
    const started = runtime.runs.start(flow, { inputs: { question: 'x' } });
    await runtime.close();
    await expect(started.done).resolves.toMatchObject({ status: 'cancelled' });
    const store = Store.open(dataDir, { writer: 'inline', recover: false });
    try {
      expect(store.getRun(started.handle.runId)?.status).toBe('cancelled');
      expect(store.getEvents(started.handle.runId).at(-1)?.type).toBe('run.cancelled');
    } finally {
      store.close();
    }
  });
});
