import { useEditor } from '../../store/index';
import { Modal } from '../../ui/Modal';

/** Every shortcut of the editor, by area: what `?` opens. Kept beside use-editor-keys.ts, which implements them. */
export const SHORTCUTS: readonly { area: string; keys: readonly [string, string][] }[] = [
  {
    area: 'Canvas',
    keys: [
      ['Ctrl+Z / Ctrl+Shift+Z (Ctrl+Y)', 'Undo / redo'],
      ['Ctrl+S', 'Save now (edits also save by themselves)'],
      ['Ctrl+A', 'Select every node'],
      ['Ctrl+D', 'Duplicate the selection beside it'],
      ['Ctrl+C / Ctrl+X / Ctrl+V', 'Copy / cut / paste nodes (as flow JSON)'],
      ['Delete or Backspace', 'Delete the selection'],
      ['Escape', 'Cancel a connection, then clear the selection'],
      ['Tab / Shift+Tab', 'Go through nodes, ports and edges'],
      ['Enter on a node', 'Select it and open the inspector'],
      ['Enter on an output port, then on an input port', 'Connect them'],
      ['Arrow keys on a selected node', 'Move it'],
      ['Shift+R on a selected node', 'Run from here (rerun the last run from this node)'],
      ['Shift+A on a selected node', 'Run this node alone, with inputs you can edit'],
      ['Shift+P on a selected node', 'Pin / unpin its output (editor runs reuse it)'],
      ['Right-click a node', 'Select it and show its run actions'],
      ['F9', 'Set or clear a breakpoint on the selected node (editor runs pause before it)'],
      ['?', 'This list'],
    ],
  },
  {
    area: 'Palette',
    keys: [
      ['Enter in the search box', 'Add the best match'],
      ['Arrow keys, Home, End', 'Move through the kinds'],
      ['Enter or Space on a kind', 'Add it beside the selection'],
    ],
  },
  {
    area: 'Panels',
    keys: [
      ['Arrow keys on a panel edge', 'Resize the palette, the inspector or the run details (Shift: bigger steps)'],
      ['Home / End on a panel edge', 'Smallest / largest size'],
      ['Enter on a panel edge (or double-click)', 'Back to the default size'],
    ],
  },
  {
    area: 'Code and template fields',
    keys: [
      ['Tab / Shift+Tab', 'Indent / outdent, once you have typed'],
      ['Escape, then Tab', 'Leave the field'],
      ['Ctrl+M', 'Switch Tab between indenting and moving focus'],
      ['{{', 'Insert a variable'],
    ],
  },
];

/** The shortcuts sheet. */
export function ShortcutsDialog() {
  const isOpen = useEditor((s) => s.isShortcutsOpen);
  const setOpen = useEditor((s) => s.setShortcutsOpen);
  if (!isOpen) return null;
  return (
    <Modal title="Keyboard shortcuts" onClose={() => setOpen(false)} testId="shortcuts-dialog" wide>
      {SHORTCUTS.map(({ area, keys }) => (
        <section key={area} className="shortcuts-area">
          <h3>{area}</h3>
          <table className="shortcuts-table">
            <tbody>
              {keys.map(([key, does]) => (
                <tr key={key}>
                  <th scope="row">
                    <kbd>{key}</kbd>
                  </th>
                  <td>{does}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ))}
    </Modal>
  );
}
