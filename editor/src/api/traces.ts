import { type ErrorBody, isRunEnd, type RunStatus, type TraceEvent } from '@flowloom/nodes/spec';
import { io, type Socket } from 'socket.io-client';
import { getAdminToken } from '../auth/token';
import { isFlowNode } from '../store/graph-types';
import { useEditor } from '../store/index';
import { isRunLive, type RunInfo, reduceRunInfo } from '../store/run-reducer';
import { api } from './http';

let socket: Socket | null = null;
let watched: string | null = null;

/** A run followed by id until its end event: the last seq received in order, and who waits for the end. */
interface Followed {
  lastSeq: number;
  end: (ended: RunInfo) => void;
}
const followed = new Map<string, Followed>();
/** Runs being fetched for a replay: the socket events of each that arrive meanwhile, applied after the fetched ones. */
const held = new Map<string, TraceEvent[]>();

type Ack = { ok: true } | { ok: false; error: ErrorBody };

function getSocket(): Socket {
  if (!socket) {
    socket = io('/traces', {
      transports: ['websocket', 'polling'],
      autoConnect: true,
      auth: (cb) => cb({ token: getAdminToken() ?? undefined }),
    });
    socket.on('trace', (event: TraceEvent) => onSocketEvent(event));
    // Batch mode (subscribe with `batch: true`): one message per server tick instead of one per event.
    socket.on('traces', (events: TraceEvent[]) => {
      for (const event of events) onSocketEvent(event);
    });
    // After a reconnect the server forgets our subscriptions: ask again, each run from the last event we have, so
    // that nothing emitted while we were away is missed. Runs first, so the flow subscription adds no replay.
    socket.on('connect', () => {
      for (const [runId, run] of followed) resubscribeRun(runId, run.lastSeq);
      const { runId, lastSeq } = useEditor.getState();
      if (runId && !followed.has(runId) && isLive()) resubscribeRun(runId, lastSeq);
      if (watched) socket?.emit('subscribe', { flowId: watched, batch: true });
    });
  }
  return socket;
}

/** Whether the canvas shows a run that has not ended: started here, adopted, or replayed from history. */
function isLive(): boolean {
  return isRunLive(useEditor.getState().run);
}

function subscribeRun(runId: string, afterSeq: number, onSubscribed?: () => void): void {
  socket?.emit('subscribe', { runId, afterSeq, batch: true }, (ack: Ack) => {
    if (!ack.ok) onSubscribeFailed(runId, ack.error);
    else onSubscribed?.();
  });
}

/**
 * Asks again for a run after a reconnect. The ack comes after the replay, so a run still awaited then may have ended
 * while we were away without its end reaching us: the stored run tells (GET /api/runs/:id), and settles it if so.
 */
function resubscribeRun(runId: string, afterSeq: number): void {
  subscribeRun(runId, afterSeq, () => {
    if (isAwaited(runId)) void settleFromStore(runId);
  });
}

/** Whether someone waits for this run's end: a `followRun` caller, or the canvas showing it. */
function isAwaited(runId: string): boolean {
  return followed.has(runId) || (useEditor.getState().runId === runId && isLive());
}

async function settleFromStore(runId: string): Promise<void> {
  let stored: { status: RunStatus; events?: TraceEvent[] };
  try {
    stored = await api.run(runId);
  } catch {
    return; // the runtime is away again: the next reconnect asks again
  }
  if (isRunLive(stored)) return; // still going: its events keep coming
  for (const event of [...(stored.events ?? [])].sort((a, b) => a.seq - b.seq)) deliver(event);
}

/** Nothing will come for this run (it is unknown to the runtime): stop waiting for it. */
function onSubscribeFailed(runId: string, error: ErrorBody): void {
  followed.get(runId)?.end({ status: 'failed', error });
  followed.delete(runId);
  const s = useEditor.getState();
  if (s.runId === runId) s.failRequest(error.message);
}

/**
 * Every event comes over this one socket (docs/contracts.md §4). The canvas applies the events of its run in seq
 * order; a run started elsewhere (API, another tab) is adopted when nothing else is on the canvas. While our own run
 * request waits for its answer, the flow subscription's events of the new run are not ours yet and are ignored:
 * `followRun` then asks for the run from its first event.
 */
function onSocketEvent(event: TraceEvent): void {
  held.get(event.runId)?.push(event);
  const s = useEditor.getState();
  if (event.flowId === s.meta?.id && s.runId === null && !s.isRunPending && event.type === 'run.started') {
    s.beginRun(
      event.runId,
      s.nodes.filter(isFlowNode).map((n) => n.id),
    );
  }
  deliver(event);
}

/**
 * Gives an event of a run to whoever waits for it: its `followRun` caller (in seq order, resolved by the end event)
 * and the canvas, if it shows the run. An end event ends the run even at a seq already passed: a run interrupted by
 * a crash ends at the seq after its last stored event, and events after that one may have arrived live.
 */
function deliver(event: TraceEvent): void {
  const run = followed.get(event.runId);
  if (run && (event.seq === run.lastSeq + 1 || (isRunEnd(event) && event.seq <= run.lastSeq))) {
    run.lastSeq = Math.max(run.lastSeq, event.seq);
    if (isRunEnd(event)) {
      followed.delete(event.runId);
      run.end(reduceRunInfo({ status: 'running' }, event));
    }
  }
  useEditor.getState().applyTrace(event);
}

/**
 * Puts a run on the canvas as a replay, from `fetch` (GET /api/runs/:id): its stored events, then those the socket
 * brought while the request was on its way (the flow subscription sends a live run's events, which the canvas did not
 * take yet). A run that has not ended is then followed by id from the last event applied, and again after each
 * reconnect, so the canvas reaches its end.
 */
export async function replayOnCanvas(runId: string, fetch: () => Promise<{ events?: TraceEvent[] }>): Promise<void> {
  const arrived: TraceEvent[] = [];
  held.set(runId, arrived);
  let stored: TraceEvent[];
  try {
    stored = (await fetch()).events ?? [];
  } finally {
    if (held.get(runId) === arrived) held.delete(runId);
  }
  const s = useEditor.getState();
  s.beginRun(
    runId,
    s.nodes.filter(isFlowNode).map((n) => n.id),
    true,
  );
  for (const event of [...stored, ...arrived].sort((a, b) => a.seq - b.seq)) useEditor.getState().applyTrace(event);
  if (isLive() && getSocket().connected) subscribeRun(runId, useEditor.getState().lastSeq); // else on connect
}

/**
 * Subscribes to a run by id from its first event (`afterSeq: -1`); the canvas shows it if it is the canvas' run.
 * Resolves with how it ended once its end event has arrived.
 */
export function followRun(runId: string): Promise<RunInfo> {
  return new Promise((resolve) => {
    followed.set(runId, { lastSeq: -1, end: resolve });
    if (getSocket().connected) subscribeRun(runId, -1); // else the connect handler subscribes
  });
}

/** Watches every run of a flow over socket.io `/traces` (docs/contracts.md §4). */
export function watchFlow(flowId: string): void {
  const s = getSocket();
  if (watched && watched !== flowId) s.emit('unsubscribe', { flowId: watched });
  watched = flowId;
  if (s.connected) s.emit('subscribe', { flowId, batch: true });
}

export function unwatchFlow(): void {
  if (socket && watched) socket.emit('unsubscribe', { flowId: watched });
  watched = null;
}
