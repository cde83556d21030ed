import { describe, expect, it } from 'vitest';
import { splitMarkdown, splitRecursive } from './splitters.js';

const paragraph = (n: number) =>
  Array.from({ length: 6 }, (_, i) => `Sentence ${i + 1} of paragraph ${n} talks about chunking text.`).join(' ');

describe('splitRecursive', () => {
  it('keeps short text in one chunk', () => {
    expect(splitRecursive('  Just one line.  ', { chunkSize: 100, chunkOverlap: 10 })).toEqual(['Just one line.']);
  });

  it('cuts at paragraphs first and never exceeds chunkSize', () => {
    const text = [paragraph(1), paragraph(2), paragraph(3)].join('\n\n');
    const chunks = splitRecursive(text, { chunkSize: 400, chunkOverlap: 0 });
    expect(chunks).toEqual([paragraph(1), paragraph(2), paragraph(3)]);
    const small = splitRecursive(text, { chunkSize: 120, chunkOverlap: 30 });
    expect(small.length).toBeGreaterThan(6);
    for (const chunk of small) expect(chunk.length).toBeLessThanOrEqual(120);
  });

  it('repeats the tail of a chunk at the start of the next (overlap)', () => {
    const words = Array.from({ length: 200 }, (_, i) => `w${i}`).join(' ');
    const chunks = splitRecursive(words, { chunkSize: 100, chunkOverlap: 30 });
    for (let i = 1; i < chunks.length; i++) {
      const firstWord = chunks[i]!.split(' ')[0]!;
      expect(chunks[i - 1]).toContain(firstWord);
    }
    const without = splitRecursive(words, { chunkSize: 100, chunkOverlap: 0 });
    expect(without.join(' ')).toBe(words);
  });

  it('cuts a text without spaces by characters', () => {
    const chunks = splitRecursive('x'.repeat(1050), { chunkSize: 500, chunkOverlap: 0 });
    expect(chunks.map((c) => c.length)).toEqual([500, 500, 50]);
  });
});

describe('splitMarkdown', () => {
  const md = [
    '# Guide',
    'Intro text.',
    '## Install',
    'Run npm install.',
    '```sh',
    '# not a heading',
    'npm ci',
    '```',
    '### Linux',
    'Use apt.',
    '## Usage',
    'Call run().',
  ].join('\n');

  it('gives one chunk per section with its heading path; code fences are not headings', () => {
    const chunks = splitMarkdown(md, { chunkSize: 1000, chunkOverlap: 0 });
    expect(chunks.map((c) => c.headings)).toEqual([
      ['Guide'],
      ['Guide', 'Install'],
      ['Guide', 'Install', 'Linux'],
      ['Guide', 'Usage'],
    ]);
    expect(chunks[1]!.text).toContain('# not a heading');
    expect(chunks[3]!.text).toBe('## Usage\nCall run().');
  });

  it('splits long sections recursively, each piece keeping the path', () => {
    const long = `# Big\n\n${[paragraph(1), paragraph(2), paragraph(3)].join('\n\n')}`;
    const chunks = splitMarkdown(long, { chunkSize: 200, chunkOverlap: 20 });
    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks) {
      expect(chunk.headings).toEqual(['Big']);
      expect(chunk.text.length).toBeLessThanOrEqual(200);
    }
  });

  it('treats text without headings as one untitled section', () => {
    expect(splitMarkdown('plain text', { chunkSize: 100, chunkOverlap: 0 })).toEqual([
      { text: 'plain text', headings: [] },
    ]);
  });
});
