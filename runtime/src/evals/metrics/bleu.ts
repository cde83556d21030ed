import { splitWhitespace, trimEndWhitespace } from './python-text.js';
import { tokenize13a } from './tokenizer-13a.js';

/**
 * How BLEU treats an n-gram order without matches (Chen and Cherry, WMT 2014), named as in sacrebleu.
 *
 * `none` leaves it at 0 (so the score is 0), `floor` uses `smoothValue` matches (default 0.1), `add-k` adds
 * `smoothValue` (default 1) to the matches and totals of orders 2 and up, and `exp` (NIST, mteval-v13a) halves the
 * precision at each further order without matches.
 */
export type BleuSmoothing = 'none' | 'floor' | 'add-k' | 'exp';

/**
 * The tokenizer applied to prediction and references before counting n-grams, named as in sacrebleu.
 *
 * `13a` is sacrebleu's default (see `tokenize13a`); `none` only splits on whitespace, for pre-tokenized text.
 */
export type BleuTokenizer = '13a' | 'none';

/** The settings of `bleu` and `corpusBleu`, with sacrebleu's names and defaults. */
export interface BleuOptions {
  /** Default `exp`, sacrebleu's default for both sentence and corpus BLEU. */
  smoothing?: BleuSmoothing;
  /** The value of `floor` (default 0.1) and `add-k` (default 1); ignored by the other methods. */
  smoothValue?: number;
  /** Default `13a`. */
  tokenize?: BleuTokenizer;
  /** Lowercase prediction and references first. Default false (sacrebleu's BLEU is case-sensitive). */
  lowercase?: boolean;
  /**
   * Average only over the orders up to the last one the prediction has n-grams of, so short texts are not scored 0.
   * Default true for `bleu` (as sacrebleu's `sentence_bleu`) and false for `corpusBleu` (as `corpus_bleu`).
   */
  effectiveOrder?: boolean;
  /** The highest n-gram order. Default 4. */
  maxNgramOrder?: number;
}

/**
 * BLEU's sufficient statistics for one prediction or, summed, for a corpus.
 *
 * Corpus BLEU is computed from the sums, never from the mean of sentence scores, so these are what an experiment
 * keeps per item.
 */
export interface BleuStatistics {
  /** Prediction length in tokens. */
  sysLen: number;
  /** The effective reference length: of the references, the one closest to `sysLen` (the shorter on a tie). */
  refLen: number;
  /** Per order n (index n - 1): prediction n-grams also in a reference, clipped to the most any reference has. */
  correct: number[];
  /** Per order n (index n - 1): all prediction n-grams. */
  total: number[];
}

/** A BLEU score with what it was computed from. */
export interface BleuScore {
  /** 0..1 (sacrebleu prints it times 100). */
  score: number;
  /** The (smoothed) n-gram precisions, 0..1, per order. */
  precisions: number[];
  /** The brevity penalty, 0..1. */
  bp: number;
  sysLen: number;
  refLen: number;
  /** The unsmoothed statistics the score came from. */
  correct: number[];
  total: number[];
}

const DEFAULT_SMOOTH_VALUE: Record<BleuSmoothing, number | undefined> = {
  none: undefined,
  floor: 0.1,
  'add-k': 1,
  exp: undefined,
};

const DEFAULT_MAX_NGRAM_ORDER = 4;

/** sacrebleu's `my_log`: log(0) is a very negative number instead of -Infinity, so the score is 0, not NaN. */
function flooredLog(value: number): number {
  return value === 0 ? -9999999999 : Math.log(value);
}

/**
 * Computes BLEU from its sufficient statistics, a port of sacrebleu's `BLEU.compute_bleu`.
 *
 * Kept exactly as sacrebleu (the early 0 when nothing matches, `add-k` from order 2, the stop at the first order
 * without n-grams, `effectiveOrder`) so scores agree with published ones. Its defaults are `compute_bleu`'s own:
 * no smoothing and no effective order. The inputs are not modified, and the score is capped at 1 (sacrebleu can
 * print 100.00000000000004 for a perfect match).
 */
