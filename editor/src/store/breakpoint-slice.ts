import type { SliceCreator } from './index';

/** Where the breakpoints of every flow are kept in this browser: editor state, never part of the flow file. */
export const BREAKPOINTS_KEY = 'flowloom.breakpoints';

export interface BreakpointSlice {
  /** Node ids a run from the editor pauses before, by flow id (docs/contracts.md §9). */
  breakpoints: Record<string, readonly string[]>;
  /** Sets a breakpoint on the node of the open flow, or clears the one it has. Answers whether it is set now. */
  toggleBreakpoint: (nodeId: string) => boolean;
}

function loadBreakpoints(): Record<string, readonly string[]> {
  try {
    const text = globalThis.localStorage?.getItem(BREAKPOINTS_KEY);
    const parsed: unknown = text ? JSON.parse(text) : {};
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
    const out: Record<string, readonly string[]> = {};
    for (const [flowId, ids] of Object.entries(parsed)) {
      if (Array.isArray(ids)) out[flowId] = ids.filter((id): id is string => typeof id === 'string');
    }
    return out;
  } catch {
    return {};
  }
}

function saveBreakpoints(breakpoints: Record<string, readonly string[]>): void {
  try {
    globalThis.localStorage?.setItem(BREAKPOINTS_KEY, JSON.stringify(breakpoints));
  } catch {
    // Storage full or blocked: the breakpoints hold for this page only.
  }
}

export const createBreakpointSlice: SliceCreator<BreakpointSlice> = (set, get) => ({
  breakpoints: loadBreakpoints(),
  toggleBreakpoint: (nodeId) => {
    const flowId = get().meta?.id;
    if (!flowId) return false;
    const current = get().breakpoints[flowId] ?? [];
    const isSet = !current.includes(nodeId);
    const ids = isSet ? [...current, nodeId] : current.filter((id) => id !== nodeId);
    const { [flowId]: _, ...others } = get().breakpoints;
    const breakpoints = ids.length > 0 ? { ...others, [flowId]: ids } : others;
    saveBreakpoints(breakpoints);
    set({ breakpoints }, false, 'toggleBreakpoint');
    return isSet;
  },
});

/** Whether the node of the open flow has a breakpoint. */
export const selectHasBreakpoint =
  (nodeId: string) =>
  (s: { meta: { id: string } | null; breakpoints: Record<string, readonly string[]> }): boolean =>
    s.breakpoints[s.meta?.id ?? '']?.includes(nodeId) ?? false;
