import { describe, expect, it } from 'vitest';
import { csvHeader, defaultRole, mappingOf } from './ImportDialog';

describe('CSV import mapping', () => {
  it('reads the header, quotes honoured, and maps columns by role', () => {
    expect(csvHeader('\ufeffid,"question, long",expected\r\n1,a,b')).toEqual(['id', 'question, long', 'expected']);
    const roles = Object.fromEntries(
      ['id', 'input.question', 'context', 'expected', 'topic', 'notes'].map((c) => [c, defaultRole(c)]),
    );
    roles.topic = 'metadata';
    roles.notes = 'ignore';
    expect(mappingOf(roles)).toEqual({
      id: 'id',
      input: { question: 'input.question', context: 'context' },
      expected: 'expected',
      metadata: ['topic'],
    });
  });
});

describe('CSV import of an export', () => {
  it('maps the export’s columns to their fields by default: sources as text, metadata as JSON', () => {
    // The header GET /api/datasets/:id/export?format=csv writes.
    const header = csvHeader(
      'id,input.question,expected,split,metadata,sourceRunId,sourceNodeId\r\na,b,c,d,{},r,n\r\n',
    );
    const roles = Object.fromEntries(header.map((column) => [column, defaultRole(column)]));
    expect(mappingOf(roles)).toEqual({
      id: 'id',
      input: { question: 'input.question' },
      expected: 'expected',
      split: 'split',
      metadata: [{ column: 'metadata', as: 'json' }],
      sourceRunId: 'sourceRunId',
      sourceNodeId: 'sourceNodeId',
    });
  });
});
