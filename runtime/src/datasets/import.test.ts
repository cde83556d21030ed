import { describe, expect, it } from 'vitest';
import { itemsFromCsv, itemsFromJsonl } from './import.js';

describe('itemsFromJsonl', () => {
  it('reads one item per line, skipping blank lines', () => {
    const text =
      '{"id":"a","input":{"q":"1"},"expected":"one","split":"test"}\n\n{"input":{"q":"2"},"metadata":{"k":1}}\n';
    expect(itemsFromJsonl(text)).toEqual({
      items: [
        { line: 1, draft: { id: 'a', input: { q: '1' }, expected: 'one', split: 'test' } },
        { line: 3, draft: { input: { q: '2' }, metadata: { k: 1 } } },
      ],
      idColumn: 'id',
    });
  });

  it('lists every bad line with the character or field at fault', () => {
    const text = [
      '{"input":{"q":"ok"}}',
      '{"input": {"q": "x"},}',
      '["not an object"]',
      '{"input":"text","split":"a b","extra":1}',
    ].join('\n');
    expect(itemsFromJsonl(text)).toEqual({
      problems: [
        { line: 2, column: expect.stringMatching(/^character \d+$/), message: expect.stringContaining('not JSON') },
        { line: 3, message: expect.stringContaining('item object') },
        { line: 4, column: 'extra', message: expect.stringContaining('unknown field') },
        { line: 4, column: 'input', message: expect.any(String) },
        { line: 4, column: 'split', message: expect.any(String) },
      ],
    });
    expect(itemsFromJsonl('\n\n')).toEqual({ problems: [{ line: 1, message: 'the file holds no items' }] });
  });

  it('ignores a leading BOM', () => {
    expect(itemsFromJsonl('\ufeff{"id":"a","input":{"q":"1"}}\r\n')).toEqual({
      items: [{ line: 1, draft: { id: 'a', input: { q: '1' } } }],
      idColumn: 'id',
    });
  });
});

describe('itemsFromCsv', () => {
  const csv = 'qid,question,answer,topic,difficulty\nq1,What is 2+2?,4,math,1\nq2,"Capital of France?",Paris,geo,2\n';

  it('takes columns as the mapping says, reading numbers, booleans and JSON where asked', () => {
    const parsed = itemsFromCsv(csv, {
      id: 'qid',
      input: { question: 'question', level: { column: 'difficulty', as: 'number' } },
      expected: 'answer',
      metadata: ['topic'],
    });
    expect(parsed).toEqual({
      items: [
        {
          line: 2,
          draft: {
            id: 'q1',
            input: { question: 'What is 2+2?', level: 1 },
            expected: '4',
            metadata: { topic: 'math' },
          },
        },
        {
          line: 3,
          draft: {
            id: 'q2',
            input: { question: 'Capital of France?', level: 2 },
            expected: 'Paris',
            metadata: { topic: 'geo' },
          },
        },
      ],
      idColumn: 'qid',
    });
  });

  it('without a mapping: id, expected, split and metadata (JSON) are fields; input.<name> and the rest inputs', () => {
    const text =
      'id,input.question,context,expected,split,metadata,sourceRunId,sourceNodeId\n' +
      'a,Why?,sky,"Because",train,"{""k"":2}",r_1,llm\n';
    expect(itemsFromCsv(text)).toEqual({
      items: [
        {
          line: 2,
          draft: {
            id: 'a',
            input: { question: 'Why?', context: 'sky' },
            expected: 'Because',
            split: 'train',
            metadata: { k: 2 },
            sourceRunId: 'r_1',
            sourceNodeId: 'llm',
          },
        },
      ],
      idColumn: 'id',
    });
  });

  it('names line and column of every bad cell, and a row of the wrong width', () => {
    const text = 'id,question,n,ok,obj\na,hi,1,true,{}\nb c,hi,two,maybe,{\nc,hi\n';
    const parsed = itemsFromCsv(text, {
      id: 'id',
      input: {
        question: 'question',
        n: { column: 'n', as: 'number' },
        ok: { column: 'ok', as: 'boolean' },
        obj: { column: 'obj', as: 'json' },
      },
    });
    expect(parsed).toEqual({
      problems: [
        { line: 3, column: 'n', message: '"two" is not a number' },
        { line: 3, column: 'ok', message: '"maybe" is not true or false' },
        { line: 3, column: 'obj', message: expect.stringContaining('not JSON') },
        { line: 3, column: 'id', message: expect.stringContaining('letters') },
        { line: 4, message: 'has 2 fields, the header 5' },
      ],
    });
  });

  it('refuses a mapping naming a column the header lacks, and a file without items', () => {
    expect(itemsFromCsv(csv, { input: { question: 'nope' }, expected: 'missing' })).toEqual({
      mappingProblems: [
        { line: 1, column: 'mapping.expected', message: expect.stringContaining('no column "missing"') },
        { line: 1, column: 'mapping.input.question', message: expect.stringContaining('no column "nope"') },
      ],
    });
    expect(itemsFromCsv('a,b\n')).toEqual({ problems: [{ line: 1, message: 'the file has a header and no items' }] });
    expect(itemsFromCsv('a\n"open')).toEqual({ problems: [{ line: 2, message: 'a quoted field is never closed' }] });
  });
});
