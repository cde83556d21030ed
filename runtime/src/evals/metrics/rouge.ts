import { LcsMatcher, lcsLength } from './lcs.js';

/**
 * A ROUGE variant, named as in Google's rouge-score: `rouge1` to `rouge9` (n-gram overlap), `rougeL` (longest
 * common subsequence over the whole text) or `rougeLsum` (summary-level LCS over sentences split on newlines).
 */
export type RougeVariant = `rouge${1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9}` | 'rougeL' | 'rougeLsum';

/** Precision, recall and their harmonic mean, each 0..1, as rouge-score's `Score`. */
export interface RougeScore {
  /** Overlap divided by the size of the prediction. */
  precision: number;
  /** Overlap divided by the size of the target. */
  recall: number;
  fmeasure: number;
}

/** The settings of `rouge`. */
export interface RougeOptions {
  /**
   * Replaces the default tokenizer (`tokenizeRouge`), as rouge-score's `tokenizer` argument does. rouge-score's
   * `use_stemmer` (NLTK's Porter stemmer) is not offered: pass a stemming tokenizer here instead.
   */
  tokenizer?: (text: string) => string[];
}

const NGRAM_VARIANT = /^rouge([1-9])$/;

/**
 * Tokenizes text as rouge-score's default tokenizer without stemming: lowercase, then every run of ASCII letters
 * and digits is a token and everything else separates tokens.
 *
 * rouge-score replaces each non-[a-z0-9] run with a space, splits on whitespace and drops empty tokens, which is
 * the same. Lowercasing comes first, so the only non-ASCII letters that can form tokens are U+0130 (İ → i + a
 * combining dot) and the Kelvin sign (→ k), as in Python.
 */
export function tokenizeRouge(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
}

/**
 * Scores a prediction against a target with one ROUGE variant, as rouge-score's `RougeScorer.score(target,
 * prediction)`.
 *
 * Precision is overlap over the prediction and recall overlap over the target for every variant (some npm packages
 * swap them for ROUGE-L). An empty target or prediction scores 0. Throws a RangeError for an unknown variant
 * (`rouge0`, `rouge10`, `rougeN`), as rouge-score raises a ValueError.
 */
export function rouge(
  target: string,
  prediction: string,
  variant: RougeVariant,
  options: RougeOptions = {},
): RougeScore {
  const tokenize = options.tokenizer ?? tokenizeRouge;
  if (variant === 'rougeL') return scoreLcs(tokenize(target), tokenize(prediction));
  if (variant === 'rougeLsum') {
    return scoreSummaryLevelLcs(sentences(target).map(tokenize), sentences(prediction).map(tokenize));
  }
  const match = NGRAM_VARIANT.exec(variant);
  if (!match) throw new RangeError(`Unknown ROUGE variant: ${String(variant)}`);
  return scoreNgrams(tokenize(target), tokenize(prediction), Number(match[1]));
}

function score(precision: number, recall: number): RougeScore {
  // rouge-score's scoring.fmeasure, same operations in the same order
  const fmeasure = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, fmeasure };
}

/** rouge-score's `_create_ngrams` + `_score_ngrams`: clipped n-gram overlap. */
function scoreNgrams(target: readonly string[], prediction: readonly string[], n: number): RougeScore {
  const ids = new Vocabulary();
  const targetCounts = countNgrams(ids.encode(target), n);
  const predictionCounts = countNgrams(ids.encode(prediction), n);
  let overlap = 0;
  for (const [ngram, count] of targetCounts) overlap += Math.min(count, predictionCounts.get(ngram) ?? 0);
  const targetTotal = Math.max(target.length - n + 1, 0);
  const predictionTotal = Math.max(prediction.length - n + 1, 0);
  return score(overlap / Math.max(predictionTotal, 1), overlap / Math.max(targetTotal, 1));
}

function countNgrams(ids: Int32Array, n: number): Map<number | string, number> {
  const counts = new Map<number | string, number>();
  for (let start = 0; start + n <= ids.length; start++) {
    const ngram = n === 1 ? ids[start]! : ids.subarray(start, start + n).join(',');
    counts.set(ngram, (counts.get(ngram) ?? 0) + 1);
  }
  return counts;
}

/** rouge-score's `_score_lcs`: sentence-level ROUGE-L over the whole text. */
function scoreLcs(target: readonly string[], prediction: readonly string[]): RougeScore {
  if (target.length === 0 || prediction.length === 0) return score(0, 0);
  const ids = new Vocabulary();
  const length = lcsLength(ids.encode(target), ids.encode(prediction));
  return score(length / prediction.length, length / target.length);
}

/** rouge-score's `get_sents`: newline-separated, empty lines dropped (before tokenizing, as rouge-score). */
function sentences(text: string): string[] {
  return text.split('\n').filter((sentence) => sentence.length > 0);
}

/**
 * rouge-score's `_summary_level_lcs` (ROUGE paper, section 3.2): for each target sentence, the union of its LCS
 * with every prediction sentence; hits are counted at most as often as the token occurs on each side, as
 * ROUGE-1.5.5 does.
 */
function scoreSummaryLevelLcs(target: readonly string[][], prediction: readonly string[][]): RougeScore {
  if (target.length === 0 || prediction.length === 0) return score(0, 0);
  const ids = new Vocabulary();
  const targetIds = target.map((tokens) => ids.encode(tokens));
  const predictionIds = prediction.map((tokens) => ids.encode(tokens));
  const targetLength = targetIds.reduce((sum, tokens) => sum + tokens.length, 0);
  const predictionLength = predictionIds.reduce((sum, tokens) => sum + tokens.length, 0);
  if (targetLength === 0 || predictionLength === 0) return score(0, 0);

  const targetCounts = new Int32Array(ids.size);
  const predictionCounts = new Int32Array(ids.size);
  for (const tokens of targetIds) for (const id of tokens) targetCounts[id]!++;
  for (const tokens of predictionIds) for (const id of tokens) predictionCounts[id]!++;

  let hits = 0;
  for (const reference of targetIds) {
    const matcher = new LcsMatcher(reference);
    const inUnion = new Uint8Array(reference.length);
    for (const candidate of predictionIds) {
      for (const index of matcher.indices(candidate)) inUnion[index] = 1;
    }
    for (let index = 0; index < reference.length; index++) {
      const id = reference[index]!;
      if (inUnion[index] && predictionCounts[id]! > 0 && targetCounts[id]! > 0) {
        hits++;
        predictionCounts[id]!--;
        targetCounts[id]!--;
      }
    }
  }
  return score(hits / predictionLength, hits / targetLength);
}

/** Maps tokens to small integers, so LCS and n-gram counting compare numbers, not strings. */
class Vocabulary {
  readonly #ids = new Map<string, number>();

  get size(): number {
    return this.#ids.size;
  }

  encode(tokens: readonly string[]): Int32Array {
    const encoded = new Int32Array(tokens.length);
    tokens.forEach((token, index) => {
      let id = this.#ids.get(token);
      if (id === undefined) {
        id = this.#ids.size;
        this.#ids.set(token, id);
      }
      encoded[index] = id;
    });
    return encoded;
  }
}
