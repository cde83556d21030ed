import { expectAccessible } from '../fixtures/a11y';
import { expect, flowFixture, putFlow, test } from '../fixtures/editor';

// Debugging with past runs (issue 13 §3): replaying a run puts its inputs back in the run form; two runs compare side
// by side, their differences marked.

interface Run {
  runId: string;
  inputs: Record<string, unknown>;
  sessionId?: string;
}

test('replaying a run from history puts its inputs and session back in the run form, ready to run again', async ({
  page,
  request,
  editor,
}) => {
  const flowId = 'e2e-replay-inputs';
  // The chat flow with an optional JSON input beside its question.
  const flow = flowFixture('chat', flowId) as { nodes: unknown[] };
  flow.nodes.push({
    id: 'options',
    type: 'input',
    position: { x: 0, y: 260 },
    params: { name: 'options', dataType: 'json', required: false },
  });
  await putFlow(request, flow);
  await editor.open(flowId);
  await page.getByTestId('run-button').click();
  await page.getByTestId('run-mode-form').click();

  const question = page.getByTestId('run-input-question');
  const options = page.getByTestId('run-input-options');
  const session = page.getByTestId('run-session');
  await question.fill('Where is my parcel?');
  await options.fill('{"tone": "dry", "limit": 2}');
  await page.getByText('Run options').click();
  await session.fill('user-42');
  await page.getByTestId('run-submit').click();
  await expect(page.getByTestId('run-status')).toHaveText('completed');

  await question.fill('Something else');
  await options.fill('');
  await session.fill('');
  await page.getByTestId('run-submit').click();
  await expect(page.getByTestId('run-outputs')).toContainText('Something else');

  const listed = (await (await request.get(`/api/runs?flowId=${flowId}`)).json()).runs as Run[];
  const first = listed.at(-1);
  if (!first || listed.length !== 2) throw new Error('two runs expected');
  await page.getByTestId('bottom-tab-history').click();
  await page.getByTestId(`run-history-item-${first.runId}`).click();
  await expect(page.getByTestId('run-form-restored')).toContainText(first.runId);
  await expect(question).toHaveValue('Where is my parcel?');
  await expect(options).toHaveValue('{\n  "tone": "dry",\n  "limit": 2\n}');
  await expect(session).toHaveValue('user-42');
  await page.screenshot({ path: test.info().outputPath('replay-inputs.png') });

  // Run again as it was: the same inputs and session reach the runtime.
  await page.getByTestId('run-submit').click();
  await expect
    .poll(async () => ((await (await request.get(`/api/runs?flowId=${flowId}`)).json()).runs as Run[]).length)
    .toBe(3);
  const [again] = (await (await request.get(`/api/runs?flowId=${flowId}`)).json()).runs as Run[];
  const detail = (await (await request.get(`/api/runs/${again?.runId}`)).json()) as Run;
  expect(detail.inputs).toEqual({ question: 'Where is my parcel?', options: { tone: 'dry', limit: 2 } });
  expect(detail.sessionId).toBe('user-42');
  await expect(page.getByTestId('run-status')).toHaveText('completed');

  // A change makes them the user's own inputs: the note goes.
  await question.fill('Where is my parcel? (again)');
  await expect(page.getByTestId('run-form-restored')).toHaveCount(0);
});

test('two runs side by side: inputs, each node’s outputs, time and cost, the differences marked', async ({
  page,
  request,
  editor,
}) => {
  const flowId = 'e2e-compare-runs';
  await putFlow(request, flowFixture('chat', flowId));
  const run = async (question: string) => {
    const answer = await request.post(`/api/flows/${flowId}/runs`, { data: { inputs: { question } } });
    expect(answer.status()).toBe(200);
    return ((await answer.json()) as Run).runId;
  };
  const first = await run('How do I reset my password?');
  const same = await run('How do I reset my password?');
  const other = await run('Can I change my plan? [[latency:600]]');

  await editor.open(flowId);
  await page.getByTestId('toggle-bottom').click();
  await page.getByTestId('bottom-tab-history').click();
  const compare = page.getByTestId('compare-runs');
  await expect(compare).toHaveAttribute('aria-disabled', 'true');

  // The same question twice: the inputs, the outputs and every node's outputs are the same.
  await page.getByTestId(`run-pick-${first}`).check();
  await page.getByTestId(`run-pick-${same}`).check();
  await compare.click();
  const dialog = page.getByTestId('run-compare');
  await expect(dialog.getByTestId('compare-row-input:question')).toHaveAttribute('data-differs', 'false');
  await expect(dialog.getByTestId('compare-row-output:answer')).toHaveAttribute('data-differs', 'false');
  for (const node of ['question', 'prompt', 'llm', 'answer']) {
    await expect(dialog.getByTestId(`compare-row-${node}:result`)).toHaveAttribute('data-differs', 'false');
    await expect(dialog.getByTestId(`compare-row-${node}:status`)).toContainText('completed');
  }
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);

  // Another question: what it changed is marked, in words.
  await page.getByTestId(`run-pick-${same}`).uncheck();
  await page.getByTestId(`run-pick-${other}`).check();
  await compare.click();
  const input = dialog.getByTestId('compare-row-input:question');
  await expect(input).toHaveAttribute('data-differs', 'true');
  await expect(input).toContainText('differs');
  await expect(input.locator('td').nth(0)).toHaveText('How do I reset my password?');
  await expect(input.locator('td').nth(1)).toHaveText('Can I change my plan? [[latency:600]]');
  for (const node of ['question', 'prompt', 'llm', 'answer'])
    await expect(dialog.getByTestId(`compare-row-${node}:result`)).toHaveAttribute('data-differs', 'true');
  await expect(dialog.getByTestId('compare-row-llm:result').locator('td').nth(1)).toContainText(
    'Can I change my plan?',
  );
  await expect(dialog.getByTestId('compare-row-question:status')).toHaveAttribute('data-differs', 'false');
  // Each side's time and cost, as the trace tells them.
  for (const cell of await dialog.getByTestId('compare-row-llm:time').locator('td').all())
    await expect(cell).toHaveText(/\d+(\.\d+)? m?s/);
  for (const cell of await dialog.getByTestId('compare-row-llm:cost').locator('td').all())
    await expect(cell).toHaveText(/^\$\d/);
  await expect(dialog.getByTestId('compare-count')).toHaveText(/^\d+ differences, marked “differs”\.$/);
  await expectAccessible(page, 'the run comparison');
  await dialog.screenshot({ path: test.info().outputPath('compare-runs.png') });
  await page.emulateMedia({ colorScheme: 'light' });
  await expectAccessible(page, 'the run comparison, light');
  await dialog.screenshot({ path: test.info().outputPath('compare-runs-light.png') });

  // Only the differences: the rows that agree go.
  await dialog.getByTestId('compare-only-diffs').check();
  await expect(dialog.getByTestId('compare-row-question:status')).toHaveCount(0);
  await expect(input).toBeVisible();
});
