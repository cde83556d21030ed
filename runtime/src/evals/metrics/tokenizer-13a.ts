import { splitWhitespace } from './python-text.js';

// sacrebleu's TokenizerRegexp rules, in order (tokenizer_re.py). The first class is the ASCII ranges {-~, [-`,
// space-&, (-+, :-@ and '/': every ASCII symbol except the apostrophe, comma, hyphen and period, which the
// digit-aware rules below handle.
const SYMBOL = /([{-~[-` -&(-+:-@/])/gu;
const PERIOD_COMMA_AFTER_NON_DIGIT = /([^0-9])([.,])/gu;
const PERIOD_COMMA_BEFORE_NON_DIGIT = /([.,])([^0-9])/gu;
const DASH_AFTER_DIGIT = /([0-9])(-)/gu;

/**
 * Tokenizes one segment the way sacrebleu's default `13a` tokenizer does (mteval-v13a.pl, as used by WMT) and
 * returns the tokens joined by single spaces.
 *
 * A line-for-line port of sacrebleu's `tokenizer_13a.py` and `tokenizer_re.py`, so BLEU scores here match
 * sacrebleu's: `<skipped>` is dropped, a hyphen at a line end joins the lines, other newlines become spaces, four
 * HTML entities are decoded, ASCII symbols are split off, and periods and commas are split off unless they sit
 * between digits.
 */
export function tokenize13a(line: string): string {
  let text = line.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ');
  if (text.includes('&')) {
    text = text.replaceAll('&quot;', '"').replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>');
  }
  text = ` ${text} `
    .replace(SYMBOL, ' $1 ')
    .replace(PERIOD_COMMA_AFTER_NON_DIGIT, '$1 $2 ')
    .replace(PERIOD_COMMA_BEFORE_NON_DIGIT, ' $1 $2')
    .replace(DASH_AFTER_DIGIT, '$1 $2 ');
  return splitWhitespace(text).join(' ');
}
