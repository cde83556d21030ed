// Rewrites every flows/*.flow.json in canonical form (stable key order, two-space indent), as the store saves them.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { serializeFlow } from '../nodes/dist/spec/index.js';

const dir = new URL('../flows/', import.meta.url);
for (const file of readdirSync(dir).filter((f) => f.endsWith('.flow.json'))) {
  const path = new URL(file, dir);
  const before = readFileSync(path, 'utf8');
  const after = serializeFlow(JSON.parse(before));
  if (after !== before) {
    writeFileSync(path, after);
    console.log(`formatted ${file}`);
  }
}
