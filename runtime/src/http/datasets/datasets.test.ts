import { readFileSync } from 'node:fs';
import type { FlowFile } from '@flowloom/nodes';
import { checkTrainingFile, type FakeOpenAI, startFakeOpenAI } from '@flowloom/test/fake-openai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { exampleTokens } from '../../finetune/tokens.js';
import { chatFlow, echoFlow, nextMillisecond, startTestApp, type TestApp } from '../../testing/fixtures.js';

// Datasets over HTTP with the real store (docs/contracts.md §7).

let fake: FakeOpenAI;
let t: TestApp;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => fake.close());
beforeEach(async () => {
  fake.reset();
  t = await startTestApp({ openai: { baseURL: fake.url, apiKey: 'test' } });
  for (const flow of [echoFlow(), chatFlow()]) expect((await send('POST', '/api/flows', flow)).statusCode).toBe(201);
});
afterEach(async () => t.close());

function send(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) {
  return t.app.inject({ method, url, payload: payload as object });
}
async function dataset(id = 'qa'): Promise<void> {
  expect((await send('POST', '/api/datasets', { id, name: 'Questions' })).statusCode).toBe(201);
}
async function revision(id = 'qa'): Promise<number> {
  return (await send('GET', `/api/datasets/${id}`)).json().revision;
}

describe('datasets and items', () => {
  it('creates, lists, renames and deletes datasets; every change bumps the revision', async () => {
    const created = await send('POST', '/api/datasets', { name: 'Support questions', description: 'from tickets' });
    expect(created.statusCode).toBe(201);
    const { id } = created.json();
    expect(created.json()).toMatchObject({ id: expect.stringMatching(/^ds_/), revision: 1, itemCount: 0 });
    await dataset('qa');
    expect((await send('POST', '/api/datasets', { id: 'qa', name: 'again' })).statusCode).toBe(409);
    expect(
      (await send('GET', '/api/datasets'))
        .json()
        .datasets.map((d: { id: string }) => d.id)
        .sort(),
    ).toEqual([id, 'qa'].sort());
    const renamed = await send('PATCH', '/api/datasets/qa', { name: 'QA', description: null });
    expect(renamed.json()).toMatchObject({ name: 'QA', revision: 2 });
    expect((await send('DELETE', `/api/datasets/${id}`)).statusCode).toBe(204);
    const gone = await send('GET', `/api/datasets/${id}`);
    expect(gone.statusCode).toBe(404);
    expect(gone.json().error.code).toBe('DATASET_NOT_FOUND');
    expect((await send('DELETE', `/api/datasets/${id}`)).statusCode).toBe(404);
  });

  it('adds items all or none, pages them with a cursor, edits and deletes them', async () => {
    await dataset();
    const added = await send('POST', '/api/datasets/qa/items', {
      items: [
        { id: 'a', input: { question: 'one' }, expected: '1', split: 'train' },
        { input: { question: 'two' }, expected: { n: 2 }, metadata: { tag: 'x' } },
        { id: 'c', input: { question: 'three' }, split: 'test' },
      ],
    });
    expect(added.statusCode).toBe(201);
    expect(added.json().dataset).toMatchObject({ revision: 2, itemCount: 3 });
    const generated = added.json().items[1].id;
    expect(generated).toMatch(/^it_/);

    const taken = await send('POST', '/api/datasets/qa/items', {
      items: [
        { id: 'd', input: {} },
        { id: 'a', input: {} },
      ],
    });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error.details).toEqual([{ itemId: 'a', message: expect.any(String) }]);
    const bad = await send('POST', '/api/datasets/qa/items', {
      items: [{ input: 'text' }, { input: {}, split: 'a b' }],
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.map((d: { field: string }) => d.field)).toEqual(
      expect.arrayContaining(['body.items.0.input', 'body.items.1.split']),
    );
    const twice = await send('POST', '/api/datasets/qa/items', {
      items: [
        { id: 'x', input: {} },
        { id: 'x', input: {} },
      ],
    });
    expect(twice.json().error.details).toEqual([{ field: 'body.items.1.id', message: expect.any(String) }]);
    expect(await revision()).toBe(2);

    const first = (await send('GET', '/api/datasets/qa/items?limit=2')).json();
    expect(first.items.map((i: { id: string }) => i.id)).toEqual(['a', generated]);
    const second = (await send('GET', `/api/datasets/qa/items?limit=2&cursor=${first.cursor}`)).json();
    expect(second).toEqual({ items: [expect.objectContaining({ id: 'c' })] });
    const test = (await send('GET', '/api/datasets/qa/items?split=test')).json();
    expect(test.items.map((i: { id: string }) => i.id)).toEqual(['c']);

    const edited = await send('PATCH', '/api/datasets/qa/items/a', {
      expected: null,
      split: 'test',
      input: { question: '1?' },
    });
    expect(edited.json().item).toMatchObject({ id: 'a', input: { question: '1?' }, split: 'test' });
    expect(edited.json().item.expected).toBeUndefined();
    expect((await send('DELETE', '/api/datasets/qa/items/c')).statusCode).toBe(204);
    const missing = await send('DELETE', '/api/datasets/qa/items/c');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('DATASET_ITEM_NOT_FOUND');
    expect((await send('PATCH', '/api/datasets/nope/items/a', { split: null })).json().error.code).toBe(
      'DATASET_NOT_FOUND',
    );
    expect(await revision()).toBe(4);
  });
});