export function computeBleu(
  statistics: BleuStatistics,
  options: Pick<BleuOptions, 'smoothing' | 'smoothValue' | 'effectiveOrder' | 'maxNgramOrder'> = {},
): BleuScore {
  const smoothing = options.smoothing ?? 'none';
  if (!Object.hasOwn(DEFAULT_SMOOTH_VALUE, smoothing))
    throw new RangeError(`Unknown BLEU smoothing: ${String(smoothing)}`);
  const smoothValue = options.smoothValue ?? DEFAULT_SMOOTH_VALUE[smoothing] ?? 0;
  const maxOrder = checkedMaxOrder(options.maxNgramOrder);
  const { sysLen, refLen } = statistics;
  if (statistics.correct.length !== maxOrder || statistics.total.length !== maxOrder) {
    throw new RangeError(`BLEU statistics need ${maxOrder} counts per list`);
  }
  const correct = [...statistics.correct];
  const total = [...statistics.total];

  let bp = 1;
  if (sysLen < refLen) bp = sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0;

  // Percentages, as sacrebleu computes them, so the floating-point steps are the same; divided by 100 at the end.
  const precisions = new Array<number>(maxOrder).fill(0);
  const result = (score: number): BleuScore => ({
    // A perfect match can come out of exp(mean of logs) an ulp or two above 100; scores stay within 0..1.
    score: Math.min(score / 100, 1),
    precisions: precisions.map((precision) => precision / 100),
    bp,
    sysLen,
    refLen,
    correct: [...statistics.correct],
    total: [...statistics.total],
  });

  // Nothing matched at any order: 0, whatever the smoothing (sacrebleu #141).
  if (!correct.some((count) => count !== 0)) return result(0);

  let smoothMteval = 1;
  let effectiveOrder = maxOrder;
  for (let n = 1; n <= maxOrder; n++) {
    if (smoothing === 'add-k' && n > 1) {
      correct[n - 1]! += smoothValue;
      total[n - 1]! += smoothValue;
    }
    const totalN = total[n - 1]!;
    const correctN = correct[n - 1]!;
    if (totalN === 0) break;
    if (options.effectiveOrder) effectiveOrder = n;
    if (correctN === 0) {
      if (smoothing === 'exp') {
        smoothMteval *= 2;
        precisions[n - 1] = 100 / (smoothMteval * totalN);
      } else if (smoothing === 'floor') {
        precisions[n - 1] = (100 * smoothValue) / totalN;
      }
    } else {
      precisions[n - 1] = (100 * correctN) / totalN;
    }
  }

  let logSum = 0;
  for (let n = 0; n < effectiveOrder; n++) logSum += flooredLog(precisions[n]!);
  return result(bp * Math.exp(logSum / effectiveOrder));
}

/**
 * Computes BLEU's sufficient statistics of one prediction against its references, as sacrebleu's
 * `_compute_segment_statistics`.
 *
 * Each n-gram's match count is clipped to the most any single reference contains; the reference length is the one
 * closest to the prediction's. Throws a RangeError without references: BLEU is undefined then.
 */
export function bleuStatistics(
  prediction: string,
  references: readonly string[],
  options: Pick<BleuOptions, 'tokenize' | 'lowercase' | 'maxNgramOrder'> = {},
): BleuStatistics {
  if (references.length === 0) throw new RangeError('BLEU needs at least one reference');
  const maxOrder = checkedMaxOrder(options.maxNgramOrder);
  const preprocess = preprocessor(options);

  const referenceCounts = Array.from({ length: maxOrder }, () => new Map<string, number>());
  const referenceLengths: number[] = [];
  for (const reference of references) {
    const tokens = splitWhitespace(preprocess(reference));
    referenceLengths.push(tokens.length);
    countNgrams(tokens, maxOrder).forEach((counts, order) => {
      const merged = referenceCounts[order]!;
      for (const [ngram, count] of counts) if (count > (merged.get(ngram) ?? 0)) merged.set(ngram, count);
    });
  }

  const tokens = splitWhitespace(preprocess(prediction));
  const correct = new Array<number>(maxOrder).fill(0);
  const total = new Array<number>(maxOrder).fill(0);
  countNgrams(tokens, maxOrder).forEach((counts, order) => {
    const reference = referenceCounts[order]!;
    for (const [ngram, count] of counts) {
      total[order]! += count;
      correct[order]! += Math.min(count, reference.get(ngram) ?? 0);
    }
  });
  return { sysLen: tokens.length, refLen: closestLength(tokens.length, referenceLengths), correct, total };
}

/**
 * Sentence-level BLEU of one prediction against one or more references, as sacrebleu's `sentence_bleu`.
 *
 * Defaults are sacrebleu's: 13a tokenizer, `exp` smoothing, effective order on. BLEU is meant for corpora; a
 * sentence score is noisy, which is why smoothing and the effective order matter here.
 */
