import type { TraceEvent } from '@flowloom/nodes/spec';
import { io, type Socket } from 'socket.io-client';
import { getAdminToken } from '../auth/token';
import { isFlowNode } from '../store/graph-types';
import { useEditor } from '../store/index';

let socket: Socket | null = null;
let watched: string | null = null;

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
    // After a reconnect the server forgets our subscription; ask again.
    socket.on('connect', () => {
      if (watched) socket?.emit('subscribe', { flowId: watched, batch: true });
      const runId = useEditor.getState().runId;
      if (runId && isLive()) socket?.emit('subscribe', { runId, batch: true });
    });
  }
  return socket;
}

function isLive(): boolean {
  const { run, isReplay } = useEditor.getState();
  return !isReplay && (run.status === 'running' || run.status === 'queued');
}

/**
 * Events of the watched flow. Our own runs arrive over SSE too; `applyTrace` drops what it has already seen
 * (by seq), so the two paths never double a delta. A run started elsewhere (API, another tab) is adopted when
 * nothing else is on the canvas.
 */
function onSocketEvent(event: TraceEvent): void {
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

/** Watches every run of a flow over socket.io `/traces` (CONTRACTS §4). */
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
