import { readFileSync } from 'node:fs';
import { expectAccessible } from '../fixtures/a11y';
import { expect, flowFixture, putFlow, test } from '../fixtures/editor';

// Fine-tuning from the Monitoring page (docs/api.md, Fine-tuning): the export's counts, a job started at the (fake)
// provider and followed to its model, which the llm node then offers in its model list.

test('starts a fine-tune from the monitoring page and offers its model to the llm node', async ({
  page,
  request,
  editor,
}) => {
  const flowId = 'fine-tuned-chat';
  await putFlow(request, flowFixture('chat', flowId));
  for (const question of ['Where is order A1001?', 'Can I return a lamp?']) {
    const res = await request.post(`/api/flows/${flowId}/runs`, { data: { inputs: { question } } });
    expect((await res.json()).status).toBe('completed');
  }

  await page.goto(`/#/monitoring/${flowId}`);
  await page.getByTestId('finetune-download').click();
  await expect(page.getByTestId('finetune-counts')).toContainText('2 examples from 2 runs');
  await page.getByTestId('finetune-suffix').fill('support');
  await page.getByTestId('finetune-start').click();
  const jobs = page.getByTestId('finetune-jobs');
  await expect(jobs).toContainText('gpt-4o-mini-2024-07-18');
  await expectAccessible(page, 'the monitoring page with a fine-tuning job');
  // The fake provider finishes a job in a few steps of 50 ms: refresh until it has.
  await expect(async () => {
    await page.getByTestId('finetune-refresh').click();
    await expect(jobs).toContainText('succeeded', { timeout: 1000 });
  }).toPass();
  await page.screenshot({ path: test.info().outputPath('monitoring-fine-tuning.png'), fullPage: true });
  const model = (await jobs.locator('code').first().textContent()) ?? '';
  expect(model).toMatch(/^ft:gpt-4o-mini-2024-07-18:.*support/);

  await editor.open(flowId);
  await editor.select('llm');
  await expect(page.locator(`datalist option[value="${model}"]`)).toHaveCount(1);
});

test("charts an experiment's evaluation scores and downloads its DPO pairs: the better target against the worse", async ({
  page,
  request,
}) => {
  // The chat fixture prefixes an instruction; `bare-chat` asks just the question, which the items expect echoed.
  const chat = flowFixture('chat', 'duel-chat');
  const bare = flowFixture('chat', 'duel-bare') as { nodes: { id: string; params?: Record<string, unknown> }[] };
  await putFlow(request, chat);
  await putFlow(request, {
    ...bare,
    nodes: bare.nodes.map((node) => (node.id === 'prompt' ? { ...node, params: { template: '{{question}}' } } : node)),
  });
  const dataset = await (await request.post('/api/datasets', { data: { name: 'Duel' } })).json();
  const items = ['ping', 'pong'].map((question) => ({ input: { question }, expected: `echo: ${question}` }));
  expect((await request.post(`/api/datasets/${dataset.id}/items`, { data: { items } })).status()).toBe(201);
  const started = await request.post('/api/experiments', {
    data: {
      name: 'prompt duel',
      datasetId: dataset.id,
      targets: [
        { flowId: 'duel-chat', version: 'draft' },
        { flowId: 'duel-bare', version: 'draft' },
      ],
      evaluators: [{ type: 'exact' }],
    },
  });
  expect(started.status()).toBe(202);
  const { experimentId } = await started.json();
  await expect
    .poll(async () => (await (await request.get(`/api/experiments/${experimentId}`)).json()).status)
    .toBe('completed');

  await page.goto('/#/monitoring');
  // The experiment's runs were scored: the monitoring page charts their evaluation scores.
  await expect(page.getByTestId('chart-evals').locator('canvas')).toBeVisible();
  await page.getByTestId('finetune-format').selectOption('openai-dpo');
  await expect(page.getByTestId('finetune-min-score')).toBeVisible();
  await page.getByTestId('finetune-pairs-from').selectOption({ label: 'Experiment prompt duel' });
  // The experiment names its runs: the feedback filter goes away.
  await expect(page.getByTestId('finetune-min-score')).toHaveCount(0);
  const download = page.waitForEvent('download');
  await page.getByTestId('finetune-download').click();
  await expect(page.getByTestId('finetune-counts')).toContainText('2 examples from 4 runs');
  const file = await download;
  expect(file.suggestedFilename()).toBe(`flowloom-${experimentId}-openai-dpo.jsonl`);
  await expectAccessible(page, 'the fine-tuning form with pairs from an experiment');
});

test('exports a dataset for fine-tuning from its page, with its counts, and its corrected runs as DPO pairs', async ({
  page,
  request,
}) => {
  const dataset = await (await request.post('/api/datasets', { data: { name: 'Tuning set' } })).json();
  const items = [
    { input: { question: 'Where is A1?' }, expected: 'Shipped.' },
    { input: { messages: [{ role: 'user', content: 'hi' }] }, expected: 'Hello.' },
    { input: { question: 'Not answered yet' } },
  ];
  expect((await request.post(`/api/datasets/${dataset.id}/items`, { data: { items } })).status()).toBe(201);
  await page.goto(`/#/datasets/${encodeURIComponent(dataset.id)}`);
  const download = page.waitForEvent('download');
  await page.getByTestId('export-openai-sft').click();
  await expect(page.getByTestId('dataset-finetune-counts')).toContainText('2 fine-tuning examples');
  await expect(page.getByTestId('dataset-finetune-counts')).toContainText('1 item(s) without an expected output');
  const file = await download;
  expect(file.suggestedFilename()).toBe(`${dataset.id}-openai-sft.jsonl`);

  // Runs whose answers were corrected, added with their corrections: DPO pairs, the correction preferred.
  const flowId = 'tuning-chat';
  await putFlow(request, flowFixture('chat', flowId));
  const runIds: string[] = [];
  for (const question of ['Where is order A1001?', 'Can I return a lamp?']) {
    const run = await (await request.post(`/api/flows/${flowId}/runs`, { data: { inputs: { question } } })).json();
    expect(run.status).toBe('completed');
    const feedback = await request.post(`/api/runs/${run.runId}/feedback`, {
      data: { score: -1, correction: `Corrected: ${question}` },
    });
    expect(feedback.status()).toBe(201);
    runIds.push(run.runId);
  }
  const added = await request.post(`/api/datasets/${dataset.id}/items/from-runs`, {
    data: { runIds, expected: 'correction' },
  });
  expect(added.status()).toBe(201);
  await page.reload();
  const pairs = page.waitForEvent('download');
  await page.getByTestId('export-openai-dpo').click();
  await expect(page.getByTestId('dataset-finetune-counts')).toContainText('2 preference pairs');
  await expect(page.getByTestId('dataset-finetune-counts')).toContainText(
    '3 item(s) without a run answer they correct',
  );
  const pairsFile = await pairs;
  expect(pairsFile.suggestedFilename()).toBe(`${dataset.id}-openai-dpo.jsonl`);
  const lines = readFileSync(await pairsFile.path(), 'utf8')
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line));
  expect(lines.map((line) => line.preferred_output)).toEqual([
    [{ role: 'assistant', content: 'Corrected: Where is order A1001?' }],
    [{ role: 'assistant', content: 'Corrected: Can I return a lamp?' }],
  ]);
  expect(lines[0].input.messages.at(-1).content).toContain('Where is order A1001?');
  await expectAccessible(page, 'the dataset page after a DPO export');
});
