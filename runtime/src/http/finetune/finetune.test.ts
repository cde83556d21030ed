import { readFileSync } from 'node:fs';
import type { FlowFile } from '@flowloom/nodes';
import { checkTrainingFile, type FakeOpenAI, startFakeOpenAI } from '@flowloom/test/fake-openai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { exampleProblem } from '../../finetune/format.js';
import { countTokens, encodingFor } from '../../finetune/tokens.js';
import {
  chatFlow,
  experimentEnded,
  flowOf,
  nextMillisecond,
  startTestApp,
  type TestApp,
} from '../../testing/fixtures.js';

// Fine-tuning data and jobs (docs/contracts.md §7): runs → OpenAI fine-tuning JSONL (supervised and DPO), checked and
// counted; the file uploaded and a job started through the openai SDK against the fake OpenAI server.

let fake: FakeOpenAI;
let t: TestApp;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => fake.close());
beforeEach(async () => {
  fake.reset();
  t = await startTestApp({ openai: { baseURL: fake.url, apiKey: 'test' } });
  for (const flow of [historyFlow(), agentFlow()]) {
    expect((await post('/api/flows', flow)).statusCode).toBe(201);
  }
});
afterEach(async () => t.close());

/** question + history → llm (with a system prompt) → answer: `flows/chat-history.flow.json`. */
function historyFlow(): FlowFile {
  const flow = JSON.parse(
    readFileSync(new URL('../../../../flows/chat-history.flow.json', import.meta.url), 'utf8'),
  ) as FlowFile;
  const llm = flow.nodes.find((node) => node.type === 'llm');
  if (llm) llm.params = { ...llm.params, system: 'You are terse.' };
  return { ...flow, id: 'history' };
}

/** question → function-call (one tool) → answer. */
function agentFlow(): FlowFile {
  return flowOf(
    'agent',
    [
      ['question', 'input'],
      [
        'lookup',
        'tool-code',
        {
          name: 'lookup_order',
          description: 'Finds an order.',
          parameters: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
          code: "return 'shipped';",
        },
      ],
      ['agent', 'function-call', { system: 'Use the tools.', temperature: 0 }],
      ['answer', 'output'],
    ],
    ['question.value→agent.prompt', 'lookup.tool→agent.tools', 'agent.text→answer.value'],
  );
}

function post(url: string, payload: unknown) {
  return t.app.inject({ method: 'POST', url, payload: payload as object });
}
async function run(flowId: string, inputs: Record<string, unknown>): Promise<string> {
  const res = await post(`/api/flows/${flowId}/runs`, { inputs });
  expect(res.json().status).toBe('completed');
  return res.json().runId;
}
async function exported(query: string) {
  const res = await t.app.inject({ method: 'GET', url: `/api/runs/export?${query}` });
  expect(res.statusCode, res.body).toBe(200);
  const lines = res.body === '' ? [] : res.body.trimEnd().split('\n');
  return { res, lines: lines.map((line) => JSON.parse(line)) };
}

