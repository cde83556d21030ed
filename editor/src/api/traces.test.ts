import { FLOW_FORMAT, type TraceEvent } from '@flowloom/nodes/spec';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { initialEditorState, useEditor } from '../store/index';
import { TEST_KINDS } from '../store/test-catalog';

// A stand-in for the socket.io client: records what the editor emits, and lets the test deliver messages.
const fake = vi.hoisted(() => {
  const handlers = new Map<string, (...args: unknown[]) => void>();
  return {
    handlers,
    emitted: [] as { name: string; payload: unknown }[],
    socket: {
      connected: true,
      on(name: string, handler: (...args: unknown[]) => void) {
        handlers.set(name, handler);
      },
      emit(name: string, payload: unknown) {
        fake.emitted.push({ name, payload });
      },
    },
  };
});
vi.mock('socket.io-client', () => ({ io: () => fake.socket }));

const { followRun, unwatchFlow, watchFlow } = await import('./traces');

const get = () => useEditor.getState();
const deliver = (...events: TraceEvent[]) => fake.handlers.get('traces')?.(events);
const event = (runId: string, seq: number, type: TraceEvent['type'], data: unknown = {}): TraceEvent =>
  ({ runId, flowId: 'f', seq, at: '2026-01-01T00:00:00.000Z', type, data }) as TraceEvent;
const subscriptions = () => fake.emitted.filter((e) => e.name === 'subscribe').map((e) => e.payload);

beforeEach(() => {
  get().setCatalog(TEST_KINDS);
  get().loadFlow({ format: FLOW_FORMAT, id: 'f', name: 'F', version: 1, nodes: [], edges: [] });
  watchFlow('f');
  fake.emitted.length = 0;
});
afterEach(() => {
  unwatchFlow();
  useEditor.setState(initialEditorState, true);
});

describe('one channel per run', () => {
  it('ignores the new run while its request waits, then takes it from its first event, once and in order', async () => {
    get().requestRun();
    deliver(event('r1', 0, 'run.started', { inputs: {} }), event('r1', 1, 'node.started', { inputs: {} }));
    expect(get().runId).toBeNull(); // not adopted: it may be our own run, whose request has not answered yet

    // The request answered: the run is ours, asked for from its first event.
    get().beginRun('r1', []);
    const ended = followRun('r1');
    expect(subscriptions()).toEqual([{ runId: 'r1', afterSeq: -1, batch: true }]);
    deliver(event('r1', 2, 'node.delta', { text: 'x' })); // sent by the flow subscription before ours
    expect(get().lastSeq).toBe(-1);
    deliver(event('r1', 0, 'run.started', { inputs: {} }), event('r1', 1, 'node.started', { inputs: {} }));
    deliver(event('r1', 2, 'node.delta', { text: 'x' }), event('r1', 3, 'run.completed', { outputs: { a: 1 } }));
    expect(get().lastSeq).toBe(3);
    expect(get().run).toMatchObject({ status: 'completed', outputs: { a: 1 } });
    await expect(ended).resolves.toMatchObject({ status: 'completed', outputs: { a: 1 } });
  });

  it('after a reconnect asks for each run from the last event it has, then for the flow', () => {
    get().requestRun();
    get().beginRun('r2', []);
    void followRun('r2');
    deliver(event('r2', 0, 'run.started', { inputs: {} }), event('r2', 1, 'node.started', { inputs: {} }));
    fake.emitted.length = 0;
    fake.handlers.get('connect')?.();
    expect(subscriptions()).toEqual([
      { runId: 'r2', afterSeq: 1, batch: true },
      { flowId: 'f', batch: true },
    ]);
    deliver(event('r2', 2, 'run.cancelled'));
    expect(get().run.status).toBe('cancelled');
  });

  it('adopts a run started elsewhere when nothing is on the canvas', () => {
    deliver(event('r3', 0, 'run.started', { inputs: { q: 1 } }));
    expect(get().runId).toBe('r3');
    expect(get().run).toMatchObject({ status: 'running', inputs: { q: 1 } });
    // On a reconnect the adopted run is asked for from its last event too.
    fake.emitted.length = 0;
    fake.handlers.get('connect')?.();
    expect(subscriptions()[0]).toEqual({ runId: 'r3', afterSeq: 0, batch: true });
  });
});
