import { describe, expect, it } from 'vitest';
import { originLabel } from './run-origin';

const titles: Record<string, string> = { llm: 'Summarise' };
const titleOf = (id: string) => titles[id] ?? id;

describe('originLabel', () => {
  it('labels reruns, nodes run alone and pinned runs; plain runs get none', () => {
    expect(originLabel(undefined, titleOf)).toBeNull();
    expect(originLabel({}, titleOf)).toBeNull();
    expect(originLabel({ rerunOf: 'r_1', fromNode: 'llm' }, titleOf)).toBe('rerun from Summarise');
    expect(originLabel({ node: 'prompt' }, titleOf)).toBe('node alone: prompt');
    expect(originLabel({ pinned: ['llm'] }, titleOf)).toBe('Summarise pinned');
    expect(originLabel({ rerunOf: 'r_1', fromNode: 'answer', pinned: ['llm', 'x'] }, titleOf)).toBe(
      'rerun from answer · 2 pinned',
    );
  });
});
