// Brings the generated parts of the docs up to date (npm run docs:generate): the node reference (docs/nodes.md) and
// the overridable params (docs/publishing.md) from the catalog, the environment tables from runtime/src/config.ts.
// The hand-written parts are kept.
import { writeFileSync } from 'node:fs';
import { generatedDocs } from './generated-docs.js';

for (const doc of generatedDocs()) {
  if (doc.expected !== doc.current) writeFileSync(doc.url, doc.expected);
  console.log(doc.expected === doc.current ? `${doc.path} is up to date` : `${doc.path} updated`);
}
