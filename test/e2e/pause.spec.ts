import { expect, flowFixture, putFlow, test } from '../fixtures/editor';

// Breakpoints and approval nodes in the editor (docs/contracts.md §9), against the real runtime and the fake OpenAI.

test('a breakpoint set with F9 pauses the run; edited inputs, Step, then Continue finish it', async ({
  page,
  request,
  editor,
}) => {
  await putFlow(request, flowFixture('chat', 'e2e-pause'));
  await editor.open('e2e-pause');
  await editor.select('llm');
  await page.keyboard.press('F9');
  await expect(page.getByTestId('breakpoint-llm')).toBeVisible();
  await expect(page.getByTestId('breakpoint-toggle')).toHaveAttribute('aria-pressed', 'true');

  await page.getByTestId('run-button').click();
  await page.getByTestId('chat-input').fill('hello');
  await page.getByTestId('chat-send').click();
  await expect(editor.node('llm')).toHaveAttribute('data-status', 'paused');
  await expect(page.getByTestId('run-status')).toHaveText('paused');
  const panel = page.getByRole('region', { name: 'Run paused' });
  await expect(panel).toBeVisible();
  const inputs = panel.getByLabel('Inputs (JSON)');
  await expect(inputs).toHaveValue(/"prompt": ".*Question: hello"/);
  await page.screenshot({ path: test.info().outputPath('paused.png') });

  // Everything by keyboard: the inputs, then Step.
  await inputs.fill('{"prompt": "Q: edited"}');
  await inputs.press('Tab');
  await expect(panel.getByRole('button', { name: 'Continue' })).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(panel.getByRole('button', { name: 'Step' })).toBeFocused();
  await page.keyboard.press('Enter');
  // Step: the model node runs with the edited inputs, the run pauses again before the next node.
  await expect(editor.node('answer')).toHaveAttribute('data-status', 'paused');
  await expect(editor.node('llm')).toHaveAttribute('data-status', 'completed');
  await expect(page.getByTestId('node-text-llm')).toContainText('echo: Q: edited');
  await panel.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByTestId('run-status')).toHaveText('completed');
  await expect(panel).toBeHidden();

  // The breakpoint is editor state only: the saved flow does not carry it.
  const saved = await (await request.get('/api/flows/e2e-pause')).json();
  expect(JSON.stringify(saved)).not.toContain('breakpoint');
});

test('an approval node waits for Approve, with the value edited in the panel', async ({ page, request, editor }) => {
  await putFlow(request, {
    format: 'flowloom.flow/v1',
    id: 'e2e-approval',
    name: 'Approval',
    nodes: [
      { id: 'question', type: 'input', position: { x: 0, y: 0 } },
      { id: 'approve', type: 'approval', position: { x: 300, y: 0 }, params: { message: 'Send this answer?' } },
      { id: 'answer', type: 'output', position: { x: 620, y: 0 } },
    ],
    edges: [
      { id: 'e1', source: 'question', sourcePort: 'value', target: 'approve', targetPort: 'value' },
      { id: 'e2', source: 'approve', sourcePort: 'value', target: 'answer', targetPort: 'value' },
    ],
  });
  await editor.open('e2e-approval');
  await page.getByTestId('run-button').click();
  await page.getByTestId('chat-input').fill('draft answer');
  await page.getByTestId('chat-send').click();
  await expect(editor.node('approve')).toHaveAttribute('data-status', 'paused');
  const panel = page.getByRole('region', { name: 'Run paused' });
  await expect(panel).toContainText('Send this answer?');
  await expect(panel.getByRole('button', { name: 'Reject' })).toBeVisible();
  const value = panel.getByLabel('Value to pass on if approved (text)');
  await expect(value).toHaveValue('draft answer');
  await value.fill('final answer');
  await page.screenshot({ path: test.info().outputPath('approval.png') });
  await panel.getByRole('button', { name: 'Approve' }).click();
  await expect(page.getByTestId('run-status')).toHaveText('completed');
  await expect(editor.node('answer')).toHaveAttribute('data-status', 'completed');
  const runs = (await (await request.get('/api/runs?flowId=e2e-approval')).json()).runs as { outputs?: unknown }[];
  expect(runs[0]?.outputs).toEqual({ answer: 'final answer' });
});
