import { describe, expect, it } from 'vitest';
import { type BleuOptions, bleu, bleuStatistics, computeBleu, corpusBleu } from './bleu.js';

// sacrebleu's raw_corpus_bleu(): no tokenization, floor smoothing, effective order (sacrebleu/compat.py).
const raw = (smoothValue?: number): BleuOptions => ({
  tokenize: 'none',
  smoothing: 'floor',
  smoothValue,
  effectiveOrder: true,
});

describe('small hand-checked vectors', () => {
  it('scores n-gram statistics', () => {
    const score = computeBleu({ correct: [9, 7, 5, 3], total: [10, 8, 6, 4], sysLen: 11, refLen: 11 });
    expect(score.score).toBeCloseTo(0.8375922397, 10);
  });

  it('scores a sentence with floor smoothing 0.01', () => {
    const score = bleu('this is a fest', ['this is a test'], { smoothing: 'floor', smoothValue: 0.01 });
    expect(score.score).toBeCloseTo(0.223606797749979, 10);
  });

  it('applies only the brevity penalty to a short exact prediction', () => {
    const score = bleu('test', ['a test']);
    expect(score.score).toBeCloseTo(0.3678794411714425, 10);
    expect(score.bp).toBeCloseTo(Math.exp(-1), 15);
    expect(score).toMatchObject({ sysLen: 1, refLen: 2, correct: [1, 0, 0, 0], total: [1, 0, 0, 0] });
  });
});

// Ported from mjpost/sacrebleu test/test_bleu.py (@f615c72); sacrebleu checks these to EPSILON = 1e-8. sacrebleu's
// references are a list of reference streams; here each prediction has its own list (the transpose).
describe('sacrebleu test_bleu.py', () => {
  const refs = [
    ['The dog bit the man.', 'It was not unexpected.', 'The man bit him first.'],
    ['The dog had bit the man.', 'No one was surprised.', 'The man had bitten the dog.'],
  ];
  const hyps = ['The dog bit the man.', "It wasn't surprising.", 'The man had just bitten him.'];
  const perHyp = hyps.map((_, index) => refs.map((stream) => stream[index]!));

  it.each([
    [{}, 48.530827],
    [{ tokenize: 'none' }, 49.1919566],
    [{ tokenize: '13a' }, 48.530827],
    [{ smoothing: 'none' }, 48.530827],
  ] as [BleuOptions, number][])('test_corpus_bleu %j', (options, expected) => {
    expect(corpusBleu(hyps, perHyp, options).score * 100).toBeCloseTo(expected, 6);
  });

  it('test_corpus_bleu: empty hypotheses are scored, not removed', () => {
    expect(corpusBleu(['', '', ''], perHyp).score).toBe(0);
  });

  it.each([
    [['this is a test', 'another test'], [['ref1'], ['ref2']], 0],
    [['this is a test'], [['this is a test']], 1],
    [['this is a fest'], [['this is a test']], 0.223606797749979],
  ])('test_raw_bleu %j', (predictions, references, expected) => {
    expect(corpusBleu(predictions, references, raw(0.01)).score).toBeCloseTo(expected, 8);
  });

  it.each([
    ['test', 'a test', 0.3678794411714425],
    ['a test', 'a test', 1],
    ['a little test', 'a test', 0.03218297948685433],
  ])('test_effective_order %j vs %j', (prediction, reference, expected) => {
    expect(corpusBleu([prediction], [[reference]], raw(0.01)).score).toBeCloseTo(expected, 8);
  });

  it('test_statistics', () => {
    const statistics = bleuStatistics('am I am a character sequence', ['I am a symbol string sequence a a'], {
      tokenize: 'none',
    });
    expect(statistics).toEqual({ sysLen: 6, refLen: 8, correct: [4, 2, 1, 0], total: [6, 5, 4, 3] });
  });

  it('test_scoring', () => {
    const score = computeBleu({ correct: [9, 7, 5, 3], total: [10, 8, 6, 4], sysLen: 11, refLen: 11 });
    expect(score.score).toBeCloseTo(0.8375922397, 8);
  });

  it('test_offset: floor 0 scores 0, the default floor is 0.1', () => {
    const predictions = ['am I am a character sequence'];
    const references = [['I am a symbol string sequence a a']];
    expect(corpusBleu(predictions, references, raw(0)).score).toBe(0);
    expect(corpusBleu(predictions, references, raw()).score).toBeCloseTo(0.1555722182, 8);
  });

  it.each([
    [[0, 0, 0, 0], [4, 4, 2, 1], 0, 1, 0],
    [[0, 0, 0, 0], [10, 11, 12, 0], 14, 10, 0],
    [[0, 0, 0, 0], [0, 0, 0, 0], 0, 0, 0],
    [[6, 5, 4, 0], [6, 5, 4, 3], 6, 6, 0],
    [[0, 0, 0, 0], [0, 0, 0, 0], 0, 0, 0.1],
    [[0, 0, 0, 0], [0, 0, 0, 0], 1, 5, 0.01],
  ])('test_degenerate_statistics %j / %j', (correct, total, sysLen, refLen, smoothValue) => {
    expect(computeBleu({ correct, total, sysLen, refLen }, { smoothing: 'floor', smoothValue }).score).toBe(0);
  });

  it.each([
    [1, '77.65'],
    [2, '60.50'],
    [3, '53.93'],
    [4, '48.53'],
    [5, '46.14'],
    [6, '43.28'],
  ])('test_max_ngram_order %i', (maxNgramOrder, expected) => {
    expect((corpusBleu(hyps, perHyp, { maxNgramOrder }).score * 100).toFixed(2)).toBe(expected);
  });
});

