import { readFileSync } from 'node:fs';
import { NodeRegistry } from '@flowloom/nodes';
import { describe, expect, it } from 'vitest';
import { renderCatalog, withCatalog } from './node-docs.js';

describe('docs/nodes.md', () => {
  const catalog = new NodeRegistry().catalog();

  it('holds the reference generated from the current catalog (run `npm run docs:nodes` after changing a kind)', () => {
    const document = readFileSync(new URL('../../../docs/nodes.md', import.meta.url), 'utf8');
    expect(withCatalog(document, catalog)).toBe(document);
  });

  it('documents every kind with its ports and params', () => {
    const text = renderCatalog(catalog);
    for (const spec of catalog) {
      expect(text).toContain(`#### \`${spec.type}\``);
      for (const param of spec.params) expect(text).toContain(`| \`${param.name}\` | ${param.kind} |`);
    }
  });

  it('names the version of a kind past its first', () => {
    const [first] = catalog;
    if (!first) throw new Error('empty catalog');
    expect(renderCatalog([first])).not.toContain('Version 1');
    expect(renderCatalog([{ ...first, version: 3 }])).toContain(
      'Version 3: nodes saved by an older version are migrated when loaded.',
    );
  });
});
