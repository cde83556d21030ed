import { describe, expect, it } from 'vitest';
import { json } from './json.js';
import { fakeContext } from './shared/fake-context.js';
import { extractJsonPath, parseJsonPath } from './shared/json-path.js';

const run = (value: unknown, params: Partial<{ mode: string; path: string; pretty: boolean }>) =>
  json.execute(
    { inputs: { value }, params: { mode: 'extract', path: '$', pretty: false, ...params } },
    fakeContext().ctx,
  );

describe('json', () => {
  it('parses text, then applies the path', async () => {
    expect(await run('{"a":{"b":[1,2]}}', { mode: 'parse', path: '$.a.b[1]' })).toEqual({
      value: 2,
      text: '2',
      found: true,
    });
  });

  it('extracts by path, with wildcards, negative indexes and quoted names', async () => {
    const doc = { items: [{ id: 1, 'odd key': 'x' }, { id: 2 }] };
    expect((await run(doc, { path: '$.items[*].id' })).value).toEqual([1, 2]);
    expect((await run(doc, { path: 'items[-1].id' })).value).toBe(2);
    expect((await run(doc, { path: "$.items[0]['odd key']" })).value).toBe('x');
    expect(await run(doc, { path: '$.missing' })).toEqual({ value: null, text: '', found: false });
    expect((await run('{"a":1}', { path: 'a' })).value).toBe(1);
  });

  it('stringifies', async () => {
    expect((await run({ a: 1 }, { mode: 'stringify', pretty: true })).text).toBe('{\n  "a": 1\n}');
  });

  it('refuses invalid JSON text and invalid paths', async () => {
    await expect(run('{nope', { mode: 'parse' })).rejects.toMatchObject({ code: 'NODE_INPUT_INVALID' });
    await expect(run({}, { path: '$.a[' })).rejects.toMatchObject({ code: 'NODE_PARAM_INVALID' });
    expect(() => parseJsonPath('$..a')).toThrow();
    expect(extractJsonPath({ a: null }, 'a')).toBeNull();
  });
});
