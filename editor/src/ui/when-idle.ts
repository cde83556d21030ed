/**
 * Runs `fn` once the browser is idle (after `timeoutMs` at the latest), and returns a function that cancels it. For
 * work a view does not need for its first frame (building a code editor, asking for the lists of a picker): run right
 * after a click's paint, it would be a long task in front of whatever comes next (a key, another click).
 */
export function whenIdle(fn: () => void, timeoutMs = 2000): () => void {
  if (typeof requestIdleCallback === 'function') {
    const id = requestIdleCallback(fn, { timeout: timeoutMs });
    return () => cancelIdleCallback(id);
  }
  // No requestIdleCallback (Safari): a short, fixed delay stands in for the next idle period.
  const timer = setTimeout(fn, 200);
  return () => clearTimeout(timer);
}
