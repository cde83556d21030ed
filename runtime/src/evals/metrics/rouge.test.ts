import { describe, expect, it } from 'vitest';
import { type RougeScore, type RougeVariant, rouge, tokenizeRouge } from './rouge.js';

function expectScore(actual: RougeScore, expected: RougeScore, digits = 10): void {
  expect(actual.precision).toBeCloseTo(expected.precision, digits);
  expect(actual.recall).toBeCloseTo(expected.recall, digits);
  expect(actual.fmeasure).toBeCloseTo(expected.fmeasure, digits);
}

describe('small hand-checked vectors, one per variant', () => {
  it('rouge1', () => {
    expectScore(rouge('testing one two', 'testing', 'rouge1'), { precision: 1, recall: 1 / 3, fmeasure: 0.5 });
  });

  it('rouge2', () => {
    expect(rouge('testing one two', 'testing one', 'rouge2').fmeasure).toBeCloseTo(2 / 3, 10);
  });

  it('rougeL', () => {
    expect(rouge('testing one two', 'testing two', 'rougeL').fmeasure).toBeCloseTo(0.8, 10);
  });

  it('rougeLsum', () => {
    const score = rouge('w1 w2 w3 w4 w5', 'w1 w2 w6 w7 w8\nw1 w3 w8 w9 w5', 'rougeLsum');
    expectScore(score, { precision: 0.4, recall: 0.8, fmeasure: (2 * 0.4 * 0.8) / 1.2 });
  });
});

// Ported from google-research/google-research rouge/rouge_scorer_test.py (rouge-score's test suite); it compares
// with assertAlmostEqual (7 places) and, against ROUGE-1.5.5, with 5 places.
describe('rouge-score rouge_scorer_test.py', () => {
  it.each(['rougen', 'rouge0', 'rouge10'])('testInvalidRougeTypes %s', (variant) => {
    expect(() => rouge('testing one two', 'testing', variant as RougeVariant)).toThrow(RangeError);
  });

  it.each(['rouge1', 'rouge9', 'rougeL', 'rougeLsum'] as const)('testValidRougeTypes %s', (variant) => {
    expect(Object.keys(rouge('testing one two', 'testing', variant))).toEqual(['precision', 'recall', 'fmeasure']);
  });

  it.each(['rouge1', 'rouge2', 'rougeL', 'rougeLsum'] as const)('testRougeEmpty %s', (variant) => {
    expect(rouge('testing one two', '', variant)).toEqual({ precision: 0, recall: 0, fmeasure: 0 });
  });

  it('testRouge2', () => {
    expectScore(rouge('testing one two', 'testing one', 'rouge2'), { precision: 1, recall: 1 / 2, fmeasure: 2 / 3 });
  });

  it('testRougeLConsecutive and testMultipleRougeTypes', () => {
    const expected = { precision: 1, recall: 2 / 3, fmeasure: 4 / 5 };
    expectScore(rouge('testing one two', 'testing one', 'rougeL'), expected);
    expectScore(rouge('testing one two', 'testing one', 'rouge1'), expected);
  });

  it('testRougeLNonConsecutive', () => {
    expectScore(rouge('testing one two', 'testing two', 'rougeL'), { precision: 1, recall: 2 / 3, fmeasure: 4 / 5 });
  });

  // The first two lines of rouge/testdata/target.txt and prediction.txt; expected values are ROUGE-1.5.5's.
  const targets = [
    "ZfbCUIUuePaiLVUlCaUXxkpu XPeWing tUHfPMuZ',-Xd Y BrUgVJing M-HV.-DgdDaY.rFDJCRing Ht-LM EKBDXkME,yz'RBr q'wtion wIojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxer tKM L\n",
    "KsJdPByEtAor fE-Qg Dpdbring cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMtion psing sbKao Q m qiing LMmer HqqLFXe,XPY,J XsurkMer ,ed nB'wH'bWVHjWFEing tQ.saefZwJtKrTlixYpMMsJing UCAPwNHeYVjDing c T BUySKtion gMPfJpwGw p'NvxAoping eu pBwMBKV'I DNxqelhu,PHPxDEq,mtion SN\n",
  ];
  const predictions = [
    "rFDJCRtion Ht-LM EKtDXkME,yz'RBr q'wer wrojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxi\n",
    "n cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMer pstion sbKao Q m qier LMmed HqqLFXe,XPY,J XsurkMeo ,ed nB'wH'bWVHjWFEer tQ.saefZwJtKrTlixYpMMNJtion UCAPwNHeYVjD\n",
  ];

  it.each([
    ['rouge1', 0, { recall: 0.40741, precision: 0.6875, fmeasure: 0.51163 }],
    ['rouge1', 1, { recall: 0.40476, precision: 0.65385, fmeasure: 0.5 }],
    ['rouge2', 0, { recall: 0.30769, precision: 0.53333, fmeasure: 0.39024 }],
    ['rouge2', 1, { recall: 0.29268, precision: 0.48, fmeasure: 0.36364 }],
    ['rougeL', 0, { recall: 0.40741, precision: 0.6875, fmeasure: 0.51163 }],
    ['rougeL', 1, { recall: 0.40476, precision: 0.65385, fmeasure: 0.5 }],
  ] as [RougeVariant, number, RougeScore][])('test%sAgainstRouge155, line %i', (variant, line, expected) => {
    expectScore(rouge(targets[line]!, predictions[line]!, variant), expected, 5);
  });

  it('testUnionLcs and testSummaryLevelLcs, through rougeLsum', () => {
    // union of LCS([1 2 3 4 5], [1 2 6 7 8]) = [1 2] and LCS(…, [1 3 8 9 5]) = [1 3 5] is [1 2 3 5]: 4 hits
    const score = rouge('1 2 3 4 5', '1 2 6 7 8\n1 3 8 9 5', 'rougeLsum');
    expect(score.recall).toBe(0.8);
    expect(score.precision).toBe(0.4);
    // the tokenizer may leave a prediction sentence without tokens
    expect(rouge('reference', ' ', 'rougeLsum').recall).toBe(0);
  });

  it.each([
    ['w1 w2 w3 w4 w5', ''],
    ['', 'w1'],
    // a summary of non-word characters only
    ['w1 w2 w3 w4 w5', '/'],
  ])('testRougeLsum: %j vs %j scores 0', (target, prediction) => {
    expect(rouge(target, prediction, 'rougeLsum')).toEqual({ precision: 0, recall: 0, fmeasure: 0 });
  });
});