describe('items from runs', () => {
  it('takes run inputs with the output, or with a correction given as feedback, and a node span', async () => {
    await dataset();
    const chat = (await send('POST', '/api/flows/chat/runs', { inputs: { question: 'ping' } })).json();
    const echo = (await send('POST', '/api/flows/echo/runs', { inputs: { question: 'hello' } })).json();
    const fromOutputs = await send('POST', '/api/datasets/qa/items/from-runs', {
      runIds: [chat.runId, echo.runId],
      expected: 'output',
      split: 'train',
    });
    expect(fromOutputs.statusCode).toBe(201);
    expect(fromOutputs.json().items).toEqual([
      expect.objectContaining({ input: { question: 'ping' }, expected: 'echo: Q: ping', sourceRunId: chat.runId }),
      expect.objectContaining({ input: { question: 'hello' }, expected: 'hello', split: 'train' }),
    ]);

    await send('POST', `/api/runs/${chat.runId}/feedback`, { score: -1, correction: 'pong' });
    const fromCorrection = await send('POST', '/api/datasets/qa/items/from-runs', {
      runIds: [chat.runId],
      expected: 'correction',
    });
    expect(fromCorrection.json().items[0]).toMatchObject({ input: { question: 'ping' }, expected: 'pong' });
    // The correction written last counts: a feedback replaced after another was given is the newer one.
    for (const [id, correction] of [
      ['b', 'Y'],
      ['a', 'X'],
      ['b', 'Z (newest)'],
    ]) {
      await nextMillisecond();
      const given = await send('POST', `/api/runs/${chat.runId}/feedback`, { id, score: -1, correction });
      expect(given.statusCode).toBe(201);
    }
    const newest = await send('POST', '/api/datasets/qa/items/from-runs', {
      runIds: [chat.runId],
      expected: 'correction',
    });
    expect(newest.json().items[0]).toMatchObject({ expected: 'Z (newest)' });

    const span = await send('POST', '/api/datasets/qa/items/from-runs', {
      runIds: [chat.runId],
      expected: 'output',
      nodeId: 'prompt',
    });
    expect(span.json().items[0]).toMatchObject({
      input: { question: 'ping' },
      // A node with several outputs: all of them, by port.
      expected: { prompt: 'Q: ping', messages: [{ role: 'user', content: 'Q: ping' }] },
      sourceRunId: chat.runId,
      sourceNodeId: 'prompt',
    });
    expect((await send('GET', '/api/datasets/qa')).json().itemCount).toBe(5);
  });

  it('reads the runs and their feedback in one query each, and events only for a node’s span', async () => {
    await dataset();
    const runIds: string[] = [];
    for (const question of ['a', 'b', 'c']) {
      const { runId } = (await send('POST', '/api/flows/echo/runs', { inputs: { question } })).json();
      await send('POST', `/api/runs/${runId}/feedback`, { score: -1, correction: `${question}!` });
      runIds.push(runId);
    }
    const { store } = t.app.runtime;
    const calls: string[] = [];
    for (const name of ['getRun', 'getRuns', 'getEvents', 'listFeedback', 'listFeedbackOfRuns'] as const) {
      const original = store[name].bind(store) as (...args: unknown[]) => unknown;
      (store as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
        calls.push(name);
        return original(...args);
      };
    }
    const added = await send('POST', '/api/datasets/qa/items/from-runs', { runIds, expected: 'correction' });
    expect(added.json().items.map((item: { expected: string }) => item.expected)).toEqual(['a!', 'b!', 'c!']);
    expect(calls.sort()).toEqual(['getRuns', 'listFeedbackOfRuns']);
    calls.length = 0;
    await send('POST', '/api/datasets/qa/items/from-runs', { runIds, expected: 'output' });
    expect(calls).toEqual(['getRuns']);
  });

  it('adds nothing when one run lacks what is asked or does not exist', async () => {
    await dataset();
    const echo = (await send('POST', '/api/flows/echo/runs', { inputs: { question: 'hello' } })).json();
    const noCorrection = await send('POST', '/api/datasets/qa/items/from-runs', {
      runIds: [echo.runId],
      expected: 'correction',
    });
    expect(noCorrection.statusCode).toBe(400);
    expect(noCorrection.json().error.details).toEqual([{ field: 'body.runIds.0', message: expect.any(String) }]);
    const unknown = await send('POST', '/api/datasets/qa/items/from-runs', {
      runIds: [echo.runId, 'r_000000000000000000000000'],
      expected: 'output',
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('RUN_NOT_FOUND');
    const noNode = await send('POST', '/api/datasets/qa/items/from-runs', {
      runIds: [echo.runId],
      expected: 'output',
      nodeId: 'llm',
    });
    expect(noNode.statusCode).toBe(400);
    expect((await send('GET', '/api/datasets/qa')).json()).toMatchObject({ itemCount: 0, revision: 1 });
  });
});

describe('import and export', () => {
  it('imports CSV with a column mapping and JSONL, and exports both so they import back the same', async () => {
    await dataset();
    const csv = await send('POST', '/api/datasets/qa/import', {
      format: 'csv',
      content: 'qid,q,gold,level\nq1,What is 2+2?,4,1\nq2,"Capital, of France?",Paris,2\n',
      mapping: { id: 'qid', input: { question: 'q' }, expected: 'gold', metadata: ['level'] },
      split: 'test',
    });
    expect(csv.statusCode).toBe(201);
    expect(csv.json()).toMatchObject({ added: 2, dataset: { revision: 2, itemCount: 2 } });
    const jsonl = await send('POST', '/api/datasets/qa/import', {
      format: 'jsonl',
      content: '{"id":"j1","input":{"question":"Why?"},"expected":{"because":true}}\n',
    });
    expect(jsonl.json()).toMatchObject({ added: 1, dataset: { itemCount: 3 } });

    const exported = await send('GET', '/api/datasets/qa/export?format=jsonl');
    expect(exported.headers['content-type']).toContain('application/x-ndjson');
    expect(exported.headers['content-disposition']).toBe('attachment; filename="qa.jsonl"');
    const lines = exported.body
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toEqual([
      { id: 'q1', input: { question: 'What is 2+2?' }, expected: '4', metadata: { level: '1' }, split: 'test' },
      {
        id: 'q2',
        input: { question: 'Capital, of France?' },
        expected: 'Paris',
        metadata: { level: '2' },
        split: 'test',
      },
      { id: 'j1', input: { question: 'Why?' }, expected: { because: true } },
    ]);
    const testOnly = await send('GET', '/api/datasets/qa/export?format=csv&split=test');
    expect(testOnly.headers['content-disposition']).toBe('attachment; filename="qa-test.csv"');
    expect(testOnly.body).toBe(
      'id,input.question,expected,split,metadata,sourceRunId,sourceNodeId\r\n' +
        'q1,What is 2+2?,4,test,"{""level"":""1""}",,\r\n' +
        'q2,"Capital, of France?",Paris,test,"{""level"":""2""}",,\r\n',
    );

    await dataset('copy');
    expect(
      (await send('POST', '/api/datasets/copy/import', { format: 'jsonl', content: exported.body })).statusCode,
    ).toBe(201);
    expect(
      (
        await send('POST', '/api/datasets/copy/import', { format: 'csv', content: testOnly.body.replaceAll('q', 'Q') })
      ).json(),
    ).toMatchObject({ added: 2 });
    const copied = (await send('GET', '/api/datasets/copy/export?format=jsonl')).body.trim().split('\n');
    expect(copied.slice(0, 3).map((line) => JSON.parse(line))).toEqual(lines);
  });

  it('imports a CSV export back as it was: sources and metadata to their fields, with or without a mapping', async () => {
    await dataset();
    const items = [
      {
        id: 'a',
        input: { question: 'Why?' },
        expected: 'Because',
        metadata: { topic: 'sky', level: 2 },
        split: 'train',
        sourceRunId: 'r_0123456789abcdef01234567',
        sourceNodeId: 'llm',
      },
      { id: 'b', input: { question: 'How?' }, sourceRunId: 'r_0123456789abcdef0123456a' },
    ];
    expect((await send('POST', '/api/datasets/qa/items', { items })).statusCode).toBe(201);
    const csv = (await send('GET', '/api/datasets/qa/export?format=csv')).body;
    // The mapping the editor's import dialog sends for this header by default (editor import-dialog.test.ts).
    const editorMapping = {
      id: 'id',
      input: { question: 'input.question' },
      expected: 'expected',
      split: 'split',
      metadata: [{ column: 'metadata', as: 'json' }],
      sourceRunId: 'sourceRunId',
      sourceNodeId: 'sourceNodeId',
    };
    for (const [copy, mapping] of [
      ['plain', undefined],
      ['mapped', editorMapping],
      ['named', { ...editorMapping, metadata: ['metadata'] }],
    ] as const) {
      await dataset(copy);
      const imported = await send('POST', `/api/datasets/${copy}/import`, { format: 'csv', content: csv, mapping });
      expect(imported.statusCode, imported.body).toBe(201);
      const stored = (await send('GET', `/api/datasets/${copy}/items`)).json().items;
      expect(stored, copy).toEqual(
        items.map((item) => ({ ...item, createdAt: expect.any(String), updatedAt: expect.any(String) })),
      );
    }
  });

  it('names the mapped id column in an import’s id problems', async () => {
    await dataset();
    await send('POST', '/api/datasets/qa/items', { items: [{ id: 'dup', input: { question: 'x' } }] });
    const mapping = { id: 'qid', input: { question: 'q' } };
    const twice = await send('POST', '/api/datasets/qa/import', {
      format: 'csv',
      content: 'qid,q\nn1,a\nn1,b\n',
      mapping,
    });
    expect(twice.json().error.details).toEqual([
      { line: 3, column: 'qid', message: expect.stringContaining('line 2') },
    ]);
    const taken = await send('POST', '/api/datasets/qa/import', { format: 'csv', content: 'qid,q\ndup,a\n', mapping });
    expect(taken.json().error.details).toEqual([{ line: 2, column: 'qid', message: expect.stringContaining('"dup"') }]);
  });

  it('imports nothing when a line is bad, naming the line and the column', async () => {
    await dataset();
    const csv = await send('POST', '/api/datasets/qa/import', {
      format: 'csv',
      content: 'question,expected,n\nok,1,1\nfine,2,two\n',
      mapping: { input: { question: 'question', n: { column: 'n', as: 'number' } }, expected: 'expected' },
    });
    expect(csv.statusCode).toBe(400);
    expect(csv.json().error).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('line 3, column "n"'),
      details: [{ line: 3, column: 'n', message: '"two" is not a number' }],
    });
    const jsonl = await send('POST', '/api/datasets/qa/import', {
      format: 'jsonl',
      content: '{"input":{"question":"a"}}\n{"input":{"question":"b"}\n',
    });
    expect(jsonl.json().error.details).toEqual([
      { line: 2, column: expect.stringMatching(/^character/), message: expect.stringContaining('not JSON') },
    ]);
    const mapping = await send('POST', '/api/datasets/qa/import', {
      format: 'csv',
      content: 'a\n1\n',
      mapping: { input: { question: 'b' } },
    });
    expect(mapping.json().error.details).toEqual([
      { field: 'body.mapping.input.question', message: expect.any(String) },
    ]);

    await send('POST', '/api/datasets/qa/items', { items: [{ id: 'dup', input: { question: 'x' } }] });
    const taken = await send('POST', '/api/datasets/qa/import', {
      format: 'jsonl',
      content: '{"id":"new","input":{}}\n{"id":"dup","input":{}}\n{"id":"new","input":{}}\n',
    });
    expect(taken.json().error.details).toEqual([{ line: 3, column: 'id', message: expect.stringContaining('line 1') }]);
    const existing = await send('POST', '/api/datasets/qa/import', {
      format: 'jsonl',
      content: '{"id":"new","input":{}}\n{"id":"dup","input":{}}\n',
    });
    expect(existing.statusCode).toBe(400);
    expect(existing.json().error.details).toEqual([
      { line: 2, column: 'id', message: expect.stringContaining('"dup"') },
    ]);
    expect((await send('GET', '/api/datasets/qa')).json()).toMatchObject({ itemCount: 1, revision: 2 });
    expect((await send('POST', '/api/datasets/nope/import', { format: 'jsonl', content: '{}' })).statusCode).toBe(404);
  });
});

