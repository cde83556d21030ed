// Writes the catalog reference into docs/nodes.md (npm run docs:nodes). The hand-written parts are kept.
import { readFileSync, writeFileSync } from 'node:fs';
import { NodeRegistry } from '@flowloom/nodes';
import { withCatalog } from './node-docs.js';

const path = new URL('../../../docs/nodes.md', import.meta.url);
const before = readFileSync(path, 'utf8');
const after = withCatalog(before, new NodeRegistry().catalog());
if (after !== before) writeFileSync(path, after);
console.log(after === before ? 'docs/nodes.md is up to date' : 'docs/nodes.md updated');
