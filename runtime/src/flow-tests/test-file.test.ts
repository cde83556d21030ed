import { AppError } from '@flowloom/nodes';
import { describe, expect, it } from 'vitest';
import { FLOW_TEST_FORMAT, parseFlowTestFile } from './test-file.js';

const parse = (value: unknown) => parseFlowTestFile(JSON.stringify(value), 'x.flowtest.json', 'x.flowtest.json');
const file = (extra: Record<string, unknown> = {}) => ({
  format: FLOW_TEST_FORMAT,
  flow: 'chat',
  cases: [{ name: 'one', inputs: { question: 'hi' }, expected: 'hi', expect: [{ type: 'contains' }] }],
  ...extra,
});

function problems(text: string): { file: string; field: string; message: string }[] {
  try {
    parseFlowTestFile(text, 'x.flowtest.json', 'x.flowtest.json');
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('VALIDATION_FAILED');
    expect((err as AppError).message).toMatch(/^x\.flowtest\.json: /);
    return (err as AppError).details as { file: string; field: string; message: string }[];
  }
  throw new Error('the file was accepted');
}
const fields = (value: unknown) => problems(JSON.stringify(value)).map((problem) => problem.field);

describe('parseFlowTestFile', () => {
  it('reads a flowloom.test/v1 file with its defaults: one iteration, no setup, evaluators ready', () => {
    const test = parse(file({ description: 'd' }));
    expect(test).toMatchObject({ flow: 'chat', description: 'd', iterations: 1, collections: {} });
    expect(test.cases[0]).toMatchObject({ name: 'one', inputs: { question: 'hi' }, expected: 'hi' });
    expect(test.cases[0]?.expect[0]).toMatchObject({ type: 'contains', name: 'contains', threshold: 1 });
  });

  it('takes iterations, skips with reasons, cases without expectations, and a $schema', () => {
    const test = parse(
      file({
        $schema: 'https://example.com/s.json',
        iterations: 3,
        skip: 'needs a key',
        cases: [
          { name: 'a', inputs: {} },
          { name: 'b', skip: 'later' },
        ],
      }),
    );
    expect(test.iterations).toBe(3);
    expect(test.skip).toBe('needs a key');
    expect(test.cases.map((c) => [c.name, c.expect.length, c.skip])).toEqual([
      ['a', 0, undefined],
      ['b', 0, 'later'],
    ]);
  });

  it('fills setup collections, with ids, a source and the local embedder by default', () => {
    const test = parse(
      file({
        setup: {
          collections: {
            'rag-qa': {
              documents: ['plain text', { id: 'p', text: 'policy', metadata: { source: 'policy.md', page: 2 } }],
            },
            docs: { embedder: 'openai:text-embedding-3-small', documents: [{ text: 'x' }] },
          },
        },
      }),
    );
    expect(test.collections['rag-qa']).toEqual({
      embedder: 'local',
      documents: [
        { id: 'rag-qa-0', text: 'plain text', metadata: { source: 'x.flowtest.json' } },
        { id: 'p', text: 'policy', metadata: { source: 'policy.md', page: 2 } },
      ],
    });
    expect(test.collections.docs?.embedder).toBe('openai:text-embedding-3-small');
  });

  it('names the file and the field of anything that is not flowloom.test/v1', () => {
    expect(problems('{')).toEqual([expect.objectContaining({ file: 'x.flowtest.json', field: '(root)' })]);
    expect(fields([])).toEqual(['(root)']);
    expect(fields({ ...file(), format: 'flowloom.flow/v1' })).toEqual(['format']);
    expect(fields({ cases: [] })).toEqual(['format']);
    expect(fields(file({ flow: '', iterations: 0, extra: true, cases: [] }))).toEqual([
      'extra',
      'flow',
      'iterations',
      'cases',
    ]);
  });

  it('names each case field, evaluators included, at once', () => {
    expect(
      fields(
        file({
          cases: [
            { name: 'a', inputs: [], expect: [{ type: 'regex', pattern: '(' }], extra: 1 },
            { name: 'a', expect: [{ type: 'contains' }, { type: 'judge' }] },
            'not a case',
            { inputs: {}, skip: '' },
          ],
        }),
      ),
    ).toEqual([
      'cases.0.extra',
      'cases.0.inputs',
      'cases.0.expect.0.pattern',
      'cases.1.expect.1.type',
      'cases.1.name',
      'cases.2',
      'cases.3.name',
      'cases.3.skip',
    ]);
  });

  it('names what is wrong in the setup', () => {
    expect(
      fields(
        file({
          setup: {
            collections: {
              x: { documents: ['a'] },
              docs: { embedder: 'bert', documents: [] },
              more: { documents: [{ text: '' }, { text: 'ok', metadata: 'no', id: 3 }] },
            },
            other: 1,
          },
        }),
      ),
    ).toEqual([
      'setup.other',
      'setup.collections.x',
      'setup.collections.docs.embedder',
      'setup.collections.docs.documents',
      'setup.collections.more.documents.0',
      'setup.collections.more.documents.1.id',
      'setup.collections.more.documents.1.metadata',
    ]);
  });
});
