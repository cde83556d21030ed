import { isRunEnd, type TraceEvent } from '@flowloom/nodes/spec';
import type { SliceCreator } from './index';
import {
  isRunLive,
  type NodeRun,
  queuedNodeRuns,
  type RunInfo,
  reduceNodeRuns,
  reduceRunInfo,
  reduceSpans,
  type Span,
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
    // Only this run's next event. An older seq is a copy (a replay); a later one was sent before our subscription to
    // the run, which replays it in order after the ones missing here (docs/contracts.md §4). Except the end of a run
    // that has not ended here, whatever its seq: a run interrupted by a crash ends at the seq after its last stored
    // event, which the canvas may have passed live (the events after it were lost with the process).
    if (event.runId !== s.runId) return;
    const isPassedEnd = event.seq <= s.lastSeq && isRunEnd(event) && isRunLive(s.run);
    if (event.seq !== s.lastSeq + 1 && !isPassedEnd) return;
    const { spans, order } = reduceSpans(s.spans, s.spanOrder, event);
    set(
      {
        lastSeq: Math.max(s.lastSeq, event.seq),
        nodeRuns: reduceNodeRuns(s.nodeRuns, event, s.spans),
        spans,
        spanOrder: order,
        run: reduceRunInfo(s.run, event),
        isRunPending: false,
      },
      false,
      'applyTrace',
    );
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
