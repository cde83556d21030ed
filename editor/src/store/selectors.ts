import { isFlowNode } from './graph-types';
import type { EditorState } from './index';

export type SaveStatus = 'saved' | 'unsaved' | 'saving' | 'conflict' | 'error';

export const selectSaveStatus = (s: EditorState): SaveStatus => {
  if (s.saveConflict) return 'conflict';
  if (s.isSaving) return 'saving';
  if (s.saveError) return 'error';
  return s.revision === s.savedRevision ? 'saved' : 'unsaved';
};

/** The one selected flow node, for the inspector; null with zero or several selected. */
export const selectSelectedNodeId = (s: EditorState): string | null => {
  let found: string | null = null;
  for (const node of s.nodes) {
    if (!node.selected) continue;
    if (found !== null || !isFlowNode(node)) return null;
    found = node.id;
  }
  return found;
};

export const selectSelectionCount = (s: EditorState): number => {
  let count = 0;
  for (const node of s.nodes) if (node.selected) count++;
  return count;
};

export const selectCanUndo = (s: EditorState) => s.history.past.length > 0;
export const selectCanRedo = (s: EditorState) => s.history.future.length > 0;
export const selectIsRunning = (s: EditorState) =>
  s.isRunPending || s.run.status === 'running' || s.run.status === 'queued';
