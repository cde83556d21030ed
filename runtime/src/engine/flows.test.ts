import { readdirSync, readFileSync } from 'node:fs';
import { BUILTIN_KINDS, NodeRegistry, serializeFlow, validateFlow } from '@flowloom/nodes';
import { describe, expect, it } from 'vitest';

const dir = new URL('../../../flows/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.flow.json'));

describe('flows/', () => {
  it('has example flows', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  for (const file of files) {
    it(`${file} is valid, named after its id, and stored in canonical form`, () => {
      const text = readFileSync(new URL(file, dir), 'utf8');
      const flow = JSON.parse(text);
      expect(file).toBe(`${flow.id}.flow.json`);
      expect(validateFlow(flow, new NodeRegistry(BUILTIN_KINDS).lookup)).toEqual([]);
      // `node scripts/format-flows.mjs` writes them so.
      expect(serializeFlow(flow)).toBe(text);
    });
  }
});