describe('fine-tuning export', () => {
  const conversation = [
    { role: 'system', content: 'Be terse.' },
    { role: 'user', content: 'hi' },
    { role: 'assistant', content: 'hello' },
    { role: 'user', content: 'bye?' },
  ];

  it('writes an example per item with an expected output, counts its tokens, and skips the rest', async () => {
    await dataset();
    const items = [
      { id: 'text', input: { question: 'Where is A1?' }, expected: 'Shipped.' },
      { id: 'chat', input: { messages: conversation }, expected: 'Bye.', split: 'train' },
      { id: 'json', input: { question: 'sum', numbers: [1, 2] }, expected: { total: 3 } },
      { id: 'open', input: { question: 'No answer yet' } },
    ];
    expect((await send('POST', '/api/datasets/qa/items', { items })).statusCode).toBe(201);
    const res = await send('GET', '/api/datasets/qa/export?format=openai-sft');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toContain('application/jsonl');
    expect(res.headers['content-disposition']).toBe('attachment; filename="qa-openai-sft.jsonl"');
    const lines = res.body
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toEqual([
      // A single text input is the user turn.
      {
        messages: [
          { role: 'user', content: 'Where is A1?' },
          { role: 'assistant', content: 'Shipped.', weight: 1 },
        ],
      },
      // A messages input is the conversation as it is; only the expected answer is learned.
      {
        messages: [
          ...conversation.map((m) => (m.role === 'assistant' ? { ...m, weight: 0 } : m)),
          { role: 'assistant', content: 'Bye.', weight: 1 },
        ],
      },
      // Other inputs and outputs as JSON.
      {
        messages: [
          { role: 'user', content: '{"question":"sum","numbers":[1,2]}' },
          { role: 'assistant', content: '{"total":3}', weight: 1 },
        ],
      },
    ]);
    expect(res.headers['x-flowloom-examples']).toBe('3');
    expect(res.headers['x-flowloom-skipped']).toBe('1');
    const counts = lines.map((line) => exampleTokens(line, 'gpt-4o-mini'));
    expect(Number(res.headers['x-flowloom-tokens'])).toBe(counts.reduce((a, b) => a + b, 0));
    expect(Number(res.headers['x-flowloom-max-example-tokens'])).toBe(Math.max(...counts));
    expect(checkTrainingFile(res.body)).toMatchObject({ summary: { examples: 3 } });
    // Another model's tokenizer; one split.
    const older = await send('GET', '/api/datasets/qa/export?format=openai-sft&model=gpt-3.5-turbo');
    expect(Number(older.headers['x-flowloom-tokens'])).toBe(
      lines.reduce((sum, line) => sum + exampleTokens(line, 'gpt-3.5-turbo'), 0),
    );
    const train = await send('GET', '/api/datasets/qa/export?format=openai-sft&split=train');
    expect(
      train.body
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual([lines[1]]);
    expect(train.headers['x-flowloom-skipped']).toBe('0');
  });

  it("makes an llm node's span the turns it sent and its text the answer; skips items with no user turn", async () => {
    await dataset();
    const flow = JSON.parse(
      readFileSync(new URL('../../../../flows/chat-history.flow.json', import.meta.url), 'utf8'),
    ) as FlowFile;
    expect((await send('POST', '/api/flows', flow)).statusCode).toBe(201);
    const history = [
      { role: 'user', content: 'hi, I am Ada' },
      { role: 'assistant', content: 'Hello Ada.' },
    ];
    const runIds: string[] = [];
    for (const inputs of [{ question: 'where is A1?' }, { question: 'and A2?', history }]) {
      const res = await send('POST', '/api/flows/chat-history/runs', { inputs });
      expect(res.json().status).toBe('completed');
      runIds.push(res.json().runId);
    }
    const fromSpans = await send('POST', '/api/datasets/qa/items/from-runs', {
      runIds,
      expected: 'output',
      nodeId: 'llm',
    });
    expect(fromSpans.statusCode, fromSpans.body).toBe(201);
    // The span's inputs and outputs as they are: the llm node's prompt and messages, its text and messages.
    expect(fromSpans.json().items[0]).toMatchObject({
      input: { prompt: 'where is A1?', messages: [] },
      expected: { text: 'echo: where is A1?', messages: expect.any(Array) },
    });
    const items = [
      // A whole run's `messages` input beside another input: the conversation, then that input as the user turn.
      { id: 'run', input: { messages: history, question: 'and A3?' }, expected: 'In transit.' },
      // No user turn to answer: left out and counted.
      { id: 'mute', input: { messages: [{ role: 'system', content: 'Be terse.' }] }, expected: 'Hm.' },
      { id: 'empty', input: {}, expected: 'Hm.' },
    ];
    expect((await send('POST', '/api/datasets/qa/items', { items })).statusCode).toBe(201);
    const res = await send('GET', '/api/datasets/qa/export?format=openai-sft');
    expect(res.statusCode, res.body).toBe(200);
    const earlier = [history[0], { ...history[1], weight: 0 }];
    expect(
      res.body
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual([
      {
        messages: [
          { role: 'user', content: 'where is A1?' },
          { role: 'assistant', content: 'echo: where is A1?', weight: 1 },
        ],
      },
      {
        messages: [
          ...earlier,
          { role: 'user', content: 'and A2?' },
          { role: 'assistant', content: 'echo: and A2?', weight: 1 },
        ],
      },
      {
        messages: [
          ...earlier,
          { role: 'user', content: 'and A3?' },
          { role: 'assistant', content: 'In transit.', weight: 1 },
        ],
      },
    ]);
    expect(res.headers['x-flowloom-examples']).toBe('3');
    expect(res.headers['x-flowloom-skipped']).toBe('2');
    expect(checkTrainingFile(res.body)).toMatchObject({ summary: { examples: 3 } });
  });

  it('refuses items whose messages do not fit, naming each; an empty dataset is an empty file', async () => {
    await dataset();
    const empty = await send('GET', '/api/datasets/qa/export?format=openai-sft');
    expect(empty.statusCode).toBe(200);
    expect(empty.body).toBe('');
    expect(empty.headers['x-flowloom-examples']).toBe('0');
    const items = [
      { id: 'fine', input: { question: 'q' }, expected: 'a' },
      { id: 'wizard', input: { messages: [{ role: 'wizard', content: 'x' }] }, expected: 'y' },
      { id: 'words', input: { messages: ['hi'] }, expected: 'z' },
    ];
    expect((await send('POST', '/api/datasets/qa/items', { items })).statusCode).toBe(201);
    const res = await send('GET', '/api/datasets/qa/export?format=openai-sft');
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [
        { field: 'items.wizard.input.messages', itemId: 'wizard', message: expect.stringContaining('role') },
        { field: 'items.words.input.messages', itemId: 'words', message: expect.stringContaining('object') },
      ],
    });
    const csv = await send('GET', '/api/datasets/qa/export?format=csv&model=gpt-4o');
    expect(csv.statusCode).toBe(400);
    expect(csv.json().error.details).toEqual([{ field: 'query.model', message: expect.any(String) }]);
  });
});

