import { type ErrorBody, isRunEnd, type TraceEvent } from '@flowloom/nodes/spec';
import { io, type Socket } from 'socket.io-client';
import { getAdminToken } from '../auth/token';
import { isFlowNode } from '../store/graph-types';
import { useEditor } from '../store/index';
import { type RunInfo, reduceRunInfo } from '../store/run-reducer';

let socket: Socket | null = null;
let watched: string | null = null;

/** A run followed by id until its end event: the last seq received in order, and who waits for the end. */
interface Followed {
  lastSeq: number;
  end: (ended: RunInfo) => void;
}
const followed = new Map<string, Followed>();

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
      for (const [runId, run] of followed) subscribeRun(runId, run.lastSeq);
      const { runId, lastSeq } = useEditor.getState();
      if (runId && !followed.has(runId) && isLive()) subscribeRun(runId, lastSeq);
      if (watched) socket?.emit('subscribe', { flowId: watched, batch: true });
    });
  }
  return socket;
}

function isLive(): boolean {
  const { run, isReplay } = useEditor.getState();
  return !isReplay && (run.status === 'running' || run.status === 'queued');
}

function subscribeRun(runId: string, afterSeq: number): void {
  socket?.emit('subscribe', { runId, afterSeq, batch: true }, (ack: Ack) => {
    if (!ack.ok) onSubscribeFailed(runId, ack.error);
  });
}

/** Nothing will come for this run (it is unknown to the runtime): stop waiting for it. */
function onSubscribeFailed(runId: string, error: ErrorBody): void {
  followed.get(runId)?.end({ status: 'failed', error });
  followed.delete(runId);
  const s = useEditor.getState();
  if (s.runId === runId && !s.isReplay) s.failRequest(error.message);
}

/**
 * Every event comes over this one socket (docs/contracts.md §4). The canvas applies the events of its run in seq
 * order; a run started elsewhere (API, another tab) is adopted when nothing else is on the canvas. While our own run
 * request waits for its answer, the flow subscription's events of the new run are not ours yet and are ignored:
 * `followRun` then asks for the run from its first event.
 */
function onSocketEvent(event: TraceEvent): void {
  const run = followed.get(event.runId);
  if (run && event.seq === run.lastSeq + 1) {
    run.lastSeq = event.seq;
    if (isRunEnd(event)) {
      followed.delete(event.runId);
      run.end(reduceRunInfo({ status: 'running' }, event));
    }
  }
  const s = useEditor.getState();
  if (event.flowId !== s.meta?.id) return;
  if (s.runId === null && !s.isRunPending && event.type === 'run.started') {
    s.beginRun(
      event.runId,
      s.nodes.filter(isFlowNode).map((n) => n.id),
    );
  }
  useEditor.getState().applyTrace(event);
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
