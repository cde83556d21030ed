import { describe, expect, it } from 'vitest';
import type { SandboxRunOptions } from '../services.js';
import { condition } from './condition.js';
import { fakeContext } from './shared/fake-context.js';

const base = { operator: 'equals', path: '', compareTo: '', caseSensitive: true };

async function test(value: unknown, params: Partial<typeof base>, compareTo?: unknown) {
  const { ctx } = fakeContext();
  return condition.execute(
    { inputs: { value, ...(compareTo !== undefined && { compareTo }) }, params: { ...base, ...params } },
    ctx,
  );
}

describe('condition', () => {
  it('passes the value on the taken branch only', async () => {
    expect(await test('yes', { compareTo: 'yes' })).toEqual({ true: 'yes', result: true });
    expect(await test('no', { compareTo: 'yes' })).toEqual({ false: 'no', result: false });
  });

  it.each([
    ['equals across types', 42, { operator: 'equals', compareTo: '42' }, true],
    ['equals, case-insensitive', 'Hello', { operator: 'equals', compareTo: 'hello', caseSensitive: false }, true],
    ['equals objects structurally', { b: 1, a: [1] }, { operator: 'equals', compareTo: '{"a":[1],"b":1}' }, true],
    ['not-equals', 'a', { operator: 'not-equals', compareTo: 'b' }, true],
    ['contains text', 'refund please', { operator: 'contains', compareTo: 'refund' }, true],
    ['contains list item', ['a', 'b'], { operator: 'contains', compareTo: 'b' }, true],
    ['contains object key', { a: 1 }, { operator: 'contains', compareTo: 'a' }, true],
    ['not-contains', 'hello', { operator: 'not-contains', compareTo: 'x' }, true],
    ['regex', 'order #123', { operator: 'regex', compareTo: '#\\d+' }, true],
    ['regex, case-insensitive', 'ABC', { operator: 'regex', compareTo: '^abc$', caseSensitive: false }, true],
    ['gt', '10', { operator: 'gt', compareTo: '9' }, true],
    ['lte', 3, { operator: 'lte', compareTo: '3' }, true],
    ['lt false', 5, { operator: 'lt', compareTo: '1' }, false],
    ['path exists', { user: { age: 0 } }, { operator: 'exists', path: '$.user.age' }, true],
    ['path missing', { user: {} }, { operator: 'exists', path: '$.user.age' }, false],
    ['not-exists', { a: 1 }, { operator: 'not-exists', path: 'b' }, true],
    ['path with compare', { user: { age: 30 } }, { operator: 'gte', path: 'user.age', compareTo: '18' }, true],
    ['empty', '  ', { operator: 'empty' }, true],
    ['not-empty list', [1], { operator: 'not-empty' }, true],
  ])('%s', async (_name, value, params, expected) => {
    expect((await test(value, params)).result).toBe(expected);
  });

  it('takes compareTo from its input over the param', async () => {
    expect((await test(7, { operator: 'equals', compareTo: '1' }, 7)).result).toBe(true);
  });

  it('refuses non-numbers for comparisons, bad regexes and bad paths', async () => {
    await expect(test('abc', { operator: 'gt', compareTo: '1' })).rejects.toMatchObject({ code: 'NODE_INPUT_INVALID' });
    await expect(test('abc', { operator: 'regex', compareTo: '(' })).rejects.toMatchObject({
      code: 'NODE_PARAM_INVALID',
    });
    await expect(test({}, { operator: 'exists', path: '$.a[' })).rejects.toMatchObject({ code: 'NODE_PARAM_INVALID' });
  });

  it('tests regexes in the sandbox when the runtime has one', async () => {
    const runs: { args: Record<string, unknown>; options: SandboxRunOptions }[] = [];
    const sandbox = {
      run: async (code: string, args: Record<string, unknown>, options: SandboxRunOptions) => {
        runs.push({ args, options });
        return new RegExp(String(args.pattern), String(args.flags)).test(String(args.text)) && code.length > 0;
      },
    };
    const { ctx } = fakeContext({ services: { sandbox } });
    const out = await condition.execute(
      { inputs: { value: 'aaa' }, params: { ...base, operator: 'regex', compareTo: '^a+$' } },
      ctx,
    );
    expect(out.result).toBe(true);
    expect(runs[0]).toMatchObject({
      args: { pattern: '^a+$', flags: 'u', text: 'aaa' },
      options: { signal: ctx.signal, timeoutMs: 1_000 },
    });
  });
});