// Ported from mjpost/sacrebleu test/test_sentence_bleu.py (@f615c72, the example of sacrebleu issue #98). sacrebleu
// checks 100 × BLEU to 1e-3; `reference` is the full-precision value of running sacrebleu @f615c72 itself.
describe('sacrebleu test_sentence_bleu.py', () => {
  const ref = 'producţia de zahăr brut se exprimă în zahăr alb;';
  const sys = 'Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;';

  it.each([
    [{ smoothing: 'exp' }, 8.493, 8.493098745313148],
    [{ smoothing: 'none' }, 0, 0],
    [{ smoothing: 'floor' }, 4.51688, 4.516881220954753],
    [{ smoothing: 'floor', smoothValue: 0.1 }, 4.51688, 4.516881220954753],
    [{ smoothing: 'floor', smoothValue: 0.5 }, 10.1, 10.100053456347073],
    [{ smoothing: 'add-k' }, 14.882, 14.882560178972215],
    [{ smoothing: 'add-k', smoothValue: 1 }, 14.882, 14.882560178972215],
    [{ smoothing: 'add-k', smoothValue: 2 }, 21.389, 21.389460275371086],
    [{ smoothing: 'exp', tokenize: 'none' }, 7.347, 7.347053125977879],
  ] as [BleuOptions, number, number][])('%j', (options, published, reference) => {
    const score = bleu(sys, [ref], options).score * 100;
    expect(Math.abs(score - published)).toBeLessThan(1e-3);
    expect(score).toBeCloseTo(reference, 10);
  });

  it.each(['exp', 'none', 'floor', 'add-k'] as const)(
    'scores 0 with %s smoothing when nothing matches (sacrebleu #141)',
    (smoothing) => {
      expect(bleu('this is a cat', ['okay thanks'], { smoothing }).score).toBe(0);
    },
  );
});

