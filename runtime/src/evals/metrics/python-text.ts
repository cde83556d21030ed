// The characters for which Python's str.isspace() is true (Unicode 14). JavaScript's \s differs: it lacks
// U+001C..U+001F and U+0085 and adds U+FEFF, which would move token boundaries against the reference implementations.
// biome-ignore lint/suspicious/noControlCharactersInRegex: U+001C..U+001F are whitespace to Python, on purpose.
const WHITESPACE_RUN = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;

/** True when the UTF-16 code unit is Python whitespace (all of it lies in the BMP). */
function isWhitespaceUnit(unit: number): boolean {
  return (
    (unit >= 0x09 && unit <= 0x0d) ||
    (unit >= 0x1c && unit <= 0x20) ||
    unit === 0x85 ||
    unit === 0xa0 ||
    unit === 0x1680 ||
    (unit >= 0x2000 && unit <= 0x200a) ||
    unit === 0x2028 ||
    unit === 0x2029 ||
    unit === 0x202f ||
    unit === 0x205f ||
    unit === 0x3000
  );
}

/**
 * Splits text on runs of whitespace and drops empty pieces, like Python's `str.split()` without arguments.
 *
 * sacrebleu counts tokens this way, so the whitespace set is Python's, not JavaScript's `\s`.
 */
export function splitWhitespace(text: string): string[] {
  return text.split(WHITESPACE_RUN).filter((piece) => piece.length > 0);
}

/**
 * Removes trailing whitespace, like Python's `str.rstrip()` without arguments.
 *
 * sacrebleu strips each segment this way before tokenizing it. A scan from the end, not a `\s+$` regex, which
 * backtracks quadratically on long inner runs of whitespace.
 */
export function trimEndWhitespace(text: string): string {
  let end = text.length;
  while (end > 0 && isWhitespaceUnit(text.charCodeAt(end - 1))) end--;
  return end === text.length ? text : text.slice(0, end);
}
