import type { GraphDoc } from './graph-types';

/** Undo/redo as snapshots of the immutable document; edits with the same key in quick succession coalesce. */
export interface History {
  past: GraphDoc[];
  future: GraphDoc[];
  /** Key of the last recorded edit (e.g. `param:llm:temperature`); null after a break. */
  lastKey: string | null;
  lastAt: number;
}

export const HISTORY_LIMIT = 200;
/** Same-key edits closer than this become one undo step (typing, dragging). */
export const COALESCE_MS = 1000;

export const emptyHistory = (): History => ({ past: [], future: [], lastKey: null, lastAt: 0 });

/**
 * Records that `before` is about to be replaced by an edit. Returns the new history; an edit with the same key
 * as the previous one, soon after it, is merged into it (the snapshot before the first one stays).
 */
export function recordEdit(history: History, before: GraphDoc, key: string | null, now: number): History {
  if (key !== null && key === history.lastKey && now - history.lastAt < COALESCE_MS) {
    return { ...history, lastAt: now, future: [] };
  }
  const past = [...history.past, before];
  if (past.length > HISTORY_LIMIT) past.shift();
  return { past, future: [], lastKey: key, lastAt: now };
}

/** Ends coalescing, so the next edit starts a new undo step (drag end, blur). */
export function breakCoalescing(history: History): History {
  return history.lastKey === null ? history : { ...history, lastKey: null };
}

export function undoEdit(history: History, current: GraphDoc): { history: History; doc: GraphDoc } | null {
  const doc = history.past[history.past.length - 1];
  if (!doc) return null;
  return {
    doc,
    history: { past: history.past.slice(0, -1), future: [current, ...history.future], lastKey: null, lastAt: 0 },
  };
}

export function redoEdit(history: History, current: GraphDoc): { history: History; doc: GraphDoc } | null {
  const doc = history.future[0];
  if (!doc) return null;
  return {
    doc,
    history: { past: [...history.past, current], future: history.future.slice(1), lastKey: null, lastAt: 0 },
  };
}
