import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';

/**
 * Makes a box focusable while its content overflows it, so the keyboard can scroll it too (WCAG 2.1.1); a box that
 * fits stays out of the Tab order. Returns the props to spread on the box: named, as a group, when focusable.
 */
export function useScrollFocus<T extends HTMLElement>(label: string) {
  const ref = useRef<T>(null);
  const [isScrollable, setScrollable] = useState(false);
  const check = useCallback(() => {
    const el = ref.current;
    if (el) setScrollable(el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1);
  }, []);
  // After every render: the content may have grown (a streamed answer, new logs).
  useLayoutEffect(check);
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(check);
    observer.observe(el);
    return () => observer.disconnect();
  }, [check]);
  return isScrollable ? { ref, tabIndex: 0, role: 'group', 'aria-label': label } : { ref };
}
