import type { Problem } from '@flowloom/nodes/spec';
import type { SliceCreator } from './index';

export type { Problem };

export interface Toast {
  id: number;
  kind: 'info' | 'error' | 'success';
  message: string;
}

export type RightTab = 'inspect' | 'run';
export type BottomTab = 'trace' | 'history' | 'problems';

/** What the user typed in the Run tab: kept while they go to the inspector and back, reset when another flow opens. */
export interface RunFormDraft {
  mode: 'chat' | 'form';
  values: Record<string, string | boolean>;
  sessionId: string;
  /** The chat box's unsent message. */
  chatDraft: string;
  /** The run whose inputs the form holds (replayed from history), until one is changed. */
  restoredFrom?: string;
}

export const EMPTY_RUN_FORM: RunFormDraft = { mode: 'chat', values: {}, sessionId: '', chatDraft: '' };

export interface UiSlice {
  isSaving: boolean;
  saveError: string | null;
  /** The stored flow changed elsewhere since we loaded it: the user chooses, we never overwrite silently. */
  saveConflict: boolean;
  problems: Problem[];
  problemsByNode: Record<string, Problem[]>;
  /** Edge ids with a problem, and its message. */
  problemsByEdge: Record<string, string>;
  rightTab: RightTab;
  bottomTab: BottomTab;
  isBottomOpen: boolean;
  runForm: RunFormDraft;
  /** The keyboard shortcuts sheet (`?`) is open. */
  isShortcutsOpen: boolean;
  /** Why the connection being dragged would be refused. */
  connectHint: string | null;
  toasts: Toast[];
  /** The last message for screen readers (a node added, a connection made); `id` changes even when the text does not. */
  announcement: { id: number; text: string };
  setSaving: (isSaving: boolean) => void;
  setSaveError: (message: string | null) => void;
  setSaveConflict: (isConflict: boolean) => void;
  setProblems: (problems: Problem[]) => void;
  setRightTab: (tab: RightTab) => void;
  openBottom: (tab: BottomTab) => void;
  toggleBottom: () => void;
  setShortcutsOpen: (isOpen: boolean) => void;
  setRunForm: (patch: Partial<RunFormDraft>) => void;
  setConnectHint: (hint: string | null) => void;
  toast: (kind: Toast['kind'], message: string) => void;
  dismissToast: (id: number) => void;
  announce: (text: string) => void;
}

let toastSeq = 0;

/** Problems grouped by node id; pure. */
export function groupProblems(problems: readonly Problem[]): Record<string, Problem[]> {
  const out: Record<string, Problem[]> = {};
  for (const p of problems) if (p.nodeId) out[p.nodeId] = [...(out[p.nodeId] ?? []), p];
  return out;
}

export const createUiSlice: SliceCreator<UiSlice> = (set, get) => ({
  isSaving: false,
  saveError: null,
  saveConflict: false,
  problems: [],
  problemsByNode: {},
  problemsByEdge: {},
  rightTab: 'inspect',
  bottomTab: 'trace',
  isBottomOpen: false,
  isShortcutsOpen: false,
  runForm: EMPTY_RUN_FORM,
  connectHint: null,
  toasts: [],
  announcement: { id: 0, text: '' },
  setSaving: (isSaving) => set({ isSaving }, false, 'setSaving'),
  setSaveError: (saveError) => set({ saveError }, false, 'setSaveError'),
  setSaveConflict: (saveConflict) => set({ saveConflict }, false, 'setSaveConflict'),
  setProblems: (problems) =>
    set(
      {
        problems,
        problemsByNode: groupProblems(problems),
        problemsByEdge: Object.fromEntries(problems.filter((p) => p.edgeId).map((p) => [p.edgeId, p.message])),
      },
      false,
      'setProblems',
    ),
  // The inspector follows each selection: selecting a node with the inspector shown must not notify every subscriber.
  setRightTab: (rightTab) => {
    if (get().rightTab !== rightTab) set({ rightTab }, false, 'setRightTab');
  },
  openBottom: (bottomTab) => set({ bottomTab, isBottomOpen: true }, false, 'openBottom'),
  toggleBottom: () => set({ isBottomOpen: !get().isBottomOpen }, false, 'toggleBottom'),
  setShortcutsOpen: (isShortcutsOpen) => set({ isShortcutsOpen }, false, 'setShortcutsOpen'),
  setRunForm: (patch) => set({ runForm: { ...get().runForm, ...patch } }, false, 'setRunForm'),
  setConnectHint: (connectHint) => {
    if (get().connectHint !== connectHint) set({ connectHint }, false, 'setConnectHint');
  },
  toast: (kind, message) => {
    const id = ++toastSeq;
    set({ toasts: [...get().toasts.slice(-3), { id, kind, message }] }, false, 'toast');
    setTimeout(() => get().dismissToast(id), kind === 'error' ? 7000 : 3500);
  },
  dismissToast: (id) => set({ toasts: get().toasts.filter((t) => t.id !== id) }, false, 'dismissToast'),
  announce: (text) => set({ announcement: { id: get().announcement.id + 1, text } }, false, 'announce'),
});
