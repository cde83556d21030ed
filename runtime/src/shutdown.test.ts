import type { Logger } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { exitOnSignals } from './shutdown.js';

const before = { term: process.listeners('SIGTERM'), int: process.listeners('SIGINT') };
afterEach(() => {
  for (const l of process.listeners('SIGTERM')) if (!before.term.includes(l)) process.off('SIGTERM', l);
  for (const l of process.listeners('SIGINT')) if (!before.int.includes(l)) process.off('SIGINT', l);
  vi.useRealTimers();
  vi.restoreAllMocks();
});

function fakeLog() {
  return { info: vi.fn(), error: vi.fn() } as unknown as Logger & { error: ReturnType<typeof vi.fn> };
}

describe('exitOnSignals', () => {
  it('exits 0 once closed', async () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    exitOnSignals(() => Promise.resolve(), fakeLog());
    process.emit('SIGTERM', 'SIGTERM');
    await vi.waitFor(() => expect(exit).toHaveBeenCalledWith(0));
  });

  it('exits 1 naming what is still open when closing hangs past the limit, and at once on a second signal', async () => {
    vi.useFakeTimers();
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const log = fakeLog();
    exitOnSignals(() => new Promise(() => {}), log, 1_000);
    process.emit('SIGTERM', 'SIGTERM');
    vi.advanceTimersByTime(999);
    expect(exit).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(exit).toHaveBeenCalledWith(1);
    expect(log.error.mock.calls[0]?.[0]).toMatchObject({ open: expect.any(Array) });
    exit.mockClear();
    process.emit('SIGINT', 'SIGINT');
    expect(exit).toHaveBeenCalledWith(1);
  });
});
