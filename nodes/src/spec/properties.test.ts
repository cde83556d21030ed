import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { migrateFlow } from '../migrations.js';
import { NodeRegistry } from '../registry.js';
import type { FlowFile } from './flow.js';
import { serializeFlow } from './flow.js';
import { normalizeFlow } from './normalize.js';
import { validateFlow } from './validate.js';
import { MAX_VALUE_DEPTH } from './values.js';

// Property tests: the flow loader (parse, migrate, normalize, serialize) and the validator take any JSON a file or a
// request may hold (deep, large, any unicode, prototype key names) without throwing, and agree with each other.

const registry = new NodeRegistry();
const { lookup } = registry;
const RUNS = { numRuns: 300 };

/** Key names that break naive code: prototype keys and odd unicode. */
const hostileKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '', ' ', '\u0000', '💥', 'é'),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
);

/** `{"a":{"a":...}}` or `[[...]]` nested `depth` deep, as JSON text (JSON.stringify overflows on deep values). */
const deepText = fc
  .tuple(fc.integer({ min: 1, max: 2_000 }), fc.boolean())
  .map(([depth, isArray]) =>
    isArray ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
  );

/** Any JSON value as text, hostile keys included (built as text so `__proto__` stays an own key when parsed). */
const hostileJsonText: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
    deepText,
    fc.array(tie('value'), { maxLength: 4 }).map((items) => `[${items.join(',')}]`),
    fc
      .array(fc.tuple(hostileKey, tie('value')), { maxLength: 4 })
      .map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
  ),
})).value;

function baseFlow(): FlowFile {
  return {
    format: 'flowloom.flow/v1',
    id: 'prop',
    name: 'Property',
    nodes: [
      { id: 'q', type: 'input', position: { x: 0, y: 0 }, params: { name: 'question' } },
      { id: 'p', type: 'prompt', position: { x: 1, y: 0 }, params: { template: 'Q: {{question}}' } },
      { id: 'a', type: 'output', position: { x: 2, y: 0 } },
    ],
    edges: [
      { id: 'e1', source: 'q', sourcePort: 'value', target: 'p', targetPort: 'question' },
      { id: 'e2', source: 'p', sourcePort: 'prompt', target: 'a', targetPort: 'value' },
    ],
  };
}

/** Where hostile JSON goes in an otherwise valid flow: a param, a node, an edge, the file's own fields. */
const placedInFlow = fc
  .tuple(fc.constantFrom('param', 'params', 'node', 'edge', 'meta', 'top', 'nodes'), hostileKey, hostileJsonText)
  .map(([where, key, text]) => {
    const json = JSON.stringify(baseFlow());
    const slot = '"$$SLOT$$"';
    const withSlot: Record<string, string> = {
      param: json.replace('"template":', `${JSON.stringify(key)}:${slot},"template":`),
      params: json.replace('"params":{"template"', `"params":${slot},"x":{"template"`),
      node: json.replace('"id":"p",', `"id":"p",${JSON.stringify(key)}:${slot},`),
      edge: json.replace('"id":"e1",', `"id":"e1",${JSON.stringify(key)}:${slot},`),
      meta: json.replace('"name":"Property",', `"name":"Property","meta":${slot},`),
      top: json.replace('"name":"Property",', `"name":"Property",${JSON.stringify(key)}:${slot},`),
      nodes: json.replace(/"nodes":\[/, `"nodes":[${slot},`),
    };
    return (withSlot[where] as string).replace(slot, text);
  });

describe('the validator and the flow loader, with hostile values', () => {
  it('validateFlow answers problems (never throws) for any JSON value', () => {
    fc.assert(
      fc.property(hostileJsonText, (text) => {
        const problems = validateFlow(JSON.parse(text), lookup);
        expect(Array.isArray(problems)).toBe(true);
        for (const problem of problems) {
          expect(typeof problem.code).toBe('string');
          expect(typeof problem.message).toBe('string');
        }
      }),
      RUNS,
    );
  });

  it('a flow with a hostile value anywhere: the loader and the validator never throw; a clean flow round-trips', () => {
    fc.assert(
      fc.property(placedInFlow, (text) => {
        const parsed = JSON.parse(text) as FlowFile;
        const { flow } = migrateFlow(parsed, registry);
        const problems = validateFlow(flow, lookup);
        if (problems.some((p) => p.code === 'VALUE_TOO_DEEP')) {
          // Reported alone: nothing else walked the value.
          expect(problems).toHaveLength(1);
          return;
        }
        if (problems.length > 0) return;
        // Valid: normalizing and serializing are stable (load → save → load → save gives the same bytes).
        const once = serializeFlow(normalizeFlow(flow, lookup));
        const twice = serializeFlow(normalizeFlow(migrateFlow(JSON.parse(once), registry).flow, lookup));
        expect(twice).toBe(once);
      }),
      RUNS,
    );
  });

  it('values nested more than MAX_VALUE_DEPTH anywhere in a flow are VALUE_TOO_DEEP, never a stack overflow', () => {
    fc.assert(
      fc.property(fc.integer({ min: MAX_VALUE_DEPTH + 1, max: 50_000 }), (depth) => {
        const text = JSON.stringify(baseFlow()).replace(
          '"template":',
          `"deep":${'['.repeat(depth)}${']'.repeat(depth)},"template":`,
        );
        expect(validateFlow(JSON.parse(text), lookup)).toMatchObject([{ code: 'VALUE_TOO_DEEP', nodeId: 'p' }]);
      }),
      { numRuns: 30 },
    );
  });
});
