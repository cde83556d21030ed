import { memo } from 'react';
import { selectHasBreakpoint } from '../store/breakpoint-slice';
import { useEditor } from '../store/index';
import './breakpoints.css';

/** The red dot of a node with a breakpoint (editor state, not part of the flow). */
export const BreakpointDot = memo(function BreakpointDot({ id }: { id: string }) {
  const hasBreakpoint = useEditor(selectHasBreakpoint(id));
  if (!hasBreakpoint) return null;
  return <span className="breakpoint-dot" title="Breakpoint" aria-hidden data-testid={`breakpoint-${id}`} />;
});
