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
