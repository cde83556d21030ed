import { expect, flowFixture, putFlow, test } from '../fixtures/editor';

test('cancels a running run, shows a failed node, and replays past runs from history', async ({
  page,
  request,
  editor,
}) => {
  await putFlow(request, flowFixture('chat', 'e2e-runs'));
  await editor.open('e2e-runs');
  await page.getByTestId('run-button').click();

  // A model call that never answers: cancel it from the top bar.
  await page.getByTestId('chat-input').fill('wait for me [[hang]]');
  await page.getByTestId('chat-send').click();
  await expect(editor.node('llm')).toHaveAttribute('data-status', 'running');
  await page.getByTestId('cancel-button').click();
  await expect(page.getByTestId('run-status')).toHaveText('cancelled');
  await expect(editor.node('llm')).toHaveAttribute('data-status', 'cancelled');
  await expect(editor.node('answer')).toHaveAttribute('data-status', 'idle');

  // A provider that keeps failing: the node shows its error, downstream stays idle.
  await page.getByTestId('chat-input').fill('break [[error:400]]');
  await page.getByTestId('chat-send').click();
  await expect(page.getByTestId('run-status')).toHaveText('failed');
  await expect(editor.node('llm')).toHaveAttribute('data-status', 'failed');
  await expect(page.getByTestId('node-error-llm')).not.toBeEmpty();
  await expect(page.getByTestId('chat-message-assistant').last()).toBeVisible();

  // A good run.
  await page.getByTestId('chat-input').fill('hello');
  await page.getByTestId('chat-send').click();
  await expect(page.getByTestId('run-status')).toHaveText('completed');

  // History lists the three runs; replaying the cancelled one puts its states back on the canvas.
  const runs = (await (await request.get('/api/runs?flowId=e2e-runs')).json()).runs as {
    runId: string;
    status: string;
  }[];
  expect(runs.map((r) => r.status).sort()).toEqual(['cancelled', 'completed', 'failed']);
  await page.getByTestId('bottom-tab-history').click();
  const cancelled = runs.find((r) => r.status === 'cancelled');
  const completed = runs.find((r) => r.status === 'completed');
  if (!cancelled || !completed) throw new Error('runs missing');
  await page.getByTestId(`run-history-item-${cancelled.runId}`).click();
  await expect(page.getByTestId('run-status')).toHaveText('cancelled');
  await expect(editor.node('llm')).toHaveAttribute('data-status', 'cancelled');
  await page.getByTestId('bottom-tab-history').click();
  await page.getByTestId(`run-history-item-${completed.runId}`).click();
  await expect(editor.node('llm')).toHaveAttribute('data-status', 'completed');
  await expect(page.getByTestId('node-text-llm')).toContainText('echo:');
  await expect(page.getByTestId('waterfall')).toContainText('llm');
});
