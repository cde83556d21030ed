import { useLayoutEffect, useRef } from 'react';

/**
 * Names the node for screen readers on React Flow's focusable wrapper (`role=group`), which takes its name only from
 * the node object's `ariaLabel`. Node objects hold only the flow's data (STYLE §5), so the name is set on the element
 * instead; React Flow never writes that attribute while `ariaLabel` is unset, so it stays.
 */
export function useWrapperLabel(label: string) {
  const ref = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    ref.current?.closest('.react-flow__node')?.setAttribute('aria-label', label);
  }, [label]);
  return ref;
}
