import { blankFlow, expect, putFlow, test } from '../fixtures/editor';

test('builds a chat flow from scratch, saves, runs it live and inspects an output', async ({
  page,
  request,
  editor,
}) => {
  // A whole user journey in one test: three times the usual time limit, for a loaded machine.
  test.slow();
  await putFlow(request, blankFlow('e2e-build', 'Built by hand'));
  await editor.open('e2e-build');

  // Drag four kinds from the palette.
  await editor.dragKind('input', 120, 160);
  await editor.dragKind('prompt', 400, 160);
  await editor.dragKind('llm', 680, 160);
  await editor.dragKind('output', 680, 420);
  for (const id of ['input', 'prompt', 'llm', 'output']) await expect(editor.node(id)).toBeVisible();
  await expect(editor.saveStatus()).toHaveAttribute('data-state', /unsaved|saving|saved/);

  // Connect them; the prompt's {{question}} port comes from its template.
  await editor.connect('input', 'value', 'prompt', 'question');
  await editor.connect('prompt', 'prompt', 'llm', 'prompt');
  await editor.connect('llm', 'text', 'output', 'value');
  await expect(editor.edgeCount()).toHaveCount(3);

  // Set params in the inspector: the prompt template (CodeMirror, with {{variable}} completion) and a number.
  await editor.select('prompt');
  const template = page.getByTestId('param-template').locator('.cm-content');
  await template.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.type('Reply briefly. [[chunk-delay:400]] Question: {{que');
  await expect(page.locator('.cm-tooltip-autocomplete li[aria-selected="true"]')).toHaveText(/^question/);
  await page.keyboard.press('Enter');
  await expect(template).toContainText('{{question}}');
  await editor.select('llm');
  const temperature = page.getByTestId('param-temperature');
  await temperature.fill('3');
  await expect(page.getByTestId('param-error-temperature')).toContainText('at most 2');
  await temperature.fill('0.3');
  await expect(page.getByTestId('param-error-temperature')).toHaveCount(0);

  // Save with Ctrl+S.
  await editor.canvas.click({ position: { x: 20, y: 20 } });
  await page.keyboard.press('Control+S');
  await expect(editor.saveStatus()).toHaveAttribute('data-state', 'saved');
  const stored = await (await request.get('/api/flows/e2e-build')).json();
  expect(stored.nodes.find((n: { id: string }) => n.id === 'llm').params).toEqual({ temperature: 0.3 });
  expect(stored.edges).toHaveLength(3);
  expect(stored.nodes.find((n: { id: string }) => n.id === 'prompt').params.template).toContain('{{question}}');

  // Run from the chat playground and watch it live.
  await page.getByTestId('run-button').click();
  await page.getByTestId('chat-input').fill('What is Flowloom?');
  await page.getByTestId('chat-send').click();
  await expect(editor.node('llm')).toHaveAttribute('data-status', 'running');
  // The answer streams in word by word, on the node and in the chat, while the node is still running.
  await expect(page.getByTestId('chat-streaming')).toContainText('echo:');
  await expect(page.getByTestId('node-text-llm')).toContainText('echo:');
  await expect(editor.node('llm')).toHaveAttribute('data-status', 'completed');
  await expect(editor.node('output')).toHaveAttribute('data-status', 'completed');
  await expect(page.getByTestId('node-meta-llm')).toContainText('tok');
  await expect(page.getByTestId('chat-message-assistant')).toContainText(
    'echo: Reply briefly. Question: What is Flowloom?',
  );
  await expect(page.getByTestId('run-status')).toHaveText('completed');

  // The edge into the output carries the value that flowed.
  await expect(page.locator('[data-testid^="edge-value-llm.text"]')).toContainText('echo:');

  // Inspect a node's output, and its span in the trace.
  await page.getByTestId('tab-inspect').click();
  await editor.select('llm');
  await expect(page.getByTestId('inspector-outputs')).toContainText('echo: Reply briefly.');
  await page.getByTestId('span-llm').click();
  await expect(page.getByTestId('span-outputs')).toContainText('echo:');
  await expect(page.getByTestId('span-inspector')).toContainText('tokens');
});
