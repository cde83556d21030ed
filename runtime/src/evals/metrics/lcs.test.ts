import { describe, expect, it } from 'vitest';
import { LcsMatcher, lcsLength } from './lcs.js';

/** rouge-score's `_lcs_table` and `_backtrack_norec`, transcribed plainly: the oracle for the bit-parallel version. */
function referenceLcs(reference: number[], candidate: number[]): { length: number; indices: number[] } {
  const table = Array.from({ length: reference.length + 1 }, () => new Array<number>(candidate.length + 1).fill(0));
  for (let i = 1; i <= reference.length; i++) {
    for (let j = 1; j <= candidate.length; j++) {
      table[i]![j] =
        reference[i - 1] === candidate[j - 1]
          ? table[i - 1]![j - 1]! + 1
          : Math.max(table[i - 1]![j]!, table[i]![j - 1]!);
    }
  }
  const indices: number[] = [];
  let i = reference.length;
  let j = candidate.length;
  while (i > 0 && j > 0) {
    if (reference[i - 1] === candidate[j - 1]) {
      indices.unshift(i - 1);
      i--;
      j--;
    } else if (table[i]![j - 1]! > table[i - 1]![j]!) {
      j--;
    } else {
      i--;
    }
  }
  return { length: table[reference.length]![candidate.length]!, indices };
}

/** A small seeded generator, so a failure names a case that can be replayed. */
function generator(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
}

describe('LCS', () => {
  // Ported from google-research/google-research rouge/rouge_scorer_test.py, testLcsTable.
  it('reads out the LCS that rouge-score does', () => {
    const reference = [1, 2, 3, 4, 5];
    expect(lcsLength(reference, [2, 5, 3, 4])).toBe(3);
    expect(new LcsMatcher(reference).indices([2, 5, 3, 4])).toEqual([1, 2, 3]);
    expect(lcsLength(reference, [8, 9])).toBe(0);
    expect(new LcsMatcher(reference).indices([8, 9])).toEqual([]);
  });

  it('handles empty sequences', () => {
    expect(lcsLength([], [1, 2])).toBe(0);
    expect(lcsLength([1, 2], [])).toBe(0);
    expect(new LcsMatcher([]).indices([1])).toEqual([]);
    expect(new LcsMatcher([1]).indices([])).toEqual([]);
  });

  it('agrees with the plain table on random sequences across word boundaries, ties included', () => {
    const random = generator(20240611);
    for (let round = 0; round < 600; round++) {
      // Small alphabets make many equally long subsequences, which is where the backtrack's tie-break shows.
      const alphabet = 1 + Math.floor(random() * 6);
      const sequence = () => Array.from({ length: Math.floor(random() * 140) }, () => Math.floor(random() * alphabet));
      const reference = sequence();
      const candidate = sequence();
      const expected = referenceLcs(reference, candidate);
      const matcher = new LcsMatcher(reference);
      expect(lcsLength(reference, candidate), `round ${round}`).toBe(expected.length);
      expect(matcher.length(candidate), `round ${round}`).toBe(expected.length);
      expect(matcher.indices(candidate), `round ${round}`).toEqual(expected.indices);
      // the matcher reuses its buffers: a second, different candidate must not see the first one's columns
      const other = sequence();
      expect(matcher.indices(other), `round ${round}, second candidate`).toEqual(
        referenceLcs(reference, other).indices,
      );
    }
  });
});
