import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serializeFlow } from '@flowloom/nodes';
import { type FakeOpenAI, startFakeOpenAI } from '@flowloom/test/fake-openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../cli.js';
import { chatFlow, flowOf, removeTempDir, tempDir } from '../testing/fixtures.js';
import { testCommand } from './command.js';
import { FLOW_TEST_FORMAT } from './test-file.js';

// `flowloom test` end to end in this process: real runtimes, the fake OpenAI server through the real SDK to record,
// nothing at all to replay.

let fake: FakeOpenAI;
let dir: string;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  dir = tempDir('flowtest');
  writeFileSync(join(dir, 'chat.flow.json'), serializeFlow(chatFlow()));
  const search = flowOf(
    'search',
    [
      ['question', 'input'],
      ['find', 'retriever', { collection: 'docs', topK: 1 }],
      ['found', 'output'],
    ],
    ['question.value→find.query', 'find.documents→found.value'],
  );
  writeFileSync(join(dir, 'search.flow.json'), serializeFlow(search));
});
afterEach(() => fake.reset());
afterAll(async () => {
  await fake.close();
  removeTempDir(dir);
});

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function flowtest(
  paths: string[],
  options: { record?: boolean; junit?: string; threshold?: number; provider?: boolean } = {},
): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const code = await testCommand({
    paths,
    cwd: dir,
    env: options.provider === false || !options.record ? {} : { OPENAI_BASE_URL: fake.url },
    isRecording: options.record === true,
    ...(options.junit !== undefined && { junit: options.junit }),
    threshold: options.threshold ?? 1,
    signal: new AbortController().signal,
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
  });
  return { code, stdout, stderr };
}

function writeTest(name: string, value: Record<string, unknown>): void {
  writeFileSync(join(dir, name), JSON.stringify({ format: FLOW_TEST_FORMAT, ...value }, null, 2));
}

