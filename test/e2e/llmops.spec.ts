import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIRequestContext, Page } from '@playwright/test';
import { expect, flowFixture, putFlow, test } from '../fixtures/editor';

// The LLMOps loop in the editor (docs/contracts.md §7): a dataset made from runs, an experiment on two published
// versions and its comparison, and feedback from the chat playground and the widget.

/** The chat fixture with another prompt template. */
function chatWith(id: string, template: string): Record<string, unknown> {
  const flow = flowFixture('chat', id) as { nodes: { id: string; params?: Record<string, unknown> }[] };
  return {
    ...flow,
    nodes: flow.nodes.map((node) => (node.id === 'prompt' ? { ...node, params: { ...node.params, template } } : node)),
  };
}

async function publish(request: APIRequestContext, flowId: string, settings: Record<string, unknown> = {}) {
  const response = await request.post(`/api/flows/${flowId}/publish`, { data: { settings } });
  expect(response.status(), await response.text()).toBe(201);
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: test.info().outputPath(`${name}.png`), fullPage: true });
}

test('a dataset from runs, an experiment on two published versions, and its comparison', async ({ page, request }) => {
  const flowId = 'exp-chat';
  // v1 prefixes an instruction; v2 (and the draft) asks just the question.
  await putFlow(request, chatWith(flowId, 'Answer briefly and precisely.\n\nQuestion: {{question}}'));
  await publish(request, flowId);
  const v2 = chatWith(flowId, 'Question: {{question}}');
  expect((await request.put(`/api/flows/${flowId}`, { data: v2 })).status()).toBe(200);
  await publish(request, flowId);
  for (const question of ['ping', 'pong']) {
    const run = await request.post(`/api/flows/${flowId}/runs`, { data: { inputs: { question } } });
    expect((await run.json()).status).toBe('completed');
  }

  // A new dataset, then the two runs added to it from the editor's run history.
  await page.goto('/#/datasets');
  await page.getByTestId('dataset-name').fill('Questions from runs');
  await page.getByTestId('create-dataset').click();
  await expect(page.getByTestId('dataset-title')).toHaveText('Questions from runs');
  const datasetId = decodeURIComponent(new URL(page.url()).hash.replace('#/datasets/', ''));

  await page.goto(`/#/flows/${flowId}`);
  await expect(page.getByTestId('canvas')).toBeVisible();
  await page.getByTestId('toggle-bottom').click();
  await page.getByTestId('bottom-tab-history').click();
  const items = page.getByTestId('run-history').locator('[data-testid^="run-history-item-"]');
  await expect(items).toHaveCount(2);
  for (const index of [0, 1]) {
    await items.nth(index).click();
    await expect(page.getByTestId('run-status')).toHaveText('completed');
    await page.getByTestId('bottom-tab-history').click();
    const add = page.getByTestId('history-to-dataset');
    await add.getByRole('combobox', { name: 'Dataset' }).selectOption({ label: 'Questions from runs' });
    await add.getByRole('button', { name: 'Add to dataset' }).click();
    await expect(add.getByRole('status')).toContainText(index === 0 ? '(1 item)' : '(2 items)');
  }

  await page.goto(`/#/datasets/${encodeURIComponent(datasetId)}`);
  const table = page.getByTestId('items-table');
  await expect(table.locator('tbody tr')).toHaveCount(2);
  await expect(table).toContainText('echo: Question: ping');
  await shot(page, 'dataset');

  // The item dialog's "expected as" radio buttons are one group: the arrow keys move between them.
  await page.getByTestId('add-item').click();
  const dialog = page.getByTestId('item-dialog');
  await dialog.getByRole('radio', { name: 'text' }).focus();
  await page.keyboard.press('ArrowRight');
  await expect(dialog.getByRole('radio', { name: 'JSON' })).toBeChecked();
  await dialog.getByRole('button', { name: 'Cancel' }).click();

  // An experiment: v1 against v2, exact match and ROUGE-L.
  await page.goto('/#/experiments');
  await page.getByTestId('new-experiment').click();
  const form = page.getByTestId('new-experiment-form');
  await form.getByTestId('exp-dataset').selectOption(datasetId);
  await form.getByTestId('exp-target-flow-0').selectOption(flowId);
  await expect(form.getByTestId('exp-target-version-0')).toHaveValue('2');
  await form.getByTestId('exp-target-version-0').selectOption('1');
  await form.getByTestId('exp-add-target').click();
  await form.getByTestId('exp-target-flow-1').selectOption(flowId);
  await expect(form.getByTestId('exp-target-version-1')).toHaveValue('2');
  await shot(page, 'experiment-form');
  await form.getByTestId('exp-start').click();

  await expect(page.getByTestId('experiment-status')).toHaveText('completed');
  await expect(page.getByTestId('experiment-progress-text')).toContainText('4 / 4 cells');
  await expect(page.getByTestId('summary-pass-0')).toHaveText('0 %');
  await expect(page.getByTestId('summary-pass-1')).toHaveText('100 %');
  const comparison = page.getByTestId('compare-summary');
  await expect(comparison).toContainText('Mean difference +');
  await expect(comparison).toContainText('2 better, 0 worse');
  // Two items are too few to call the difference real, and the page says why; means count errors as 0.
  await expect(comparison).toContainText('not shown to be real');
  await expect(page.getByTestId('compare-note')).toContainText('Only 2 paired item(s): at least 10 are needed');
  await expect(page.locator('[data-testid^="summary-score-1-"]').first()).toContainText('2 of 2 scored');
  await expect(page.getByTestId('compare-table').locator('tbody tr')).toHaveCount(2);
  await expect(page.getByTestId('results-table').locator('tbody tr')).toHaveCount(2);
  await shot(page, 'experiment');

  // A cell's run opens on the canvas.
  await page
    .getByTestId('results-table')
    .getByRole('link', { name: /Open run of .* v2/ })
    .first()
    .click();
  await expect(page.getByTestId('canvas')).toBeVisible();
  await expect(page.getByTestId('run-status')).toHaveText('completed');
});

