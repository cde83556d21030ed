/** The keys a tree of spans answers (WAI-ARIA tree view); Enter and Space are the rows' own (buttons). */
export const TREE_KEYS: ReadonlySet<string> = new Set([
  'ArrowDown',
  'ArrowUp',
  'Home',
  'End',
  'ArrowRight',
  'ArrowLeft',
]);

/** Where a tree key moves focus among the rows (WAI-ARIA tree view): an index, or -1 to stay. */
export function treeKeyTarget(key: string, depths: readonly number[], index: number): number {
  const depth = depths[index] ?? 0;
  switch (key) {
    case 'ArrowDown':
      return Math.min(index + 1, depths.length - 1);
    case 'ArrowUp':
      return Math.max(index - 1, 0);
    case 'Home':
      return 0;
    case 'End':
      return depths.length - 1;
    case 'ArrowRight':
      // To the first child, which comes right after its parent.
      return (depths[index + 1] ?? -1) > depth ? index + 1 : -1;
    case 'ArrowLeft':
      // To the parent: the nearest row above with a smaller depth.
      for (let i = index - 1; i >= 0; i--) if ((depths[i] ?? 0) < depth) return i;
      return -1;
    default:
      return -1;
  }
}