describe('GET /api/runs/export', () => {
  it('writes a supervised example per model call: the exact messages sent, the answer with weight 1', async () => {
    await run('history', {
      question: 'and my order?',
      history: [
        { role: 'user', content: 'hi, I am Ada' },
        { role: 'assistant', content: 'hello Ada' },
      ],
    });
    const { res, lines } = await exported('format=openai-sft&flowId=history');
    expect(res.headers['content-type']).toContain('application/jsonl');
    expect(lines).toEqual([
      {
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'user', content: 'hi, I am Ada' },
          { role: 'assistant', content: 'hello Ada', weight: 0 },
          { role: 'user', content: 'and my order?' },
          { role: 'assistant', content: 'echo: and my order?', weight: 1 },
        ],
      },
    ]);
    // What the model was really sent, message for message.
    expect(fake.chatRequests().at(-1)?.messages).toEqual(
      lines[0].messages.slice(0, -1).map(({ weight: _, ...m }: { weight?: number }) => m),
    );
    expect(res.headers['x-flowloom-examples']).toBe('1');
    expect(res.headers['x-flowloom-runs']).toBe('1');
    expect(Number(res.headers['x-flowloom-tokens'])).toBeGreaterThan(countTokens('echo: and my order?', 'gpt-4o-mini'));
    expect('summary' in checkTrainingFile(res.body)).toBe(true);
  });

  it('keeps tool calls, tool results and the tools offered', async () => {
    await run('agent', { question: '[[tool:lookup_order {"id":"A1"}]] where is A1?' });
    const { res, lines } = await exported('format=openai-sft&flowId=agent&nodeId=agent');
    expect(lines).toHaveLength(1);
    const [example] = lines;
    expect(example.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'lookup_order',
          description: 'Finds an order.',
          parameters: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        },
      },
    ]);
    const roles = example.messages.map((m: { role: string }) => m.role);
    expect(roles).toEqual(['system', 'user', 'assistant', 'tool', 'assistant']);
    const [, , call, result, answer] = example.messages;
    expect(call).toMatchObject({
      weight: 1,
      tool_calls: [{ type: 'function', function: { name: 'lookup_order', arguments: '{"id":"A1"}' } }],
    });
    expect(result).toMatchObject({ tool_call_id: call.tool_calls[0].id, content: expect.stringContaining('shipped') });
    expect(answer).toMatchObject({ role: 'assistant', weight: 1 });
    expect(exampleProblem(example)).toBeUndefined();
    expect('summary' in checkTrainingFile(res.body)).toBe(true);
  });

  it('pairs answers rated up and down to the same input as DPO preference pairs', async () => {
    fake.enqueue({ text: 'A1 shipped yesterday.' }, { text: 'No idea.' }, { text: 'Unrated answer.' });
    const good = await run('history', { question: 'where is A1?' });
    const bad = await run('history', { question: 'where is A1?' });
    await run('history', { question: 'where is A1?' });
    expect((await post(`/api/runs/${good}/feedback`, { score: 1 })).statusCode).toBe(201);
    expect((await post(`/api/runs/${bad}/feedback`, { score: -1 })).statusCode).toBe(201);
    const { res, lines } = await exported('format=openai-dpo');
    expect(lines).toEqual([
      {
        input: {
          messages: [
            { role: 'system', content: 'You are terse.' },
            { role: 'user', content: 'where is A1?' },
          ],
        },
        preferred_output: [{ role: 'assistant', content: 'A1 shipped yesterday.' }],
        non_preferred_output: [{ role: 'assistant', content: 'No idea.' }],
      },
    ]);
    expect(checkTrainingFile(res.body)).toMatchObject({ summary: { format: 'dpo', examples: 1 } });
    // minScore keeps the runs rated at least that well.
    const rated = await exported('format=openai-sft&minScore=0.5');
    expect(rated.lines.map((line) => line.messages.at(-1).content)).toEqual(['A1 shipped yesterday.']);
  });

  it('answers an empty file when nothing matches, and 400 for bad filters', async () => {
    await run('history', { question: 'x' });
    const none = await exported('format=openai-sft&flowId=agent');
    expect(none.res.body).toBe('');
    expect(none.res.headers['x-flowloom-examples']).toBe('0');
    expect((await exported('format=openai-sft&until=2000-01-01T00:00:00Z')).lines).toEqual([]);
    const bad = async (query: string, field: string) => {
      const res = await t.app.inject({ method: 'GET', url: `/api/runs/export?${query}` });
      expect(res.statusCode, query).toBe(400);
      expect(JSON.stringify(res.json().error), query).toContain(field);
    };
    await bad('format=csv', 'format');
    await bad('format=openai-sft&minScore=2', 'minScore');
    await bad('format=openai-sft&since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z', 'query.since');
  });
});

