import { describe, expect, it } from 'vitest';
import { checkRunInputs } from './flow-io.js';
import { findValueProblem, MAX_VALUE_DEPTH, tooDeepPath } from './values.js';

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { a: value } : [value];
  return value;
}

describe('findValueProblem', () => {
  it('accepts values up to MAX_VALUE_DEPTH and names the first place past it', () => {
    expect(findValueProblem(nested(MAX_VALUE_DEPTH))).toBeUndefined();
    expect(findValueProblem({ x: 'text', n: 1, list: [1, 2, { b: null }] })).toBeUndefined();
    const found = findValueProblem({ ok: 1, q: nested(MAX_VALUE_DEPTH) }, { prefix: 'inputs' });
    expect(found).toEqual({
      path: 'inputs.q[0].a[0].a[0]…',
      message: `is nested deeper than ${MAX_VALUE_DEPTH} levels`,
    });
  });

  it('is iterative: a value nested 200,000 deep (past any recursion) is reported, not a stack overflow', () => {
    expect(() => JSON.stringify(nested(200_000))).toThrow(RangeError);
    expect(tooDeepPath(nested(200_000), 'v')).toMatch(/^v\[0\]\.a/);
  });

  it('ends on cycles (they are infinitely deep)', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(tooDeepPath(cycle)).toBe('self.self.self.self.self.self…');
  });

  it('with forbidProtoKeys, names a __proto__ key', () => {
    const value = JSON.parse('{"inputs": {"list": [{"__proto__": {"polluted": true}}]}}');
    expect(findValueProblem(value)).toBeUndefined();
    expect(findValueProblem(value, { prefix: 'body', forbidProtoKeys: true })).toEqual({
      path: 'body.inputs.list[0].__proto__',
      message: 'is not an allowed key',
    });
  });

  it('holds at every limit: exactly maxDepth levels pass, one more is named, however large the limit', () => {
    for (const maxDepth of [0, 1, 2, 7, MAX_VALUE_DEPTH + 8, 2000]) {
      expect(findValueProblem(nested(maxDepth), { maxDepth })).toBeUndefined();
      expect(findValueProblem([nested(maxDepth)], { maxDepth: maxDepth + 1 })).toBeUndefined();
      expect(findValueProblem(nested(maxDepth + 1), { maxDepth })?.message).toBe(
        `is nested deeper than ${maxDepth} levels`,
      );
      // The object holding it is one level more: past the limit below `deep`, or at the root when the limit is 0.
      expect(findValueProblem({ ok: 1, deep: nested(maxDepth) }, { maxDepth })?.path).toMatch(
        maxDepth === 0 ? /^$/ : /^deep/,
      );
    }
  });

  it('quotes keys that are not identifiers', () => {
    expect(tooDeepPath({ 'a b': nested(MAX_VALUE_DEPTH) })).toMatch(/^\["a b"\]/);
  });
});

describe('checkRunInputs', () => {
  it('refuses an input nested too deep with RUN_INPUT_INVALID naming it', () => {
    const specs = [{ nodeId: 'q', name: 'q', dataType: 'json' as const, required: true }];
    expect(() => checkRunInputs(specs, { q: nested(MAX_VALUE_DEPTH) })).not.toThrow();
    expect(() => checkRunInputs(specs, { q: nested(MAX_VALUE_DEPTH + 1) })).toThrow(
      expect.objectContaining({ code: 'RUN_INPUT_INVALID', details: [expect.objectContaining({ input: 'q' })] }),
    );
  });
});
