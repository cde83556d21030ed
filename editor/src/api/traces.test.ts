import { FLOW_FORMAT, type TraceEvent } from '@flowloom/nodes/spec';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { initialEditorState, useEditor } from '../store/index';
import { TEST_KINDS } from '../store/test-catalog';

// A stand-in for the socket.io client: records what the editor emits (and the ack callbacks), and lets the test
// deliver messages.
const fake = vi.hoisted(() => {
  const handlers = new Map<string, (...args: unknown[]) => void>();
  return {
    handlers,
    emitted: [] as { name: string; payload: unknown; ack?: (answer: unknown) => void }[],
    socket: {
      connected: true,
      on(name: string, handler: (...args: unknown[]) => void) {
        handlers.set(name, handler);
      },
      emit(name: string, payload: unknown, ack?: (answer: unknown) => void) {
        fake.emitted.push({ name, payload, ack });
      },
    },
  };
});
vi.mock('socket.io-client', () => ({ io: () => fake.socket }));

const { followRun, unwatchFlow, watchFlow } = await import('./traces');
const { replayRun } = await import('./actions');

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
  vi.unstubAllGlobals();
  useEditor.setState(initialEditorState, true);
});

/** A JSON answer of the runtime, as `fetch` gives it. */
const json = (body: unknown) =>
  new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
/** The run as GET /api/runs/:id answers it. */
const stored = (runId: string, status: string, events: TraceEvent[]) =>
  json({ runId, flowId: 'f', status, startedAt: '2026-01-01T00:00:00.000Z', events });

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

describe('replaying a run that is still live (history list)', () => {
  it('follows it to its end even when an event arrived while the GET was on its way', async () => {
    // The canvas shows an earlier run of this tab, so r5 (started through the API) was not adopted.
    get().beginRun('r0', []);
    deliver(event('r0', 0, 'run.started', { inputs: {} }), event('r0', 1, 'run.completed', { outputs: {} }));

    // GET /api/runs/r5 answers with the events so far (r5 is live: status running)...
    let answer: (value: Response) => void = () => {};
    vi.stubGlobal('fetch', () => new Promise<Response>((resolve) => (answer = resolve)));
    const replay = replayRun('r5');
    // ...while the flow subscription delivers r5's next event (seq 2) before that answer is read.
    deliver(event('r5', 2, 'node.delta', { text: 'x' }));
    answer(
      stored('r5', 'running', [
        event('r5', 0, 'run.started', { inputs: {} }),
        event('r5', 1, 'node.started', { inputs: {} }),
      ]),
    );
    await replay;
    expect(get()).toMatchObject({ runId: 'r5', isReplay: true, lastSeq: 2 });
    // Followed by id from there: the runtime sends what comes after seq 2, whatever the flow subscription does.
    expect(subscriptions()).toEqual([{ runId: 'r5', afterSeq: 2, batch: true }]);
    deliver(event('r5', 3, 'run.completed', { outputs: { a: 1 } }));
    expect(get().run).toMatchObject({ status: 'completed', outputs: { a: 1 } });
  });

  it('asks for it again after a reconnect, and not for a replayed run that had ended', async () => {
    vi.stubGlobal('fetch', async () =>
      stored('r6', 'running', [
        event('r6', 0, 'run.started', { inputs: {} }),
        event('r6', 1, 'node.started', { inputs: {} }),
      ]),
    );
    await replayRun('r6');
    fake.emitted.length = 0;
    fake.handlers.get('connect')?.();
    expect(subscriptions()).toEqual([
      { runId: 'r6', afterSeq: 1, batch: true },
      { flowId: 'f', batch: true },
    ]);

    vi.stubGlobal('fetch', async () =>
      stored('r7', 'completed', [
        event('r7', 0, 'run.started', { inputs: {} }),
        event('r7', 1, 'run.completed', { outputs: {} }),
      ]),
    );
    fake.emitted.length = 0;
    await replayRun('r7');
    expect(get().run.status).toBe('completed');
    fake.handlers.get('connect')?.();
    expect(subscriptions()).toEqual([{ flowId: 'f', batch: true }]);
  });
});

