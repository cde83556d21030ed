import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError, NodeRegistry, serializeFlow } from '@flowloom/nodes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatFlow, echoFlow, flowOf, removeTempDir, tempDir } from '../testing/fixtures.js';
import { findTestFiles, loadSuite, recordingsPathOf, shownPath } from './suites.js';
import { FLOW_TEST_FORMAT } from './test-file.js';

let dir: string;
const registry = new NodeRegistry();

/** question → one node (its input and output port) → answer. */
const oneStep = (id: string, node: [string, string, Record<string, unknown>], [input, output]: [string, string]) =>
  flowOf(
    id,
    [['question', 'input'], node, ['answer', 'output']],
    [`question.value→${node[0]}.${input}`, `${node[0]}.${output}→answer.value`],
  );
const calling = (id: string, flowId: string) =>
  oneStep(
    id,
    ['call', 'subflow', { flowId, inputNames: ['question'], outputNames: ['answer'] }],
    ['question', 'answer'],
  );
const outer = calling('outer', 'chat');
const lonely = calling('lonely', 'elsewhere');
const rag = oneStep('rag', ['search', 'retriever', { collection: 'docs' }], ['query', 'documents']);
const scripted = oneStep('scripted', ['run', 'code', { code: 'return inputs.input;' }], ['input', 'result']);

function write(path: string, value: unknown): string {
  const full = join(dir, path);
  mkdirSync(join(full, '..'), { recursive: true });
  writeFileSync(full, typeof value === 'string' ? value : JSON.stringify(value));
  return full;
}
const test = (flow: string, cases: unknown[], extra: Record<string, unknown> = {}) => ({
  format: FLOW_TEST_FORMAT,
  flow,
  cases,
  ...extra,
});
const chatCase = { name: 'one', inputs: { question: 'hi' }, expected: 'hi', expect: [{ type: 'contains' }] };

beforeAll(() => {
  dir = tempDir('suites');
  for (const flow of [chatFlow(), outer, lonely, rag, scripted])
    write(`flows/${flow.id}.flow.json`, serializeFlow(flow));
  const invalid = echoFlow('invalid');
  invalid.edges = [];
  write('flows/invalid.flow.json', serializeFlow(invalid));
  write('flows/broken.flow.json', '{ not json');
  write('flows/chat.flowtest.json', test('chat', [chatCase]));
  write('flows/nested/deeper.flowtest.json', test('../outer.flow.json', [chatCase]));
  write('flows/node_modules/x.flowtest.json', test('chat', [chatCase]));
  write('flows/.hidden/x.flowtest.json', test('chat', [chatCase]));
  write('flows/notes.json', '{}');
});
afterAll(() => removeTempDir(dir));

function problemsOf(path: string): { file: string; field: string; message: string }[] {
  try {
    loadSuite(join(dir, path), dir, registry);
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('VALIDATION_FAILED');
    expect((err as AppError).message.startsWith(`${path}: `)).toBe(true);
    return (err as AppError).details as { file: string; field: string; message: string }[];
  }
  throw new Error('the suite loaded');
}

