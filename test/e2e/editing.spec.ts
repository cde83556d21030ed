import { readFile } from 'node:fs/promises';
import { expect, flowFixture, putFlow, test } from '../fixtures/editor';

test('refuses an incompatible connection and says why while dragging', async ({ page, request, editor }) => {
  await putFlow(request, flowFixture('chat', 'e2e-refuse'));
  await editor.open('e2e-refuse');
  await expect(editor.edgeCount()).toHaveCount(3);
  // llm.messages (messages) → prompt.question (text) is not allowed.
  await editor.startConnection(editor.outPort('llm', 'messages'), editor.inPort('prompt', 'question'));
  await expect(page.getByTestId('connect-hint')).toContainText('a messages output cannot feed a text input');
  await page.mouse.up();
  await expect(page.getByTestId('connect-hint')).toHaveCount(0);
  await expect(editor.edgeCount()).toHaveCount(3);
  await expect(editor.saveStatus()).toHaveAttribute('data-state', 'saved');
});

test('undoes and redoes node, edge and param edits with the keyboard', async ({ page, request, editor }) => {
  await putFlow(request, flowFixture('chat', 'e2e-undo'));
  await editor.open('e2e-undo');

  // A param edit: typing coalesces into one undo step.
  await editor.select('llm');
  await page.getByTestId('param-temperature').fill('1.5');
  await expect(editor.node('llm')).toContainText('1.5');
  await editor.canvas.click({ position: { x: 10, y: 10 } });
  await page.keyboard.press('Control+Z');
  await expect(editor.node('llm')).toContainText('0.2');
  await page.keyboard.press('Control+Shift+Z');
  await expect(editor.node('llm')).toContainText('1.5');

  // Deleting a node removes its edges; undo brings both back, redo removes them again (Ctrl+Y).
  await editor.select('prompt');
  await page.keyboard.press('Delete');
  await expect(editor.node('prompt')).toHaveCount(0);
  await expect(editor.edgeCount()).toHaveCount(1);
  await page.keyboard.press('Control+Z');
  await expect(editor.node('prompt')).toBeVisible();
  await expect(editor.edgeCount()).toHaveCount(3);
  await page.keyboard.press('Control+Y');
  await expect(editor.node('prompt')).toHaveCount(0);
  await page.keyboard.press('Control+Z');

  // A drag is one step.
  const before = await editor.node('answer').boundingBox();
  if (!before) throw new Error('answer not visible');
  await editor.node('answer').locator('.node-header').hover();
  await page.mouse.down();
  await page.mouse.move(before.x + 60, before.y + 180, { steps: 12 });
  await page.mouse.up();
  await expect.poll(async () => (await editor.node('answer').boundingBox())?.y).toBeGreaterThan(before.y + 100);
  await page.keyboard.press('Control+Z');
  await expect
    .poll(async () => Math.round((await editor.node('answer').boundingBox())?.y ?? 0))
    .toBe(Math.round(before.y));

  // Autosave writes what the undo left.
  await expect(editor.saveStatus()).toHaveAttribute('data-state', 'saved');
  const stored = await (await request.get('/api/flows/e2e-undo')).json();
  expect(stored.nodes.map((n: { id: string }) => n.id)).toContain('prompt');
  expect(stored.nodes.find((n: { id: string }) => n.id === 'llm').params.temperature).toBe(1.5);
});

test('copies nodes as flow JSON and pastes them into another flow', async ({ page, context, request, editor }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await putFlow(request, flowFixture('chat', 'e2e-copy-a'));
  await putFlow(request, { format: 'flowloom.flow/v1', id: 'e2e-copy-b', name: 'Target', nodes: [], edges: [] });
  await editor.open('e2e-copy-a');
  await editor.select('prompt');
  await editor
    .node('llm')
    .locator('.node-header')
    .click({ modifiers: ['Shift'] });
  await page.keyboard.press('Control+C');
  const copied = JSON.parse(await page.evaluate(() => navigator.clipboard.readText()));
  expect(copied.format).toBe('flowloom.flow/v1');
  expect(copied.nodes.map((n: { id: string }) => n.id)).toEqual(['prompt', 'llm']);
  expect(copied.edges).toHaveLength(1);

  await page.getByTestId('back-to-flows').click();
  await page.getByTestId('open-flow-e2e-copy-b').click();
  await expect(editor.canvas).toBeVisible();
  await editor.canvas.click({ position: { x: 300, y: 200 } });
  await page.keyboard.press('Control+V');
  await expect(editor.node('prompt')).toBeVisible();
  await expect(editor.node('llm')).toBeVisible();
  await expect(editor.edgeCount()).toHaveCount(1);
  await expect(editor.saveStatus()).toHaveAttribute('data-state', 'saved');
  const stored = await (await request.get('/api/flows/e2e-copy-b')).json();
  expect(stored.nodes).toHaveLength(2);
});

