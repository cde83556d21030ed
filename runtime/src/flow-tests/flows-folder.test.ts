import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NodeRegistry } from '@flowloom/nodes';
import { describe, expect, it } from 'vitest';
import { ModelRecordings } from '../providers/recorded-models.js';
import { loadSuite } from './suites.js';

// Every example flow has its tests; `npm test` runs them (`flowloom test flows`), and this checks they still fit.

const dir = fileURLToPath(new URL('../../../flows/', import.meta.url));
const flows = readdirSync(dir).filter((name) => name.endsWith('.flow.json'));

describe('flows/', () => {
  for (const name of flows) {
    const id = name.slice(0, -'.flow.json'.length);
    it(`${id} has a test file that fits the flow, with recordings that parse`, () => {
      const suite = loadSuite(`${dir}${id}.flowtest.json`, dir, new NodeRegistry());
      expect(suite.flow.id).toBe(id);
      expect(suite.test.cases.length).toBeGreaterThan(0);
      if (existsSync(suite.recordingsPath)) {
        const recordings = ModelRecordings.replaying(suite.recordingsName, readFileSync(suite.recordingsPath, 'utf8'));
        // Recorded with `flowloom test --record`: the file is exactly as the recorder writes it.
        expect(recordings.serialize()).toBe(readFileSync(suite.recordingsPath, 'utf8'));
      }
    });
  }
});