export function bleu(prediction: string, references: readonly string[], options: BleuOptions = {}): BleuScore {
  return computeBleu(bleuStatistics(prediction, references, options), {
    smoothing: options.smoothing ?? 'exp',
    smoothValue: options.smoothValue,
    effectiveOrder: options.effectiveOrder ?? true,
    maxNgramOrder: options.maxNgramOrder,
  });
}

/**
 * Corpus-level BLEU, as sacrebleu's `corpus_bleu`: statistics summed over all predictions, then one score.
 *
 * `references[i]` holds the references of `predictions[i]` (any number, at least one). sacrebleu takes the
 * transpose (one list per reference set, each as long as the corpus); per-prediction lists allow a different
 * number of references per item without placeholders. Defaults: 13a, `exp`, effective order off.
 */
export function corpusBleu(
  predictions: readonly string[],
  references: readonly (readonly string[])[],
  options: BleuOptions = {},
): BleuScore {
  if (predictions.length === 0) throw new RangeError('Corpus BLEU needs at least one prediction');
  if (references.length !== predictions.length) {
    throw new RangeError(`Corpus BLEU got ${predictions.length} predictions but ${references.length} reference lists`);
  }
  const maxOrder = checkedMaxOrder(options.maxNgramOrder);
  const sum: BleuStatistics = {
    sysLen: 0,
    refLen: 0,
    correct: new Array<number>(maxOrder).fill(0),
    total: new Array<number>(maxOrder).fill(0),
  };
  predictions.forEach((prediction, index) => {
    const statistics = bleuStatistics(prediction, references[index]!, options);
    sum.sysLen += statistics.sysLen;
    sum.refLen += statistics.refLen;
    for (let n = 0; n < maxOrder; n++) {
      sum.correct[n]! += statistics.correct[n]!;
      sum.total[n]! += statistics.total[n]!;
    }
  });
  return computeBleu(sum, {
    smoothing: options.smoothing ?? 'exp',
    smoothValue: options.smoothValue,
    effectiveOrder: options.effectiveOrder ?? false,
    maxNgramOrder: maxOrder,
  });
}

function checkedMaxOrder(maxNgramOrder = DEFAULT_MAX_NGRAM_ORDER): number {
  if (!Number.isInteger(maxNgramOrder) || maxNgramOrder < 1) {
    throw new RangeError(`BLEU's maxNgramOrder must be a positive integer, got ${maxNgramOrder}`);
  }
  return maxNgramOrder;
}

/** sacrebleu's `_preprocess_segment`: optional lowercasing, trailing whitespace removed, then the tokenizer. */
function preprocessor(options: Pick<BleuOptions, 'tokenize' | 'lowercase'>): (segment: string) => string {
  const tokenize = options.tokenize ?? '13a';
  if (tokenize !== '13a' && tokenize !== 'none') throw new RangeError(`Unknown BLEU tokenizer: ${String(tokenize)}`);
  return (segment) => {
    const text = trimEndWhitespace(options.lowercase ? segment.toLowerCase() : segment);
    return tokenize === '13a' ? tokenize13a(text) : text;
  };
}

/**
 * Counts the n-grams of each order 1..maxOrder (index n - 1), keyed by their tokens joined with a space: the
 * tokens come from a split on whitespace and never contain one, so the key is unambiguous.
 */
function countNgrams(tokens: readonly string[], maxOrder: number): Map<string, number>[] {
  const byOrder: Map<string, number>[] = [];
  for (let n = 1; n <= maxOrder; n++) {
    const counts = new Map<string, number>();
    for (let start = 0; start + n <= tokens.length; start++) {
      const ngram = n === 1 ? tokens[start]! : tokens.slice(start, start + n).join(' ');
      counts.set(ngram, (counts.get(ngram) ?? 0) + 1);
    }
    byOrder.push(counts);
  }
  return byOrder;
}

/** sacrebleu's `_get_closest_ref_len`: the reference length nearest the prediction's, the shorter on a tie. */
function closestLength(predictionLength: number, referenceLengths: readonly number[]): number {
  let closestDiff = -1;
  let closest = -1;
  for (const length of referenceLengths) {
    const diff = Math.abs(predictionLength - length);
    if (closestDiff === -1 || diff < closestDiff) {
      closestDiff = diff;
      closest = length;
    } else if (diff === closestDiff && length < closest) {
      closest = length;
    }
  }
  return closest;
}