describe('preference pairs export (openai-dpo)', () => {
  /** The chat flow with a system prompt: the pairs' input is every message its call sent. */
  async function terseFlow(): Promise<void> {
    const flow = chatFlow('terse');
    const nodes = flow.nodes.map((node) =>
      node.id === 'llm' ? { ...node, params: { ...node.params, system: 'Be terse.' } } : node,
    );
    expect((await send('POST', '/api/flows', { ...flow, nodes })).statusCode).toBe(201);
  }
  async function ask(question: string): Promise<string> {
    const res = await send('POST', '/api/flows/terse/runs', { inputs: { question } });
    expect(res.json().status, res.body).toBe('completed');
    return res.json().runId;
  }
  async function fromRuns(body: Record<string, unknown>): Promise<void> {
    const res = await send('POST', '/api/datasets/qa/items/from-runs', body);
    expect(res.statusCode, res.body).toBe(201);
  }
  const pair = (question: string, preferred: string, rejected: string) => ({
    input: {
      messages: [
        { role: 'system', content: 'Be terse.' },
        { role: 'user', content: `Q: ${question}` },
      ],
    },
    preferred_output: [{ role: 'assistant', content: preferred }],
    non_preferred_output: [{ role: 'assistant', content: rejected }],
  });
  const jsonLines = (body: string) =>
    body
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));

  it('pairs an item whose expected corrects its run’s or node’s answer with that answer, on the messages sent', async () => {
    await dataset();
    await terseFlow();
    fake.enqueue({ text: 'No idea.' }, { text: 'It is A2.' }, { text: 'Fine.' });
    const whole = await ask('where is A1?');
    const node = await ask('where is A2?');
    const plain = await ask('where is A3?');
    const echo = (await send('POST', '/api/flows/echo/runs', { inputs: { question: 'hello' } })).json().runId;
    await send('POST', `/api/runs/${whole}/feedback`, { score: -1, correction: 'A1 shipped.' });
    await send('POST', `/api/runs/${node}/feedback`, { score: -1, nodeId: 'llm', correction: 'A2 is in transit.' });
    // A correction of the whole run, and one of the llm node.
    await fromRuns({ runIds: [whole], expected: 'correction' });
    await fromRuns({ runIds: [node], expected: 'correction', nodeId: 'llm' });
    // Skipped: the node's own output and a run's own output (nothing corrected), no source run, a run that is gone,
    // a run without a model call.
    await fromRuns({ runIds: [node], expected: 'output', nodeId: 'llm' });
    await fromRuns({ runIds: [plain], expected: 'output' });
    const items = [
      { input: { question: 'where?' }, expected: 'Here.' },
      { input: { question: 'gone' }, expected: 'Gone.', sourceRunId: 'r_000000000000000000000000' },
      { input: { question: 'hello' }, expected: 'Hi!', sourceRunId: echo },
    ];
    expect((await send('POST', '/api/datasets/qa/items', { items })).statusCode).toBe(201);

    const res = await send('GET', '/api/datasets/qa/export?format=openai-dpo');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toContain('application/jsonl');
    expect(res.headers['content-disposition']).toBe('attachment; filename="qa-openai-dpo.jsonl"');
    const lines = jsonLines(res.body);
    expect(lines).toEqual([
      pair('where is A1?', 'A1 shipped.', 'No idea.'),
      pair('where is A2?', 'A2 is in transit.', 'It is A2.'),
    ]);
    // The same pairs as the runs export makes of the corrections given as feedback.
    expect(jsonLines((await send('GET', '/api/runs/export?format=openai-dpo&flowId=terse')).body)).toEqual(lines);
    expect(res.headers['x-flowloom-examples']).toBe('2');
    expect(res.headers['x-flowloom-skipped']).toBe('5');
    // Tokens by the model each call used (the flow's gpt-4o-mini), or by `model`.
    const counts = lines.map((line) => exampleTokens(line, 'gpt-4o-mini'));
    expect(Number(res.headers['x-flowloom-tokens'])).toBe(counts.reduce((a, b) => a + b, 0));
    expect(Number(res.headers['x-flowloom-max-example-tokens'])).toBe(Math.max(...counts));
    const older = await send('GET', '/api/datasets/qa/export?format=openai-dpo&model=gpt-3.5-turbo');
    expect(Number(older.headers['x-flowloom-tokens'])).toBe(
      lines.reduce((sum, line) => sum + exampleTokens(line, 'gpt-3.5-turbo'), 0),
    );
    expect(checkTrainingFile(res.body)).toMatchObject({ summary: { format: 'dpo', examples: 2 } });

    // An item edited to say what the run answered makes no pair any more.
    const listed = (await send('GET', '/api/datasets/qa/items')).json().items as { id: string; sourceRunId?: string }[];
    const first = listed.find((item) => item.sourceRunId === whole)?.id;
    expect((await send('PATCH', `/api/datasets/qa/items/${first}`, { expected: 'No idea.' })).statusCode).toBe(200);
    const edited = await send('GET', '/api/datasets/qa/export?format=openai-dpo');
    expect(jsonLines(edited.body)).toEqual([lines[1]]);
    expect(edited.headers['x-flowloom-skipped']).toBe('6');
  });

  it('answers an empty file when no item makes a pair', async () => {
    await dataset();
    await terseFlow();
    const empty = await send('GET', '/api/datasets/qa/export?format=openai-dpo');
    expect(empty.statusCode).toBe(200);
    expect(empty.body).toBe('');
    expect(empty.headers).toMatchObject({ 'x-flowloom-examples': '0', 'x-flowloom-skipped': '0' });
    await fromRuns({ runIds: [await ask('anyone?')], expected: 'output' });
    const items = [{ input: { question: 'where?' }, expected: 'Here.' }];
    expect((await send('POST', '/api/datasets/qa/items', { items })).statusCode).toBe(201);
    const res = await send('GET', '/api/datasets/qa/export?format=openai-dpo');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toBe('');
    expect(res.headers).toMatchObject({
      'x-flowloom-examples': '0',
      'x-flowloom-tokens': '0',
      'x-flowloom-max-example-tokens': '0',
      'x-flowloom-skipped': '2',
    });
  });
});
