import { afterEach, describe, expect, it, vi } from 'vitest';
import { whenIdle } from './when-idle';

describe('whenIdle', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('asks the browser for an idle period, with the time limit, and cancels that request', () => {
    const requests: { fn: () => void; timeout?: number }[] = [];
    const cancelled: number[] = [];
    vi.stubGlobal('requestIdleCallback', (fn: () => void, options?: { timeout?: number }) => {
      requests.push({ fn, timeout: options?.timeout });
      return requests.length;
    });
    vi.stubGlobal('cancelIdleCallback', (id: number) => cancelled.push(id));
    const fn = vi.fn();
    const cancel = whenIdle(fn, 500);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.timeout).toBe(500);
    expect(fn).not.toHaveBeenCalled();
    requests[0]?.fn();
    expect(fn).toHaveBeenCalledTimes(1);
    cancel();
    expect(cancelled).toEqual([1]);
  });

  it('falls back to a timer where there is no requestIdleCallback (Safari), which cancelling stops', () => {
    vi.stubGlobal('requestIdleCallback', undefined);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const ran = vi.fn();
    whenIdle(ran);
    const stopped = vi.fn();
    whenIdle(stopped)();
    vi.runAllTimers();
    expect(ran).toHaveBeenCalledTimes(1);
    expect(stopped).not.toHaveBeenCalled();
  });
});
