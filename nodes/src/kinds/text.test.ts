import { describe, expect, it } from 'vitest';
import { resolveInputs } from '../spec/index.js';
import { fakeContext } from './shared/fake-context.js';
import { text } from './text.js';

const base = { mode: 'join', template: '', separator: '\\n', trim: true };
const run = (inputs: Record<string, unknown>, params: Partial<typeof base>) =>
  text.execute({ inputs, params: { ...base, ...params } }, fakeContext().ctx);

describe('text', () => {
  it('joins lists (documents by their text) with an escaped separator', async () => {
    expect((await run({ items: ['a', 'b'] }, {})).text).toBe('a\nb');
    expect((await run({ items: [{ id: '1', text: 'doc', metadata: {} }, 3] }, { separator: ' | ' })).text).toBe(
      'doc | 3',
    );
  });

  it('splits text, trimming and dropping empty parts', async () => {
    expect((await run({ text: 'a, b,, c' }, { mode: 'split', separator: ',' })).items).toEqual(['a', 'b', 'c']);
    expect((await run({ text: 'a\n\nb' }, { mode: 'split', trim: false })).items).toEqual(['a', '', 'b']);
  });

  it('formats a template whose variables are inputs', async () => {
    const template = 'Hello {{name}}, you are {{age}}';
    expect(resolveInputs(text.spec, { mode: 'format', template }).map((p) => p.name)).toEqual([
      'text',
      'items',
      'name',
      'age',
    ]);
    expect((await run({ name: 'Ada', age: '36' }, { mode: 'format', template })).text).toBe('Hello Ada, you are 36');
  });

  it('refuses missing inputs for join and split', async () => {
    await expect(run({}, {})).rejects.toMatchObject({ code: 'NODE_INPUT_INVALID' });
    await expect(run({}, { mode: 'split' })).rejects.toMatchObject({ code: 'NODE_INPUT_INVALID' });
  });
});
