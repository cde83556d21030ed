import { describe, expect, it } from 'vitest';
import { CsvSyntaxError, parseCsv, writeCsv } from './csv.js';

describe('parseCsv', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, CRLF or LF, skipping blank lines', () => {
    const text = '\ufeffid,question,answer\r\n1,"Hello, world","say ""hi"""\n\n2,"two\nlines",\r\n3,,""\n';
    expect(parseCsv(text)).toEqual([
      { line: 1, cells: ['id', 'question', 'answer'] },
      { line: 2, cells: ['1', 'Hello, world', 'say "hi"'] },
      { line: 4, cells: ['2', 'two\nlines', ''] },
      { line: 6, cells: ['3', '', ''] },
    ]);
  });

  it('reads a last line without a line end', () => {
    expect(parseCsv('a,b\n1,2')).toEqual([
      { line: 1, cells: ['a', 'b'] },
      { line: 2, cells: ['1', '2'] },
    ]);
  });

  it('names the line of an unterminated quote and of text after a closing quote', () => {
    const unterminated = (() => {
      try {
        parseCsv('a\n"ok"\n"never closed\nmore');
      } catch (err) {
        return err;
      }
    })();
    expect(unterminated).toBeInstanceOf(CsvSyntaxError);
    expect((unterminated as CsvSyntaxError).line).toBe(3);
    expect(() => parseCsv('a\n"x"y')).toThrow(/after a closing quote/);
    expect(() => parseCsv('a\nx"y')).toThrow(/inside an unquoted field/);
  });

  it('reads back what writeCsv writes', () => {
    const rows = [
      ['1', 'plain', ' padded ', 'with, comma'],
      ['2', 'quote "q"', 'line\nbreak', ''],
    ];
    const text = writeCsv(['id', 'a', 'b', 'c'], rows);
    expect(parseCsv(text).map((r) => r.cells)).toEqual([['id', 'a', 'b', 'c'], ...rows]);
  });
});