// Expected values from running sacrebleu @f615c72 (compat.sentence_bleu / corpus_bleu) on the same input.
describe('edge cases, against sacrebleu', () => {
  it('scores an empty prediction 0 with a brevity penalty of 0', () => {
    expect(bleu('', ['a test'])).toMatchObject({ score: 0, bp: 0, sysLen: 0, refLen: 2, precisions: [0, 0, 0, 0] });
  });

  it('scores against an empty reference 0', () => {
    expect(bleu('a test', [''])).toMatchObject({ score: 0, bp: 1, sysLen: 2, refLen: 0, total: [2, 1, 0, 0] });
    expect(bleu('', [''])).toMatchObject({ score: 0, bp: 1, sysLen: 0, refLen: 0 });
  });

  it('refuses an unknown smoothing or tokenizer, as sacrebleu asserts', () => {
    expect(() => bleu('a', ['a'], { smoothing: 'toString' as BleuOptions['smoothing'] })).toThrow(RangeError);
    expect(() => bleu('a', ['a'], { tokenize: 'intl' as BleuOptions['tokenize'] })).toThrow(RangeError);
  });

  it('refuses a prediction without references, or lists that do not pair up', () => {
    expect(() => bleu('a test', [])).toThrow(RangeError);
    expect(() => corpusBleu([], [])).toThrow(RangeError);
    expect(() => corpusBleu(['a', 'b'], [['a']])).toThrow(RangeError);
  });

  it.each([
    ['日本語 テスト です。', ['日本語 の テスト です。'], 0.45138644055033905],
    ['Le café est très bon.', ['Le café était très bon.'], 0.3799178428257963],
    ['I love it 😀!', ['I love it so much 😀!'], 0.3351600230178196],
    // U+0085 separates tokens in Python, U+FEFF does not
    ['a\x85b c\ufeffd', ['a b c d'], 0.39432237651162877],
  ])('scores unicode text %j as sacrebleu does', (prediction, references, expected) => {
    expect(bleu(prediction, references).score).toBeCloseTo(expected, 12);
  });

  it('clips counts to the most any one reference has and picks the closest reference length', () => {
    const multi = bleu('the cat sat on the mat', ['a cat sat on the mat', 'the cat is on the mat']);
    expect(multi).toMatchObject({ correct: [6, 5, 3, 2], total: [6, 5, 4, 3] });
    expect(multi.score).toBeCloseTo(0.8408964152537145, 12);
    const clipped = bleu('the the the the the the the', ['the cat is on the mat', 'there is a cat on the mat']);
    expect(clipped).toMatchObject({ correct: [2, 0, 0, 0], total: [7, 6, 5, 4] });
    expect(clipped.score).toBeCloseTo(0.07809849842300637, 12);
    // lengths 2 and 4 are equally close to 3: the shorter wins
    expect(bleu('one two three', ['one two', 'one two three four'])).toMatchObject({ refLen: 2, score: 1 });
  });

  it('scores 0 without effective order when an order has no n-grams', () => {
    expect(bleu('test', ['a test'], { effectiveOrder: false }).score).toBe(0);
  });

  it('lowercases on request', () => {
    expect(bleu('THE Cat sat', ['the cat sat'], { lowercase: true }).score).toBe(1);
    expect(bleu('THE Cat sat', ['the cat sat']).score).toBeCloseTo(0.27516060407455223, 12);
  });

  it('sums statistics over a corpus with a different number of references per prediction', () => {
    const predictions = ['the cat sat on the mat', 'a dog ran'];
    const score = corpusBleu(predictions, [['the cat sat on a mat', 'a cat sat on the mat'], ['a dog ran away']]);
    expect(score).toMatchObject({ sysLen: 9, refLen: 10, correct: [8, 7, 5, 3], total: [9, 7, 5, 3] });
    expect(score.score).toBeCloseTo(0.8688742506271586, 12);
  });

  it('adds k from order 2 and reports the unsmoothed counts', () => {
    const score = corpusBleu(['the cat sat on the mat', 'a dog ran'], [['the cat sat on a mat'], ['a dog ran away']], {
      smoothing: 'add-k',
    });
    expect(score.score).toBeCloseTo(0.6143868746168437, 12);
    expect(score.correct).toEqual([8, 5, 3, 1]);
    [8 / 9, 6 / 8, 4 / 6, 2 / 4].forEach((precision, index) => {
      expect(score.precisions[index]).toBeCloseTo(precision, 15);
    });
  });
});
