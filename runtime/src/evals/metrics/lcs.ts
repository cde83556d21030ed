const ALL_ONES = 0xffffffff;

/**
 * Longest common subsequences against one fixed reference sequence of token ids, computed bit-parallel (Allison
 * and Dix 1986, in Hyyrö's 2004 form): one DP column is a bit vector over the reference, advanced 32 cells per
 * machine word.
 *
 * The classic O(n·m) table costs tens of milliseconds on two 2,000-token texts; this does the same work 32 cells at
 * a time and allocates only bit vectors. Bit i of a column is 0 exactly where the DP value grows between rows i and
 * i + 1, so any table cell is a count of zero bits, which lets `indices` backtrack like rouge-score without the
 * table.
 */
export class LcsMatcher {
  readonly #reference: ArrayLike<number>;
  readonly #words: number;
  /** Per token id, the reference positions holding it, as a bit vector. */
  readonly #masks = new Map<number, Uint32Array>();
  /** The columns of the last `indices` call, reused: summary-level ROUGE-L asks for one per pair of sentences. */
  #table = new Uint32Array(0);

  constructor(reference: ArrayLike<number>) {
    this.#reference = reference;
    this.#words = Math.ceil(reference.length / 32);
    for (let i = 0; i < reference.length; i++) {
      const token = reference[i]!;
      let mask = this.#masks.get(token);
      if (!mask) {
        mask = new Uint32Array(this.#words);
        this.#masks.set(token, mask);
      }
      mask[i >>> 5]! |= 1 << (i & 31);
    }
  }

  /** The length of the longest common subsequence of the reference and `candidate`. */
  length(candidate: ArrayLike<number>): number {
    const column = new Uint32Array(this.#words).fill(ALL_ONES);
    for (let j = 0; j < candidate.length; j++) {
      const mask = this.#masks.get(candidate[j]!);
      if (mask) this.#advance(column, 0, 0, mask);
    }
    return this.#reference.length - countOnes(column, 0, this.#reference.length);
  }

  /**
   * The indexes into the reference of one longest common subsequence with `candidate`, in increasing order: the
   * one rouge-score's `_backtrack_norec` reads out of its table.
   *
   * Which of several equally long subsequences comes out decides summary-level ROUGE-L's union, so the backtrack
   * keeps rouge-score's tie-break exactly: a match moves diagonally, else left only when the cell to the left is
   * strictly greater than the one above.
   */
  indices(candidate: ArrayLike<number>): number[] {
    const rows = this.#reference.length;
    const columns = candidate.length;
    if (rows === 0 || columns === 0) return [];
    const words = this.#words;
    // Every column of the table as a bit vector: (columns + 1) × words words, not (rows + 1) × (columns + 1) cells.
    const size = (columns + 1) * words;
    if (this.#table.length < size) this.#table = new Uint32Array(Math.max(size, this.#table.length * 2));
    const table = this.#table;
    table.fill(ALL_ONES, 0, words);
    let hasMatch = false;
    for (let j = 1; j <= columns; j++) {
      const mask = this.#masks.get(candidate[j - 1]!);
      if (mask) {
        this.#advance(table, (j - 1) * words, j * words, mask);
        hasMatch = true;
      } else {
        table.copyWithin(j * words, (j - 1) * words, j * words);
      }
    }
    if (!hasMatch) return [];

    // A cell of the DP table, (i, j), is i minus the one bits among the first i bits of column j.
    let remaining = rows - countOnes(table, columns * words, rows);
    const indices = new Array<number>(remaining);
    let i = rows;
    let j = columns;
    // Once the whole subsequence is read out, rouge-score's loop only walks on without matching: stop there.
    while (remaining > 0) {
      if (this.#reference[i - 1] === candidate[j - 1]) {
        indices[--remaining] = i - 1;
        i--;
        j--;
      } else if (i - countOnes(table, (j - 1) * words, i) > i - 1 - countOnes(table, j * words, i - 1)) {
        j--;
      } else {
        i--;
      }
    }
    return indices;
  }

  /**
   * One DP column step for a candidate token with reference positions `mask`: V' = (V + U) | (V − U) with
   * U = V & mask; U's bits are a subset of V's, so V − U is V & ~U and only the addition carries across words.
   */
  #advance(vectors: Uint32Array, from: number, to: number, mask: Uint32Array): void {
    let carry = 0;
    for (let w = 0; w < this.#words; w++) {
      const v = vectors[from + w]!;
      const u = (v & mask[w]!) >>> 0;
      const sum = v + u + carry;
      carry = sum > ALL_ONES ? 1 : 0;
      // `|` keeps the low 32 bits of the sum; the typed array stores them unsigned.
      vectors[to + w] = sum | (v & ~u);
    }
  }
}

/**
 * Length of the longest common subsequence of two sequences of token ids.
 *
 * Bit-parallel (see `LcsMatcher`) over the shorter sequence: O(n·m/32) time, no table, no string comparisons.
 */
export function lcsLength(first: ArrayLike<number>, second: ArrayLike<number>): number {
  const [longer, shorter] = first.length >= second.length ? [first, second] : [second, first];
  if (shorter.length === 0) return 0;
  return new LcsMatcher(shorter).length(longer);
}

/** The number of one bits among the first `bits` bits of the vector starting at `offset`. */
function countOnes(vectors: Uint32Array, offset: number, bits: number): number {
  const fullWords = bits >>> 5;
  let count = 0;
  for (let w = 0; w < fullWords; w++) count += popCount(vectors[offset + w]!);
  const rest = bits & 31;
  if (rest > 0) count += popCount(vectors[offset + fullWords]! & (ALL_ONES >>> (32 - rest)));
  return count;
}

function popCount(word: number): number {
  let x = word - ((word >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}
