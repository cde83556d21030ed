import type { TraceEvent } from '@flowloom/nodes';
import { io as connect, type Socket } from 'socket.io-client';

// A socket.io client of the cluster tests: subscribes to runs on one api process and keeps what it receives.

export interface Watcher {
  socket: Socket;
  /** Every `trace` event received, by run, in arrival order. */
  events: Map<string, TraceEvent[]>;
  subscribe(runId: string, afterSeq?: number): Promise<void>;
  close(): void;
}

export async function watch(url: string): Promise<Watcher> {
  const socket = connect(`${url}/traces`, { transports: ['websocket'], reconnection: false, forceNew: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const events = new Map<string, TraceEvent[]>();
  socket.on('trace', (event: TraceEvent) => {
    const list = events.get(event.runId) ?? [];
    list.push(event);
    events.set(event.runId, list);
  });
  return {
    socket,
    events,
    subscribe: (runId, afterSeq = -1) =>
      new Promise((resolve, reject) => {
        socket.emit('subscribe', { runId, afterSeq }, (ack: { ok: boolean; error?: unknown }) =>
          ack.ok ? resolve() : reject(new Error(JSON.stringify(ack.error))),
        );
      }),
    close: () => socket.disconnect(),
  };
}

/** Polls `check` until it answers something truthy; throws past `timeoutMs` (bounds a test, never asserts a time). */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  timeoutMs: number,
  what: string,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** True when the events have the seqs 0..n-1 exactly once each, in order, ending with the run's end. */
export function isGapFree(events: readonly TraceEvent[]): boolean {
  return events.every((event, index) => event.seq === index);
}

export function isEnded(events: readonly TraceEvent[] | undefined): boolean {
  const last = events?.at(-1);
  return last?.type === 'run.completed' || last?.type === 'run.failed' || last?.type === 'run.cancelled';
}