describe('DPO pairs from corrections', () => {
  const asked = (question: string) => ({
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: question },
    ],
  });
  const pair = (question: string, preferred: string, rejected: string) => ({
    input: asked(question),
    preferred_output: [{ role: 'assistant', content: preferred }],
    non_preferred_output: [{ role: 'assistant', content: rejected }],
  });

  it('pairs a correction of the run or of its node, preferred, with the answer it corrects; the newest counts', async () => {
    fake.enqueue({ text: 'No idea.' }, { text: 'It is A2.' }, { text: 'Same.' }, { text: 'Fine.' });
    const whole = await run('history', { question: 'where is A1?' });
    const node = await run('history', { question: 'where is A2?' });
    const same = await run('history', { question: 'where is A3?' });
    await run('history', { question: 'where is A4?' });
    const give = async (runId: string, body: Record<string, unknown>) => {
      const res = await post(`/api/runs/${runId}/feedback`, body);
      expect(res.statusCode, res.body).toBe(201);
    };
    // The same feedback given again replaces the correction: the newest counts.
    await give(whole, { id: 'fix', score: -1, correction: 'A1 is lost.' });
    await give(whole, { id: 'fix', score: -1, correction: 'A1 shipped yesterday.' });
    // A node's correction may be its answer, or its outputs as an object (`text`).
    await give(node, { id: 'fix', score: -1, nodeId: 'llm', correction: { text: 'A2 is in transit.' } });
    // A correction that says what the answer said makes no pair.
    await give(same, { score: 1, correction: 'Same.' });
    const { res, lines } = await exported('format=openai-dpo&flowId=history');
    expect(lines).toEqual([
      pair('where is A1?', 'A1 shipped yesterday.', 'No idea.'),
      pair('where is A2?', 'A2 is in transit.', 'It is A2.'),
    ]);
    expect(res.headers['x-flowloom-examples']).toBe('2');
    expect(Number(res.headers['x-flowloom-tokens'])).toBeGreaterThan(0);
    expect(checkTrainingFile(res.body)).toMatchObject({ summary: { format: 'dpo', examples: 2 } });
    // A withdrawn correction no longer counts.
    await give(node, { id: 'fix', score: null });
    expect((await exported('format=openai-dpo&flowId=history')).lines).toEqual([
      pair('where is A1?', 'A1 shipped yesterday.', 'No idea.'),
    ]);
  });

  it('counts the correction written last: a replaced feedback is newer than one given after it first was', async () => {
    fake.enqueue({ text: 'No idea.' });
    const runId = await run('history', { question: 'where is A1?' });
    for (const [id, correction] of [
      ['a', 'X'],
      ['b', 'Y'],
      ['a', 'Z (newest)'],
    ]) {
      await nextMillisecond();
      expect((await post(`/api/runs/${runId}/feedback`, { id, score: -1, correction })).statusCode).toBe(201);
    }
    expect((await exported('format=openai-dpo')).lines).toEqual([pair('where is A1?', 'Z (newest)', 'No idea.')]);
  });

  it('keeps the thumbs pairs beside the corrections, and a node correction names its node', async () => {
    fake.enqueue({ text: 'Good.' }, { text: 'Bad.' });
    const good = await run('history', { question: 'q' });
    const bad = await run('history', { question: 'q' });
    await post(`/api/runs/${good}/feedback`, { score: 1 });
    await post(`/api/runs/${bad}/feedback`, { score: -1, correction: 'Better.' });
    const { lines } = await exported('format=openai-dpo');
    expect(lines).toEqual([pair('q', 'Good.', 'Bad.'), pair('q', 'Better.', 'Bad.')]);
    // A correction on another node (the input) corrects no model call.
    await post(`/api/runs/${good}/feedback`, { score: -1, nodeId: 'question', correction: 'Other.' });
    expect((await exported('format=openai-dpo')).lines).toEqual([pair('q', 'Better.', 'Bad.')]);
  });
});

