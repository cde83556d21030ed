import { useStoreApi } from '@xyflow/react';
import { useEffect } from 'react';
import { copyToClipboard, duplicateSelection, pasteText, saveNow } from '../../api/actions';
import { openRunAlone, runFromHere, togglePin } from '../../pins/node-run-actions';
import { useEditor } from '../../store/index';
import { selectSelectedNodeId } from '../../store/selectors';

function isEditable(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  return (
    el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName) || el.closest('.cm-editor') !== null
  );
}

/**
 * Shortcuts: save, undo/redo, delete, select all, duplicate, copy/cut/paste (flow JSON on the clipboard), F9 for a
 * breakpoint on the selected node.
 */
export function useEditorKeys(centre: () => { x: number; y: number }) {
  const flow = useStoreApi();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      const key = e.key.toLowerCase();
      const s = useEditor.getState();
      if (mod && key === 's') {
        e.preventDefault();
        void saveNow();
        return;
      }
      if (isEditable(e.target)) return;
      if (mod && key === 'z') {
        e.preventDefault();
        if (e.shiftKey) s.redo();
        else s.undo();
      } else if (mod && key === 'y') {
        e.preventDefault();
        s.redo();
      } else if (mod && key === 'a') {
        e.preventDefault();
        s.selectAll();
      } else if (mod && key === 'd') {
        // The browser's own Ctrl+D (bookmark) is not what anyone means on a canvas.
        e.preventDefault();
        duplicateSelection();
      } else if (mod && (key === 'c' || key === 'x')) {
        void copyToClipboard(key === 'x');
      } else if (e.key === 'Delete' || e.key === 'Backspace') {
        e.preventDefault();
        s.deleteSelection();
      } else if (e.shiftKey && !mod && !e.altKey && ['r', 'a', 'p'].includes(key) && selectSelectedNodeId(s)) {
        // On the selected node: run from here, run it alone, pin or unpin its output.
        e.preventDefault();
        const nodeId = selectSelectedNodeId(s) as string;
        if (key === 'r') runFromHere(nodeId);
        else if (key === 'a') openRunAlone(nodeId);
        else togglePin(nodeId);
      } else if (e.key === 'F9' && !mod) {
        // A breakpoint on the selected node: runs from the editor pause before it (docs/contracts.md §9).
        e.preventDefault();
        const nodeId = selectSelectedNodeId(s);
        if (!nodeId) s.announce('Select a node to set a breakpoint.');
        else {
          const isSet = s.toggleBreakpoint(nodeId);
          s.announce(isSet ? `Breakpoint set on ${nodeId}.` : `Breakpoint cleared on ${nodeId}.`);
        }
      } else if (e.key === '?' && !mod) {
        e.preventDefault();
        s.setShortcutsOpen(true);
      } else if (e.key === 'Escape') {
        // First a connection begun with Enter or a click on a port, then the selection.
        if (flow.getState().connectionClickStartHandle) {
          flow.setState({ connectionClickStartHandle: null });
          s.announce('Connection cancelled.');
        } else s.selectOnly(null);
      }
    };
    const onPaste = (e: ClipboardEvent) => {
      if (isEditable(e.target)) return;
      e.preventDefault();
      if (!pasteText(e.clipboardData?.getData('text/plain'), centre())) pasteText(null, centre());
    };
    window.addEventListener('keydown', onKey);
    document.addEventListener('paste', onPaste);
    return () => {
      window.removeEventListener('keydown', onKey);
      document.removeEventListener('paste', onPaste);
    };
  }, [centre, flow]);
}
