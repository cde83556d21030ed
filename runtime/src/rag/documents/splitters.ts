/** Options of both splitters. `chunkSize` and `chunkOverlap` count characters. */
export interface SplitterOptions {
  chunkSize: number;
  chunkOverlap: number;
}

/** A chunk of text and, for the markdown splitter, the headings it sits under. */
export interface TextChunk {
  text: string;
  headings?: string[];
}

const SEPARATORS = ['\n\n', '\n', '. ', '? ', '! ', '; ', ', ', ' ', ''];

/** Splits on `separator`, keeping it at the end of each part so that joining the parts gives the text back. */
function splitKeeping(text: string, separator: string): string[] {
  if (separator === '') return [...text];
  const parts: string[] = [];
  let start = 0;
  for (let at = text.indexOf(separator); at !== -1; at = text.indexOf(separator, start)) {
    parts.push(text.slice(start, at + separator.length));
    start = at + separator.length;
  }
  if (start < text.length) parts.push(text.slice(start));
  return parts;
}

/** Joins small parts into chunks of at most `chunkSize`, repeating up to `chunkOverlap` characters of tail. */
function merge(parts: string[], options: SplitterOptions, out: string[]): void {
  const current: string[] = [];
  let total = 0;
  for (const part of parts) {
    if (total + part.length > options.chunkSize && current.length > 0) {
      const chunk = current.join('').trim();
      if (chunk) out.push(chunk);
      // Keep a tail of whole parts as overlap, and make room for the next part.
      while (current.length > 0 && (total > options.chunkOverlap || total + part.length > options.chunkSize)) {
        total -= current.shift()!.length;
      }
    }
    current.push(part);
    total += part.length;
  }
  const chunk = current.join('').trim();
  if (chunk) out.push(chunk);
}

function recursive(text: string, separators: readonly string[], options: SplitterOptions, out: string[]): void {
  const index = separators.findIndex((separator) => separator === '' || text.includes(separator));
  const separator = separators[index] ?? '';
  const rest = separators.slice(index + 1);
  let small: string[] = [];
  for (const part of splitKeeping(text, separator)) {
    if (part.length <= options.chunkSize) {
      small.push(part);
      continue;
    }
    if (small.length > 0) merge(small, options, out);
    small = [];
    recursive(part, rest, options, out);
  }
  if (small.length > 0) merge(small, options, out);
}

/**
 * Recursive character splitter: cuts at paragraph breaks first, then lines, sentences, words and finally
 * characters, so each chunk holds at most `chunkSize` characters and neighbours share about `chunkOverlap`.
 */
export function splitRecursive(text: string, options: SplitterOptions): string[] {
  const out: string[] = [];
  recursive(text.replace(/\r\n?/g, '\n'), SEPARATORS, options, out);
  return out;
}

const HEADING = /^(#{1,6})[ \t]+(.+?)[ \t#]*$/;
const FENCE = /^\s*(```|~~~)/;

/**
 * Markdown-aware splitter: one section per heading (code fences respected), each section split recursively
 * when it is longer than `chunkSize`. Every chunk carries the path of headings above it.
 */
export function splitMarkdown(text: string, options: SplitterOptions): TextChunk[] {
  const chunks: TextChunk[] = [];
  const path: string[] = [];
  let section: string[] = [];
  let sectionPath: string[] = [];
  let inFence = false;

  const flush = () => {
    const body = section.join('\n').trim();
    section = [];
    // A heading directly followed by a subheading has no text of its own: its title lives on in the path.
    if (!body || HEADING.test(body)) return;
    for (const piece of splitRecursive(body, options)) chunks.push({ text: piece, headings: [...sectionPath] });
  };

  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    if (FENCE.test(line)) inFence = !inFence;
    const heading = inFence ? null : HEADING.exec(line);
    if (heading) {
      flush();
      const level = heading[1]!.length;
      path.length = Math.min(path.length, level - 1);
      while (path.length < level - 1) path.push('');
      path.push(heading[2]!.trim());
      sectionPath = path.filter(Boolean);
    }
    section.push(line);
  }
  flush();
  return chunks;
}
