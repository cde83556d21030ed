/**
 * Runs `fn` once the browser has painted the current frame, and returns a function that cancels it. For work a view
 * does not need for its first frame (building an editor, starting requests): React flushes the passive effects of a
 * click's render before the browser paints, so work started there delays what the click shows.
 */
export function afterPaint(fn: () => void): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  // A frame callback runs just before the paint; a task queued from it runs after.
  const frame = requestAnimationFrame(() => {
    timer = setTimeout(fn, 0);
  });
  return () => {
    cancelAnimationFrame(frame);
    clearTimeout(timer);
  };
}