describe('DPO pairs from an experiment', () => {
  /** `terse` (a system prompt, the question as it is) and `chat` ("Q: {{question}}"): the model echoes. */
  async function experiment(): Promise<string> {
    const terse = chatFlow('terse');
    for (const node of terse.nodes) {
      if (node.id === 'prompt') node.params = { template: '{{question}}' };
      if (node.id === 'llm') node.params = { ...node.params, system: 'Answer tersely.' };
    }
    for (const flow of [terse, chatFlow('chat')]) expect((await post('/api/flows', flow)).statusCode).toBe(201);
    expect((await post('/api/datasets', { id: 'qa', name: 'QA' })).statusCode).toBe(201);
    const items = [
      { id: 'a', input: { question: 'ping' }, expected: 'echo: ping' },
      { id: 'b', input: { question: 'fails [[error:400]]' }, expected: 'x' },
      { id: 'c', input: { question: 'hi' }, expected: 'echo: Q: hi' },
    ];
    expect((await post('/api/datasets/qa/items', { items })).statusCode).toBe(201);
    const started = await post('/api/experiments', {
      datasetId: 'qa',
      targets: [
        { flowId: 'terse', version: 'draft' },
        { flowId: 'chat', version: 'draft' },
      ],
      evaluators: [{ type: 'exact' }, { type: 'contains', expected: 'echo' }],
    });
    expect(started.statusCode, started.body).toBe(202);
    const id: string = started.json().experimentId;
    expect(await experimentEnded(t.app, id)).toBe('completed');
    return id;
  }

  it("pairs the better target's model call with the worse one's on each item, on the winner's input", async () => {
    const id = await experiment();
    const { res, lines } = await exported(`format=openai-dpo&experimentId=${id}`);
    expect(lines).toEqual([
      // Item a: terse answers exactly; its input (a system prompt, the bare question) is the pair's.
      {
        input: {
          messages: [
            { role: 'system', content: 'Answer tersely.' },
            { role: 'user', content: 'ping' },
          ],
        },
        preferred_output: [{ role: 'assistant', content: 'echo: ping' }],
        non_preferred_output: [{ role: 'assistant', content: 'echo: Q: ping' }],
      },
      // Item b failed on both targets (no cell is done): no pair. Item c: chat wins, on its own input.
      {
        input: { messages: [{ role: 'user', content: 'Q: hi' }] },
        preferred_output: [{ role: 'assistant', content: 'echo: Q: hi' }],
        non_preferred_output: [{ role: 'assistant', content: 'echo: hi' }],
      },
    ]);
    expect(res.headers['x-flowloom-examples']).toBe('2');
    expect(res.headers['x-flowloom-runs']).toBe('4');
    expect(checkTrainingFile(res.body)).toMatchObject({ summary: { format: 'dpo', examples: 2 } });
    // By one evaluator: `contains` scores every cell alike, so there is no winner.
    expect((await exported(`format=openai-dpo&experimentId=${id}&evaluator=contains`)).lines).toEqual([]);
    expect((await exported(`format=openai-dpo&experimentId=${id}&evaluator=exact&nodeId=llm`)).lines).toHaveLength(2);
    // A node neither run has: no model call to pair.
    expect((await exported(`format=openai-dpo&experimentId=${id}&nodeId=prompt`)).lines).toEqual([]);
    // A DPO job from the experiment's pairs.
    const job = await post('/api/fine-tunes', {
      format: 'openai-dpo',
      experimentId: id,
      model: 'gpt-4o-mini-2024-07-18',
    });
    expect(job.statusCode, job.body).toBe(201);
    expect(job.json()).toMatchObject({ method: 'dpo', examples: 2 });
    expect(checkTrainingFile(fake.fileText(job.json().fileId) ?? '')).toMatchObject({ summary: { examples: 2 } });
  });

  it('refuses an unknown experiment or evaluator, and fields that do not go with experimentId', async () => {
    const id = await experiment();
    const refused = async (query: string, status: number, code: string, field: string) => {
      const res = await t.app.inject({ method: 'GET', url: `/api/runs/export?${query}` });
      expect(res.statusCode, query).toBe(status);
      expect(res.json().error.code, query).toBe(code);
      expect(JSON.stringify(res.json().error.details), query).toContain(field);
    };
    await refused('format=openai-dpo&experimentId=ex_nope', 404, 'EXPERIMENT_NOT_FOUND', 'query.experimentId');
    await refused(`format=openai-sft&experimentId=${id}`, 400, 'VALIDATION_FAILED', 'query.experimentId');
    await refused(`format=openai-dpo&experimentId=${id}&flowId=chat`, 400, 'VALIDATION_FAILED', 'query.flowId');
    await refused(`format=openai-dpo&experimentId=${id}&evaluator=bleu`, 400, 'VALIDATION_FAILED', 'query.evaluator');
    await refused('format=openai-dpo&evaluator=exact', 400, 'VALIDATION_FAILED', 'query.evaluator');
    const job = await post('/api/fine-tunes', { experimentId: id, model: 'gpt-4o-mini-2024-07-18' });
    expect(job.statusCode).toBe(400);
    expect(JSON.stringify(job.json().error.details)).toContain('body.experimentId');
    expect(fake.files()).toHaveLength(0);
  });
});

