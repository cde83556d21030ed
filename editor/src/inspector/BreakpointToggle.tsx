import { selectHasBreakpoint } from '../store/breakpoint-slice';
import { useEditor } from '../store/index';

/** Sets or clears a breakpoint on the node (also F9 on the canvas): runs from the editor pause before it. */
export function BreakpointToggle({ nodeId }: { nodeId: string }) {
  const hasBreakpoint = useEditor(selectHasBreakpoint(nodeId));
  const toggle = () => {
    const s = useEditor.getState();
    const isSet = s.toggleBreakpoint(nodeId);
    s.announce(isSet ? `Breakpoint set on ${nodeId}.` : `Breakpoint cleared on ${nodeId}.`);
  };
  return (
    <button
      type="button"
      className="btn btn-sm breakpoint-toggle"
      aria-pressed={hasBreakpoint}
      onClick={toggle}
      title="Runs from the editor pause before this node (F9)"
      data-testid="breakpoint-toggle"
    >
      <span className={`breakpoint-mark${hasBreakpoint ? ' is-set' : ''}`} aria-hidden />
      {hasBreakpoint ? 'Clear breakpoint' : 'Set breakpoint'}
      <kbd>F9</kbd>
    </button>
  );
}