test('shows a save conflict instead of overwriting an edit made elsewhere', async ({ page, request, editor }) => {
  await putFlow(request, flowFixture('chat', 'e2e-conflict'));
  await editor.open('e2e-conflict');
  // Someone else saves a new version.
  const stored = await (await request.get('/api/flows/e2e-conflict')).json();
  const put = await request.put('/api/flows/e2e-conflict', { data: { ...stored, name: 'Changed elsewhere' } });
  expect(put.status()).toBe(200);
  // Our edit then conflicts.
  await page.getByTestId('flow-name').fill('Mine');
  await page.keyboard.press('Control+S');
  await expect(page.getByTestId('conflict-banner')).toBeVisible();
  await expect(editor.saveStatus()).toHaveAttribute('data-state', 'conflict');
  expect((await (await request.get('/api/flows/e2e-conflict')).json()).name).toBe('Changed elsewhere');
  await page.getByTestId('conflict-reload').click();
  await expect(page.getByTestId('flow-name')).toHaveValue('Changed elsewhere');
  await expect(editor.saveStatus()).toHaveAttribute('data-state', 'saved');
});

test('adds a sticky note, lays out and exports the flow file', async ({ page, request, editor }) => {
  await putFlow(request, flowFixture('chat', 'e2e-export'));
  await editor.open('e2e-export');
  await page.getByTestId('add-note').click();
  await page.getByRole('textbox', { name: 'Sticky note text' }).fill('Explain the prompt');
  await page.getByTestId('auto-layout').click();
  await expect(editor.saveStatus()).toHaveAttribute('data-state', 'saved');
  const downloadPromise = page.waitForEvent('download');
  await page.getByTestId('export-flow').click();
  const download = await downloadPromise;
  expect(download.suggestedFilename()).toBe('e2e-export.flow.json');
  const text = await readFile(await download.path(), 'utf8');
  const flow = JSON.parse(text);
  expect(flow.format).toBe('flowloom.flow/v1');
  expect(flow.nodes.map((n: { id: string }) => n.id)).toEqual(['question', 'prompt', 'llm', 'answer']);
  expect(flow.notes[0].text).toBe('Explain the prompt');
  expect(text.endsWith('\n')).toBe(true);
  expect(Object.keys(flow).slice(0, 3)).toEqual(['format', 'id', 'name']);
});

test('shows validation problems on the nodes and ports they concern', async ({ page, request, editor }) => {
  const flow = flowFixture('chat', 'e2e-problems') as { edges: { id: string }[] };
  flow.edges = flow.edges.filter((e) => e.id !== 'e3'); // the output's required input is left unconnected
  await putFlow(request, flow as Record<string, unknown>);
  await editor.open('e2e-problems');
  await expect(page.getByTestId('node-problems-answer')).toBeVisible();
  await expect(editor.inPort('answer', 'value').locator('..')).toHaveClass(/has-problem/);
  await page.getByTestId('problems-button').click();
  await expect(page.getByTestId('problems-list')).toContainText('answer');
  // Connecting the port clears the problem.
  await editor.connect('llm', 'text', 'answer', 'value');
  await expect(page.getByTestId('node-problems-answer')).toHaveCount(0);
  await expect(page.getByTestId('problems-empty')).toBeVisible();
});

test('adds kinds from the palette with the keyboard and double-click', async ({ page, request, editor }) => {
  await putFlow(request, { format: 'flowloom.flow/v1', id: 'e2e-keyboard', name: 'Keyboard', nodes: [], edges: [] });
  await editor.open('e2e-keyboard');
  // Kinds are found by the words people search with, too ("agent", "vector"), not only by name.
  await page.getByTestId('palette-search').fill('agent');
  await expect(page.getByTestId('palette-item-function-call')).toBeVisible();
  await page.getByTestId('palette-search').fill('vector');
  await expect(page.getByTestId('palette-item-retriever')).toBeVisible();
  await expect(page.getByTestId('palette-item-llm')).toHaveCount(0);
  await page.getByTestId('palette-search').fill('llm');
  await expect(page.getByTestId('palette-item-input')).toHaveCount(0);
  await page.getByTestId('palette-search').press('Enter');
  await expect(editor.node('llm')).toBeVisible();
  await page.getByTestId('palette-search').fill('');
  await page.getByTestId('palette-item-output').focus();
  await page.keyboard.press('Enter');
  await expect(editor.node('output')).toBeVisible();
  await page.getByTestId('palette-item-input').dblclick();
  await expect(editor.node('input')).toBeVisible();
  await expect(editor.saveStatus()).toHaveAttribute('data-state', 'saved');
  const stored = await (await request.get('/api/flows/e2e-keyboard')).json();
  expect(stored.nodes.map((n: { type: string }) => n.type).sort()).toEqual(['input', 'llm', 'output']);
});
