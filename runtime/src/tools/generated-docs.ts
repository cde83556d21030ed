import { readFileSync } from 'node:fs';
import { NodeRegistry } from '@flowloom/nodes';
import { ENVIRONMENT } from '../config.js';
import { withBlock } from './doc-blocks.js';
import { renderEnvironment } from './env-docs.js';
import { renderOverridable, withCatalog } from './node-docs.js';

const ROOT = new URL('../../../', import.meta.url);
const ENVIRONMENT_SOURCE = 'ENVIRONMENT in runtime/src/config.ts';

/** Every document with generated parts, and how to bring them up to date (the hand-written rest is kept). */
const GENERATED: { path: string; update: (document: string) => string }[] = (() => {
  const catalog = new NodeRegistry().catalog();
  const environment = (document: string) =>
    withBlock(document, 'environment', ENVIRONMENT_SOURCE, renderEnvironment(ENVIRONMENT));
  return [
    { path: 'docs/nodes.md', update: (document) => withCatalog(document, catalog) },
    {
      path: 'docs/publishing.md',
      update: (document) => withBlock(document, 'overridable', 'the catalog', renderOverridable(catalog)),
    },
    { path: 'docs/api.md', update: environment },
    { path: 'docs/contracts.md', update: environment },
    { path: 'README.md', update: environment },
  ];
})();

/** Each generated document as it is and as it should be (paths relative to the repository root). */
export function generatedDocs(): { path: string; url: URL; current: string; expected: string }[] {
  return GENERATED.map(({ path, update }) => {
    const url = new URL(path, ROOT);
    const current = readFileSync(url, 'utf8');
    return { path, url, current, expected: update(current) };
  });
}