describe('fine-tuning jobs', () => {
  it('uploads the export, starts a job, follows it to its model, and offers the model to llm nodes', async () => {
    await run('history', { question: 'where is A1?' });
    await run('history', { question: 'where is A2?' });
    const started = await post('/api/fine-tunes', {
      flowId: 'history',
      model: 'gpt-4o-mini-2024-07-18',
      suffix: 'support',
    });
    expect(started.statusCode, started.body).toBe(201);
    const job = started.json();
    expect(job).toMatchObject({ method: 'supervised', examples: 2, baseModel: 'gpt-4o-mini-2024-07-18' });
    expect(job.tokens).toBeGreaterThan(0);
    // The uploaded file is the export, accepted by the provider's own check.
    expect(fake.files()).toHaveLength(1);
    expect(checkTrainingFile(fake.fileText(job.fileId) ?? '')).toMatchObject({ summary: { examples: 2 } });
    expect(fake.fineTuningJobs()[0]?.method?.type).toBe('supervised');

    let current = job;
    while (!['succeeded', 'failed', 'cancelled'].includes(current.status)) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      current = (await t.app.inject({ method: 'GET', url: `/api/fine-tunes/${job.id}` })).json();
    }
    expect(current.status).toBe('succeeded');
    expect(current.fineTunedModel).toMatch(/^ft:gpt-4o-mini-2024-07-18:.*support/);
    const listed = (await t.app.inject({ method: 'GET', url: '/api/fine-tunes' })).json().jobs;
    expect(listed.map((j: { id: string; status: string }) => [j.id, j.status])).toEqual([[job.id, 'succeeded']]);
    const models = (await t.app.inject({ method: 'GET', url: '/api/models' })).json().models;
    expect(models).toEqual([{ id: current.fineTunedModel, baseModel: 'gpt-4o-mini-2024-07-18', jobId: job.id }]);

    // The model answers an llm node.
    const tuned = historyFlow();
    tuned.id = 'tuned';
    const llm = tuned.nodes.find((node) => node.type === 'llm');
    if (llm) llm.params = { ...llm.params, model: current.fineTunedModel };
    await post('/api/flows', tuned);
    await run('tuned', { question: 'hello tuned' });
    expect(fake.chatRequests().at(-1)?.model).toBe(current.fineTunedModel);
  });

  it('starts a DPO job from preference pairs; refuses an export with nothing in it; 404 for an unknown job', async () => {
    fake.enqueue({ text: 'Good.' }, { text: 'Bad.' });
    const good = await run('history', { question: 'q' });
    const bad = await run('history', { question: 'q' });
    await post(`/api/runs/${good}/feedback`, { score: 1 });
    await post(`/api/runs/${bad}/feedback`, { score: -1 });
    const dpo = await post('/api/fine-tunes', { format: 'openai-dpo', model: 'gpt-4o-mini-2024-07-18' });
    expect(dpo.statusCode, dpo.body).toBe(201);
    expect(dpo.json()).toMatchObject({ method: 'dpo', examples: 1 });
    expect(fake.fineTuningJobs().at(-1)?.method?.type).toBe('dpo');
    const empty = await post('/api/fine-tunes', { flowId: 'agent', model: 'gpt-4o-mini-2024-07-18' });
    expect(empty.statusCode).toBe(400);
    expect(fake.files()).toHaveLength(1);
    expect((await t.app.inject({ method: 'GET', url: '/api/fine-tunes/ftjob-nope' })).statusCode).toBe(404);
  });
});

describe('format and tokens', () => {
  it('finds what breaks the format', () => {
    const answer = { role: 'assistant', content: 'ok' };
    expect(exampleProblem({ messages: [{ role: 'user', content: 'q' }, answer] })).toBeUndefined();
    expect(exampleProblem({ messages: [{ role: 'user', content: 'q' }] })).toMatch(/no assistant message/);
    expect(exampleProblem({ messages: [{ role: 'wizard', content: 'q' }, answer] })).toMatch(/role/);
    expect(exampleProblem({ messages: [{ role: 'user', content: 'q', weight: 1 }, answer] })).toMatch(/weight/);
    expect(exampleProblem({ messages: [{ role: 'tool', content: 'x', tool_call_id: 'c1' }, answer] })).toMatch(
      /names no earlier tool call/,
    );
    expect(exampleProblem({ messages: [answer], extra: 1 })).toMatch(/unknown field "extra"/);
    expect(
      exampleProblem({
        input: { messages: [{ role: 'user', content: 'q' }] },
        preferred_output: [answer, answer],
        non_preferred_output: [answer],
      }),
    ).toMatch(/preferred_output must be one assistant message/);
  });

  it("counts with the model's encoding", () => {
    expect(encodingFor('gpt-4o-mini')).toBe('o200k');
    expect(encodingFor('ft:gpt-4o-mini-2024-07-18:org::abc')).toBe('o200k');
    expect(encodingFor('gpt-3.5-turbo')).toBe('cl100k');
    expect(countTokens('hello world', 'gpt-4o')).toBe(2);
    expect(countTokens('', 'gpt-4o')).toBe(0);
  });
});