// Expected values from running rouge-score's rouge_scorer.py / tokenize.py (google-research/google-research rouge/)
// on the same input.
describe('edge cases, against rouge-score', () => {
  it('tokenizes as rouge-score: lowercase first, then ASCII letters and digits only', () => {
    expect(tokenizeRouge("It's 2 o'clock -- the CAT sat!")).toEqual([
      'it',
      's',
      '2',
      'o',
      'clock',
      'the',
      'cat',
      'sat',
    ]);
    // İ lowercases to i + U+0307 and the Kelvin sign to k, in Python as in JavaScript
    expect(tokenizeRouge('İstanbul café naïve')).toEqual(['i', 'stanbul', 'caf', 'na', 've']);
    expect(tokenizeRouge('\u212aelvin')).toEqual(['kelvin']);
    expect(tokenizeRouge('日本語のテキスト')).toEqual([]);
  });

  it.each(['rouge1', 'rouge2', 'rougeL', 'rougeLsum'] as const)(
    '%s: non-ASCII words lose their non-ASCII letters, text without ASCII scores 0',
    (variant) => {
      expect(rouge('İstanbul café naïve', 'istanbul cafe naive', variant).fmeasure).toBe(0);
      expect(rouge('Straße über Ärger', 'strasse uber arger', variant).fmeasure).toBe(0);
      expect(rouge('\u212aelvin scale', 'kelvin scale', variant).fmeasure).toBe(1);
      expect(rouge('日本語のテキスト', '日本語のテキスト', variant).fmeasure).toBe(0);
    },
  );

  it('scores an empty target 0', () => {
    for (const variant of ['rouge1', 'rouge2', 'rougeL', 'rougeLsum'] as const) {
      expect(rouge('', 'testing one two', variant)).toEqual({ precision: 0, recall: 0, fmeasure: 0 });
    }
  });

  it('splits rougeLsum sentences on newlines only, so the same words score lower when lines differ', () => {
    expect(rouge('The cat sat.\nOn the mat!', 'the cat\nsat on the mat', 'rougeL').fmeasure).toBe(1);
    expect(rouge('The cat sat.\nOn the mat!', 'the cat\nsat on the mat', 'rougeLsum').fmeasure).toBeCloseTo(5 / 6, 15);
    expect(rouge('a b c\n\n\nd e', 'a\n\nb c d e\n', 'rougeLsum').fmeasure).toBe(1);
  });

  it('keeps precision over the prediction and recall over the target for ROUGE-L', () => {
    const score = rouge('the quick brown fox jumps over the lazy dog', 'the fox jumps', 'rougeL');
    expect(score.precision).toBe(1);
    expect(score.recall).toBeCloseTo(3 / 9, 15);
  });

  it('takes a custom tokenizer, applied per sentence for rougeLsum', () => {
    const tokenizer = (text: string) => text.split(/\s+/u).filter(Boolean);
    expect(rouge('日本語 の テキスト', '日本語 テキスト', 'rouge1', { tokenizer }).recall).toBeCloseTo(2 / 3, 15);
    expect(rouge('Ünïcode stays\nwhole', 'Ünïcode whole', 'rougeLsum', { tokenizer }).precision).toBe(1);
  });
});