// A run killed with its process (kill -9): the editor saw seq 0..4 live, but the store kept 0..2, and crash recovery
// ended the run with run.failed at seq 3, a seq the editor has passed (docs/contracts.md §4).
describe('a run that ended by crash recovery, after a reconnect', () => {
  const failed = (runId: string, seq: number) =>
    event(runId, seq, 'run.failed', { error: { code: 'RUN_INTERRUPTED', message: 'interrupted' }, durationMs: 5 });
  /** Our run on the canvas, seen live up to seq 4, then the socket reconnects: resolves like `followRun`. */
  const seenThenReconnected = (runId: string) => {
    get().requestRun();
    get().beginRun(runId, []);
    const ended = followRun(runId);
    deliver(
      event(runId, 0, 'run.started', { inputs: {} }),
      event(runId, 1, 'node.started', { inputs: {} }),
      event(runId, 2, 'node.delta', { text: 'a' }),
      event(runId, 3, 'node.delta', { text: 'b' }),
      event(runId, 4, 'node.delta', { text: 'c' }),
    );
    fake.emitted.length = 0;
    fake.handlers.get('connect')?.();
    return ended;
  };

  it('ends the run on its end event even at a seq it has passed', async () => {
    const ended = seenThenReconnected('r8');
    expect(subscriptions()[0]).toEqual({ runId: 'r8', afterSeq: 4, batch: true });
    deliver(failed('r8', 3)); // what the runtime sends to afterSeq 4 for a run that ended at seq 3
    expect(get().run).toMatchObject({ status: 'failed', error: { code: 'RUN_INTERRUPTED' } });
    await expect(ended).resolves.toMatchObject({ status: 'failed', error: { code: 'RUN_INTERRUPTED' } });
    // Any other passed seq is still a copy, and a second end changes nothing.
    deliver(event('r8', 2, 'node.delta', { text: 'a' }), failed('r8', 3));
    expect(get()).toMatchObject({ lastSeq: 4, run: { status: 'failed' } });
  });

  it('reads the stored run when the ack comes and the run still waits, and settles it if it has ended', async () => {
    const ended = seenThenReconnected('r9');
    const subscribe = fake.emitted.find((e) => e.name === 'subscribe' && (e.payload as { runId?: string }).runId);
    expect(subscribe?.payload).toEqual({ runId: 'r9', afterSeq: 4, batch: true });

    // Nothing came before the ack (a runtime that sends nothing past afterSeq): the store says how the run ended.
    const asked: string[] = [];
    vi.stubGlobal('fetch', async (url: string) => {
      asked.push(url);
      return stored('r9', 'failed', [
        event('r9', 0, 'run.started', { inputs: {} }),
        event('r9', 1, 'node.started', { inputs: {} }),
        event('r9', 2, 'node.delta', { text: 'a' }),
        failed('r9', 3),
      ]);
    });
    subscribe?.ack?.({ ok: true });
    await expect(ended).resolves.toMatchObject({ status: 'failed', error: { code: 'RUN_INTERRUPTED' } });
    expect(asked).toEqual(['/api/runs/r9']);
    expect(get()).toMatchObject({ lastSeq: 4, run: { status: 'failed' } });
  });

  it('leaves a run that is still going to its events when the store says so', async () => {
    void seenThenReconnected('r10');
    let answered: () => void = () => {};
    const read = new Promise<void>((resolve) => (answered = resolve));
    vi.stubGlobal('fetch', async () => {
      setTimeout(answered);
      return stored('r10', 'running', [event('r10', 0, 'run.started', { inputs: {} })]);
    });
    fake.emitted.find((e) => e.name === 'subscribe')?.ack?.({ ok: true });
    await read;
    expect(get().run.status).toBe('running');
    deliver(event('r10', 5, 'run.completed', { outputs: {} }));
    expect(get().run.status).toBe('completed');
  });
});
