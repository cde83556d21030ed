import { describe, expect, it } from 'vitest';
import { stableJson } from './stable-json.js';

describe('stableJson', () => {
  it('sorts object keys at every depth and leaves out undefined, as JSON does', () => {
    expect(stableJson({ b: 1, a: { d: [2, { z: 1, y: undefined }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"z":1}]},"b":1}',
    );
    expect(stableJson([undefined, Number.NaN, 'x'])).toBe('[null,null,"x"]');
  });

  it('pretty-prints like JSON.stringify, with arrays of numbers on one line', () => {
    const value = { vectors: [[0.5, -1], []], name: 'n', empty: {} };
    expect(stableJson(value, 2)).toBe(
      '{\n  "empty": {},\n  "name": "n",\n  "vectors": [\n    [0.5, -1],\n    []\n  ]\n}',
    );
    const plain = { a: [{ b: 'c' }, true] };
    expect(stableJson(plain, 2)).toBe(JSON.stringify(plain, null, 2));
  });
});
