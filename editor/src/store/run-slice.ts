import type { TraceEvent } from '@flowloom/nodes/spec';
import type { SliceCreator } from './index';
import {
  type NodeRun,
  queuedNodeRuns,
  type RunInfo,
  reduceNodeRuns,
  reduceRunInfo,
  reduceSpans,
  type Span,
  takeInOrder,
} from './run-reducer';

export interface RunSlice {
  runId: string | null;
  lastSeq: number;
  /** A run was asked for and its first event has not arrived yet. */
  isRunPending: boolean;
  run: RunInfo;
  nodeRuns: Record<string, NodeRun>;
  spans: Record<string, Span>;
  spanOrder: string[];
  selectedSpanId: string | null;
  /** Whether the run on the canvas is a replay from history. */
  isReplay: boolean;
  /** Events that arrived before the one preceding them, by seq. */
  earlyEvents: Record<number, TraceEvent>;
  requestRun: () => void;
  beginRun: (runId: string, nodeIds: readonly string[], isReplay?: boolean) => void;
  applyTrace: (event: TraceEvent) => void;
  failRequest: (message: string) => void;
  clearRun: () => void;
  selectSpan: (spanId: string | null) => void;
}

const cleared = {
  runId: null,
  lastSeq: -1,
  isRunPending: false,
  run: { status: 'idle' } as RunInfo,
  nodeRuns: {},
  spans: {},
  spanOrder: [],
  selectedSpanId: null,
  isReplay: false,
  earlyEvents: {},
} satisfies Partial<RunSlice>;

export const createRunSlice: SliceCreator<RunSlice> = (set, get) => ({
  ...cleared,
  requestRun: () => set({ ...cleared, isRunPending: true }, false, 'requestRun'),
  beginRun: (runId, nodeIds, isReplay = false) =>
    set(
      { ...cleared, runId, nodeRuns: queuedNodeRuns(nodeIds), run: { status: 'queued' }, isReplay },
      false,
      'beginRun',
    ),
  applyTrace: (event) => {
    const s = get();
    if (event.runId !== s.runId || event.seq <= s.lastSeq) return; // another run, or a replay
    // Events may come over two channels (SSE and socket.io): apply them strictly in seq order.
    const { ready, early } = takeInOrder(s.lastSeq, s.earlyEvents, event);
    if (ready.length === 0) {
      set({ earlyEvents: early }, false, 'applyTrace/early');
      return;
    }
    let { nodeRuns, spans, spanOrder, run } = s;
    for (const e of ready) {
      nodeRuns = reduceNodeRuns(nodeRuns, e, spans);
      const next = reduceSpans(spans, spanOrder, e);
      spans = next.spans;
      spanOrder = next.order;
      run = reduceRunInfo(run, e);
    }
    const lastSeq = (ready[ready.length - 1] as TraceEvent).seq;
    set({ lastSeq, nodeRuns, spans, spanOrder, run, earlyEvents: early, isRunPending: false }, false, 'applyTrace');
  },
  failRequest: (message) =>
    set(
      { isRunPending: false, run: { ...get().run, status: 'failed', error: { code: 'INTERNAL', message } } },
      false,
      'failRequest',
    ),
  clearRun: () => set({ ...cleared }, false, 'clearRun'),
  selectSpan: (spanId) => set({ selectedSpanId: spanId }, false, 'selectSpan'),
});