describe('findTestFiles', () => {
  it('finds *.flowtest.json at any depth of a folder, sorted, besides hidden folders and node_modules', () => {
    expect(findTestFiles(['flows'], dir).map((path) => shownPath(path, dir))).toEqual([
      'flows/chat.flowtest.json',
      'flows/nested/deeper.flowtest.json',
    ]);
  });

  it('takes files as given, each once', () => {
    const files = findTestFiles(['flows/chat.flowtest.json', 'flows', 'flows/notes.json'], dir);
    expect(files.map((path) => shownPath(path, dir))).toEqual([
      'flows/chat.flowtest.json',
      'flows/nested/deeper.flowtest.json',
      'flows/notes.json',
    ]);
  });

  it('says NOT_FOUND for a path that does not exist or a folder without tests', () => {
    expect(() => findTestFiles(['nope'], dir)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    mkdirSync(join(dir, 'empty'), { recursive: true });
    expect(() => findTestFiles(['empty'], dir)).toThrow(/no \*\.flowtest\.json files in empty/);
  });
});

describe('loadSuite', () => {
  it('finds the flow by id beside the test file, and the recordings beside the test', () => {
    const suite = loadSuite(join(dir, 'flows/chat.flowtest.json'), dir, registry);
    expect(suite).toMatchObject({
      name: 'flows/chat.flowtest.json',
      recordingsName: 'flows/chat.flowtest.recordings.json',
      usesVectors: false,
      usesSandbox: false,
    });
    expect(suite.flow.id).toBe('chat');
    expect(recordingsPathOf('/a/b.flowtest.json')).toBe('/a/b.flowtest.recordings.json');
  });

  it('finds the flow by a path relative to the test file, and resolves the flows it calls beside it', () => {
    const suite = loadSuite(join(dir, 'flows/nested/deeper.flowtest.json'), dir, registry);
    expect(suite.flow.id).toBe('outer');
    expect(suite.bundle.resolve('chat').flow.id).toBe('chat');
    expect(() => suite.bundle.resolve('nope')).toThrow(expect.objectContaining({ code: 'FLOW_NOT_FOUND' }));
  });

  it('tells which suites need the vector store or the sandbox, from the kinds of their nodes and their setup', () => {
    write('flows/rag.flowtest.json', test('rag', [{ name: 'a', inputs: { question: 'q' } }]));
    write('flows/scripted.flowtest.json', test('scripted', [{ name: 'a', inputs: { question: 'q' } }]));
    write(
      'flows/setup.flowtest.json',
      test('chat', [{ name: 'a', inputs: { question: 'q' } }], {
        setup: { collections: { docs: { documents: ['x'] } } },
      }),
    );
    const load = (name: string) => loadSuite(join(dir, `flows/${name}.flowtest.json`), dir, registry);
    expect([load('rag').usesVectors, load('rag').usesSandbox]).toEqual([true, false]);
    expect([load('scripted').usesVectors, load('scripted').usesSandbox]).toEqual([false, true]);
    expect(load('setup').usesVectors).toBe(true);
  });

  it('refuses a flow that is missing, unreadable, invalid or calls a flow not beside it', () => {
    write('t/missing.flowtest.json', test('nowhere', [chatCase]));
    expect(problemsOf('t/missing.flowtest.json')).toEqual([
      expect.objectContaining({ field: 'flow', message: '"nowhere": no such flow beside the test file' }),
    ]);
    write('flows/broken.flowtest.json', test('broken', [chatCase]));
    expect(problemsOf('flows/broken.flowtest.json')[0]?.message).toContain('cannot be read as a flow file');
    write('flows/invalid.flowtest.json', test('invalid', [{ name: 'a' }]));
    expect(problemsOf('flows/invalid.flowtest.json')[0]?.message).toMatch(/^flows\/invalid\.flow\.json has 1 problem/);
    write('flows/lonely.flowtest.json', test('lonely', [chatCase]));
    expect(problemsOf('flows/lonely.flowtest.json')[0]?.message).toBe(
      'node "call" of flow "lonely" calls flow "elsewhere", which is not beside the test file or the flow',
    );
  });

  it('refuses cases that do not fit the flow: inputs, outputs, expected values and evaluator flows', () => {
    write(
      'flows/misfit.flowtest.json',
      test('chat', [
        { name: 'a', inputs: { questoin: 'hi' }, expect: [{ type: 'exact', output: 'reply', expected: 'x' }] },
        {
          name: 'b',
          inputs: { question: 'hi' },
          expect: [
            { type: 'rouge', variant: 'rouge1' },
            { type: 'flow', flowId: 'grader' },
          ],
        },
      ]),
    );
    expect(problemsOf('flows/misfit.flowtest.json').map((problem) => problem.field)).toEqual([
      'cases.0.inputs.question',
      'cases.0.inputs.questoin',
      'cases.0.expect.0.output',
      'cases.1.expect.0.expected',
      'cases.1.expect.1.flowId',
    ]);
  });

  it('says a file that cannot be read names the file', () => {
    expect(problemsOf('t/none.flowtest.json')).toEqual([
      { file: 't/none.flowtest.json', field: '(root)', message: 'cannot be read: ENOENT' },
    ]);
  });
});
