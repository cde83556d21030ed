import { describe, expect, it } from 'vitest';
import { treeKeyTarget } from './tree-keys';

// run → llm (with two tool calls under it) → output
const depths = [0, 0, 1, 1, 0];

describe('treeKeyTarget', () => {
  it('moves down and up, stopping at the ends', () => {
    expect(treeKeyTarget('ArrowDown', depths, 0)).toBe(1);
    expect(treeKeyTarget('ArrowDown', depths, 4)).toBe(4);
    expect(treeKeyTarget('ArrowUp', depths, 2)).toBe(1);
    expect(treeKeyTarget('ArrowUp', depths, 0)).toBe(0);
    expect(treeKeyTarget('Home', depths, 3)).toBe(0);
    expect(treeKeyTarget('End', depths, 1)).toBe(4);
  });

  it('goes to the first child with ArrowRight and to the parent with ArrowLeft', () => {
    expect(treeKeyTarget('ArrowRight', depths, 1)).toBe(2);
    expect(treeKeyTarget('ArrowRight', depths, 0)).toBe(-1);
    expect(treeKeyTarget('ArrowLeft', depths, 3)).toBe(1);
    expect(treeKeyTarget('ArrowLeft', depths, 1)).toBe(-1);
  });

  it('ignores other keys', () => {
    expect(treeKeyTarget('a', depths, 1)).toBe(-1);
  });
});
