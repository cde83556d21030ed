import { describe, expect, it } from 'vitest';
import { BUILTIN_KINDS } from '../registry.js';
import { paletteScore, searchKinds } from './search.js';

const catalog = BUILTIN_KINDS.map((definition) => definition.spec);
const found = (query: string) => searchKinds(catalog, query).map((kind) => kind.type);

describe('palette search', () => {
  it('finds kinds by the words people search with, not only their names', () => {
    expect(found('agent')).toContain('function-call');
    expect(found('vector')).toEqual(expect.arrayContaining(['retriever', 'ingest']));
    expect(found('openai')).toEqual(expect.arrayContaining(['llm', 'function-call']));
    expect(found('tool')).toEqual(expect.arrayContaining(['tool-code', 'tool-http', 'tool-flow', 'tool-retriever']));
    expect(found('loop')).toEqual(['map']);
  });

  it('puts the kind whose name matches first, so Enter adds what was typed', () => {
    for (const type of ['input', 'prompt', 'llm', 'output', 'code', 'http', 'map', 'memory', 'retriever'])
      expect(found(type)[0]).toBe(type);
    expect(found('tool')[0]).toMatch(/^tool-/);
  });

  it('needs every word of the query, and keeps the catalog order without one', () => {
    expect(found('rag agent')).toEqual(['tool-retriever']);
    expect(found('no-such-thing')).toEqual([]);
    expect(found('  ')).toEqual(catalog.map((kind) => kind.type));
    expect(catalog.every((kind) => paletteScore(kind, '') > 0)).toBe(true);
  });
});