describe('flowloom test', () => {
  it('records model calls (judge and provider embeddings included) and replays them with no provider at all', async () => {
    writeTest('chat.flowtest.json', {
      flow: 'chat',
      cases: [
        {
          name: 'echoes the prompt',
          inputs: { question: 'hello' },
          expected: 'echo: Q: hello',
          expect: [
            { type: 'exact' },
            { type: 'llm_judge', rubric: 'Is it an echo?' },
            { type: 'similarity', embedder: 'openai:text-embedding-3-small' },
          ],
        },
        { name: 'second', inputs: { question: 'again' }, expect: [{ type: 'contains', expected: 'again' }] },
      ],
    });
    const recorded = await flowtest(['chat.flowtest.json'], { record: true });
    expect(recorded.stderr).toContain('recorded 4 model request(s) in chat.flowtest.recordings.json');
    expect(recorded.code).toBe(0);
    const calls = fake.requests.length;
    expect(calls).toBe(4);
    const recordings = JSON.parse(readFileSync(join(dir, 'chat.flowtest.recordings.json'), 'utf8'));
    expect(
      Object.values(recordings.recordings)
        .map((entry) => (entry as { kind: string }).kind)
        .sort(),
    ).toEqual(['chat', 'chat', 'chat', 'embeddings']);

    const replayed = await flowtest(['chat.flowtest.json']);
    expect(replayed.stderr).toContain('chat.flowtest.json  (flow chat)\n  ✓ echoes the prompt  ');
    expect(replayed.stderr).toMatch(/ {2}✓ second {2}\d+ ms\n/);
    expect(replayed.stdout).toMatch(/^flowloom test: 2 passed, 0 failed \(pass rate 1, threshold 1\) in \d+/);
    expect(replayed.code).toBe(0);
    expect(fake.requests.length).toBe(calls);
  });

  it('fails a call with no recording, naming the node and --record; writes JUnit; exits 1', async () => {
    writeTest('missing.flowtest.json', {
      flow: 'chat',
      cases: [{ name: 'never recorded', inputs: { question: 'new' }, expect: [{ type: 'contains', expected: 'new' }] }],
    });
    const outcome = await flowtest(['missing.flowtest.json'], { junit: 'report.xml' });
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain('  ✗ never recorded');
    expect(outcome.stderr).toMatch(
      /run failed: RECORDING_NOT_FOUND: node "llm" failed: no recorded answer to this gpt-4o-mini chat call \(request [0-9a-f]{16}\) in missing\.flowtest\.recordings\.json: run flowloom test --record to record it/,
    );
    expect(outcome.stdout).toContain('0 passed, 1 failed');
    const xml = readFileSync(join(dir, 'report.xml'), 'utf8');
    expect(xml).toContain('<testsuite name="missing.flowtest.json" tests="1" failures="0" errors="1"');
    expect(xml).toContain('type="RECORDING_NOT_FOUND"');
    expect(fake.requests).toHaveLength(0);
  });

  it('needs every iteration to pass, replays each its own recorded answer, and takes a pass-rate threshold', async () => {
    writeTest('iterations.flowtest.json', {
      flow: 'chat',
      iterations: 2,
      cases: [
        { name: 'flaky', inputs: { question: 'coin' }, expect: [{ type: 'contains', expected: 'heads' }] },
        { name: 'steady', inputs: { question: 'steady' }, expect: [{ type: 'contains', expected: 'steady' }] },
      ],
    });
    fake.enqueue({ text: 'heads' }, { text: 'tails' });
    expect((await flowtest(['iterations.flowtest.json'], { record: true })).code).toBe(1);
    const replayed = await flowtest(['iterations.flowtest.json']);
    expect(replayed.stderr).toContain('✗ flaky');
    expect(replayed.stderr).toContain('1 of 2 iterations failed');
    expect(replayed.stderr).toContain('iteration 2: contains 0.00 failed (threshold 1): missing "heads" in "tails"');
    expect(replayed.code).toBe(1);
    const lenient = await flowtest(['iterations.flowtest.json'], { threshold: 0.5 });
    expect(lenient.stdout).toContain('1 passed, 1 failed (pass rate 0.5, threshold 0.5)');
    expect(lenient.code).toBe(0);
  });

  it('rewrites the recordings with --record, dropping answers nothing asks for any more', async () => {
    writeTest('stale.flowtest.json', {
      flow: 'chat',
      cases: [{ name: 'a', inputs: { question: 'first' } }],
    });
    await flowtest(['stale.flowtest.json'], { record: true });
    const path = join(dir, 'stale.flowtest.recordings.json');
    const before = readFileSync(path, 'utf8');
    writeTest('stale.flowtest.json', { flow: 'chat', cases: [{ name: 'a', inputs: { question: 'second' } }] });
    await flowtest(['stale.flowtest.json'], { record: true });
    const after = readFileSync(path, 'utf8');
    expect(after).not.toBe(before);
    expect(after).toContain('Q: second');
    expect(after).not.toContain('Q: first');

    writeTest('stale.flowtest.json', {
      flow: 'search',
      cases: [{ name: 'a', inputs: { question: 'q' }, skip: 'no model calls' }],
    });
    const none = await flowtest(['stale.flowtest.json'], { record: true });
    expect(none.stderr).toContain('  - a  skipped: no model calls');
    expect(none.stderr).toContain('removed stale.flowtest.recordings.json: no model calls to record');
    expect(existsSync(path)).toBe(false);
  });

  it('fills setup collections in an empty vector store per test file', async () => {
    const search = (name: string, text: string) =>
      writeTest(name, {
        flow: 'search',
        setup: { collections: { docs: { documents: [{ id: 'only', text }] } } },
        cases: [
          {
            name: 'finds the passage',
            inputs: { question: 'refund' },
            expect: [
              { type: 'contains', expected: text },
              { type: 'json_schema', schema: { type: 'array', maxItems: 1 } },
            ],
          },
        ],
      });
    search('search-a.flowtest.json', 'Refunds within 30 days.');
    search('search-b.flowtest.json', 'No refunds on sale items.');
    const outcome = await flowtest(['search-a.flowtest.json', 'search-b.flowtest.json']);
    expect(outcome.stderr).not.toContain('✗');
    expect(outcome.stdout).toContain('2 passed, 0 failed');
    expect(outcome.code).toBe(0);
  });
});

describe('flowloom test through the CLI', () => {
  async function run(args: string[]): Promise<Outcome> {
    let stdout = '';
    let stderr = '';
    const code = await cli(args, { INIT_CWD: dir }, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
    return { code: code ?? -1, stdout, stderr };
  }

  it('exits 2 on bad input, naming the file and the field, before running anything', async () => {
    writeTest('bad.flowtest.json', {
      flow: 'chat',
      cases: [{ name: 'a', inputs: { question: 'x' }, expect: [{ type: 'regex', pattern: '[' }] }],
    });
    const bad = await run(['test', 'bad.flowtest.json']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      'flowloom: VALIDATION_FAILED: bad.flowtest.json: cases.0.expect.0.pattern: is not a valid',
    );
    expect(bad.stderr).toContain('\n  cases.0.expect.0.pattern: is not a valid regular expression');
    writeFileSync(join(dir, 'other.flowtest.json'), '{"format": "flowloom.flow/v1"}');
    const other = await run(['test', 'other.flowtest.json']);
    expect(other.stderr).toContain('other.flowtest.json: format: must be "flowloom.test/v1"');
    expect(other.code).toBe(2);
    expect((await run(['test', 'nowhere'])).code).toBe(2);
  });

  it('exits 2 on a bad --threshold or --junit', async () => {
    const threshold = await run(['test', 'chat.flowtest.json', '--threshold', '1.5']);
    expect(threshold.stderr).toContain('--threshold must be a pass rate from 0 to 1, got "1.5"');
    expect(threshold.code).toBe(2);
    expect((await run(['test', '--junit'])).code).toBe(2);
    expect((await run(['test', '--junit='])).code).toBe(2);
  });
});