test('feedback in the chat playground: thumbs, and a correction that becomes a dataset item', async ({
  page,
  request,
  editor,
}) => {
  const flowId = 'feedback-chat';
  await putFlow(request, flowFixture('chat', flowId));
  const created = await request.post('/api/datasets', { data: { name: 'Corrections' } });
  const dataset = await created.json();
  await editor.open(flowId);
  await page.getByTestId('tab-run').click();
  await page.getByTestId('chat-input').fill('What is the capital of France?');
  await page.getByTestId('chat-send').click();
  await expect(page.getByTestId('chat-message-assistant')).toContainText('echo:');

  const bar = page.getByTestId('chat-feedback');
  await bar.getByRole('button', { name: 'Good answer' }).click();
  await expect(bar.getByRole('button', { name: 'Good answer' })).toHaveAttribute('aria-pressed', 'true');
  await expect(bar.getByRole('status')).toHaveText('Rated good');
  // The same thumb again withdraws it, and that is announced too (the status region stays).
  await bar.getByRole('button', { name: 'Good answer' }).click();
  await expect(bar.getByRole('status')).toHaveText('Rating withdrawn');
  await expect(bar.getByRole('button', { name: 'Good answer' })).toHaveAttribute('aria-pressed', 'false');
  // The other thumb replaces the first: one feedback per answer.
  await bar.getByRole('button', { name: 'Bad answer' }).click();
  await expect(bar.getByRole('button', { name: 'Bad answer' })).toHaveAttribute('aria-pressed', 'true');
  await expect(bar.getByRole('button', { name: 'Good answer' })).toHaveAttribute('aria-pressed', 'false');
  await expect(bar.getByRole('status')).toHaveText('Rated bad');

  await bar.getByTestId('chat-feedback-comment').click();
  await bar.getByLabel('Comment', { exact: true }).fill('Too chatty');
  await bar.getByLabel(/Correction/).fill('Paris.');
  await bar.getByTestId('chat-feedback-save').click();
  const add = bar.getByTestId('chat-feedback-to-dataset');
  await add.getByRole('combobox', { name: 'Dataset' }).selectOption(dataset.id);
  await add.getByRole('button', { name: 'Add correction to dataset' }).click();
  await expect(add.getByRole('status')).toContainText('Added to “Corrections”');
  await shot(page, 'chat-feedback');

  const runs = await (await request.get(`/api/runs?flowId=${flowId}`)).json();
  const detail = await (await request.get(`/api/runs/${runs.runs[0].runId}`)).json();
  expect(detail.feedback).toEqual([
    expect.objectContaining({ score: -1, comment: 'Too chatty', correction: 'Paris.', source: 'editor' }),
  ]);
  const stored = await (await request.get(`/api/datasets/${dataset.id}/items`)).json();
  expect(stored.items).toEqual([
    expect.objectContaining({
      input: { question: 'What is the capital of France?' },
      expected: 'Paris.',
      sourceRunId: runs.runs[0].runId,
    }),
  ]);
});

test('the widget shows thumbs on each answer and sends them with its key', async ({ page, request, baseURL }) => {
  const flowId = 'feedback-widget';
  await putFlow(request, flowFixture('chat', flowId));
  const keyResponse = await request.post('/api/keys', { data: { name: 'widget feedback', flows: [flowId] } });
  const { key } = await keyResponse.json();
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title></head>
<body><main><h1>Shop</h1><script src="${baseURL}/widget.js" data-flow="${flowId}" data-key="${key}"></script></main></body></html>`;
  const site = await serve(html);
  await publish(request, flowId, { allowedOrigins: [site.origin] });
  try {
    await page.goto(site.origin);
    await page.getByRole('button', { name: 'Open chat' }).click();
    await page.getByRole('textbox', { name: 'Message' }).fill('Where is my parcel?');
    await page.getByRole('button', { name: 'Send' }).click();
    const good = page.getByRole('button', { name: 'Good answer' });
    await expect(good).toBeVisible();
    await good.click();
    await expect(good).toHaveAttribute('aria-pressed', 'true');
    await shot(page, 'widget-thumbs');

    const runs = await (await request.get(`/api/runs?flowId=${flowId}`)).json();
    const detail = await (await request.get(`/api/runs/${runs.runs[0].runId}`)).json();
    expect(detail.feedback).toEqual([expect.objectContaining({ score: 1, source: 'widget' })]);
    // The same thumb again withdraws it.
    await good.click();
    await expect(good).toHaveAttribute('aria-pressed', 'false');
    const after = await (await request.get(`/api/runs/${runs.runs[0].runId}`)).json();
    expect(after.feedback).toEqual([]);
  } finally {
    await site.close();
  }
});

/** Serves one HTML page at `/` on another origin than the runtime's. */
function serve(html: string): Promise<{ origin: string; close(): Promise<void> }> {
  return new Promise((resolve) => {
    const server: Server = createServer((request, response) => {
      if (request.url === '/') response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
      else response.writeHead(404).end();
    });
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        origin: `http://127.0.0.1:${port}`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}
