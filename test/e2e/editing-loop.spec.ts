import type { Locator, Page } from '@playwright/test';
import { expect, flowFixture, putFlow, test } from '../fixtures/editor';

/** The boxes of every drawn node, to check that none sits on another. */
async function nodeBoxes(page: Page) {
  const nodes = page.locator('.react-flow__node');
  const boxes: { id: string; x: number; y: number; width: number; height: number }[] = [];
  for (const node of await nodes.all()) {
    const box = await node.boundingBox();
    if (box) boxes.push({ id: (await node.getAttribute('data-id')) ?? '', ...box });
  }
  return boxes;
}

function overlapping(boxes: Awaited<ReturnType<typeof nodeBoxes>>): string[] {
  const out: string[] = [];
  for (const [i, a] of boxes.entries())
    for (const b of boxes.slice(i + 1))
      if (a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height)
        out.push(`${a.id} × ${b.id}`);
  return out;
}

const zoomOf = async (level: Locator) => Number((await level.textContent())?.replace('%', ''));

test('opens flows at a readable zoom, shows it, and goes back to 100 % from it', async ({ page, request, editor }) => {
  await putFlow(request, flowFixture('support-agent', 'e2e-zoom'));
  await editor.open('e2e-zoom');
  const level = page.getByTestId('zoom-level');
  await expect(level).toHaveText(/^\d+%$/);
  expect(await zoomOf(level)).toBeGreaterThanOrEqual(80);
  await page.locator('.react-flow__controls-zoomout').click();
  await expect.poll(() => zoomOf(level)).toBeLessThan(80);
  await level.click();
  await expect(level).toHaveText('100%');
});

test('duplicates the selection beside it with Ctrl+D, edges included, one undo step', async ({
  page,
  request,
  editor,
}) => {
  await putFlow(request, flowFixture('chat', 'e2e-duplicate'));
  await editor.open('e2e-duplicate');
  await expect(editor.edgeCount()).toHaveCount(3);
  await editor.select('prompt');
  await page.keyboard.down('Shift');
  await editor.node('llm').locator('.node-header').click();
  await page.keyboard.up('Shift');
  await page.keyboard.press('Control+D');
  await expect(editor.node('prompt-2')).toBeVisible();
  await expect(editor.node('llm-2')).toBeVisible();
  // The edge between the two copied nodes is copied; the ones to the rest of the flow are not.
  await expect(editor.edgeCount()).toHaveCount(4);
  await expect(page.getByTestId('announcer')).toContainText('Duplicated 2 nodes');
  expect(overlapping(await nodeBoxes(page))).toEqual([]);
  await expect(editor.saveStatus()).toHaveAttribute('data-state', 'saved');
  const stored = await (await request.get('/api/flows/e2e-duplicate')).json();
  expect(stored.nodes.map((n: { id: string }) => n.id).sort()).toEqual(
    ['question', 'llm', 'llm-2', 'answer', 'prompt', 'prompt-2'].sort(),
  );
  await page.keyboard.press('Control+Z');
  await expect(editor.node('prompt-2')).toHaveCount(0);
  await expect(editor.node('llm-2')).toHaveCount(0);
});

test('puts nodes added from the palette and notes beside the selection, never on another node', async ({
  page,
  request,
  editor,
}) => {
  await putFlow(request, flowFixture('chat', 'e2e-place'));
  await editor.open('e2e-place');
  await editor.select('prompt');
  for (const kind of ['code', 'http', 'text']) {
    await page.getByTestId('palette-search').fill(kind);
    await page.getByTestId('palette-search').press('Enter');
    await expect(editor.node(kind)).toBeVisible();
  }
  await page.getByTestId('add-note').click();
  await expect(page.locator('.react-flow__node-note')).toHaveCount(1);
  expect(overlapping(await nodeBoxes(page))).toEqual([]);
});

test('draws a wire into a port a template just gained, at once', async ({ page, request, editor }) => {
  await putFlow(request, flowFixture('chat', 'e2e-new-port'));
  await editor.open('e2e-new-port');
  await editor.select('prompt');
  const template = page.getByRole('textbox', { name: 'template' });
  await template.click();
  await page.keyboard.press('End');
  await page.keyboard.press('Control+End');
  await page.keyboard.type(' Topic: {{topic}}');
  await expect(editor.inPort('prompt', 'topic')).toBeVisible();
  await editor.connect('question', 'value', 'prompt', 'topic');
  await expect(editor.edgeCount()).toHaveCount(4);
  // Drawn: the new edge has a path that ends at the new port, not a zero-length stub.
  const path = page.locator('[data-testid="rf__edge-question.value->prompt.topic"] path').first();
  const box = await path.boundingBox();
  expect(box && box.width + box.height).toBeGreaterThan(20);
});

test('lists every shortcut on ? and closes with Escape', async ({ page, request, editor }) => {
  await putFlow(request, flowFixture('chat', 'e2e-shortcuts'));
  await editor.open('e2e-shortcuts');
  await editor.canvas.click({ position: { x: 10, y: 10 } });
  await page.keyboard.press('?');
  const dialog = page.getByTestId('shortcuts-dialog');
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('row', { name: /Ctrl\+D/ })).toContainText('Duplicate');
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await page.getByTestId('shortcuts-button').click();
  await expect(dialog).toBeVisible();
});

test('the inspector follows the selection, and what was typed in the Run tab stays', async ({
  page,
  request,
  editor,
}) => {
  await putFlow(request, flowFixture('chat', 'e2e-follow'));
  await editor.open('e2e-follow');
  await page.getByTestId('tab-run').click();
  await page.getByTestId('chat-input').fill('half a question');
  await page.getByTestId('run-mode-form').click();
  await page.getByTestId('run-input-question').fill('typed in the form');
  // Selecting a node while the Run tab is open shows its settings.
  await editor.node('llm').locator('.node-header').click();
  await expect(page.getByTestId('inspector')).toBeVisible();
  await expect(page.getByTestId('tab-inspect')).toHaveAttribute('aria-selected', 'true');
  // Back on Run: the same mode, the same values.
  await page.getByTestId('tab-run').click();
  await expect(page.getByTestId('run-input-question')).toHaveValue('typed in the form');
  await page.getByTestId('run-mode-chat').click();
  await expect(page.getByTestId('chat-input')).toHaveValue('half a question');
});

test('lays unwired nodes out in a grid, and undoing the layout brings the nodes back into view', async ({
  page,
  request,
  editor,
}) => {
  // Nine nodes wired to nothing, strewn far apart.
  const loose = Array.from({ length: 9 }, (_, i) => ({
    id: `t${i}`,
    type: 'text',
    position: { x: 3000 + i * 40, y: 3000 + i * 700 },
    params: {},
  }));
  await putFlow(request, { format: 'flowloom.flow/v1', id: 'e2e-layout', name: 'Layout', nodes: loose, edges: [] });
  await editor.open('e2e-layout');
  await page.getByTestId('auto-layout').click();
  await expect
    .poll(
      async () => new Set(await Promise.all(loose.map(async (n) => (await editor.node(n.id).boundingBox())?.x))).size,
    )
    .toBe(3);
  expect(overlapping(await nodeBoxes(page))).toEqual([]);
  // Undo: the nodes go back where they were, and the view follows them.
  await page.keyboard.press('Control+Z');
  const canvas = (await editor.canvas.boundingBox()) as { x: number; y: number; width: number; height: number };
  await expect
    .poll(async () => {
      for (const node of await page.locator('.react-flow__node').all()) {
        const box = await node.boundingBox();
        if (
          box &&
          box.x < canvas.x + canvas.width &&
          box.x + box.width > canvas.x &&
          box.y < canvas.y + canvas.height &&
          box.y + box.height > canvas.y
        )
          return true;
      }
      return false;
    })
    .toBe(true);
});

for (const name of [
  'chat',
  'chat-history',
  'compare-answers',
  'map-summarize',
  'rag-qa',
  'support-agent',
  'triage-router',
])
  test(`the ${name} template opens with no node on top of another`, async ({ page, request, editor }) => {
    await putFlow(request, flowFixture(name, `e2e-tpl-${name}`));
    await editor.open(`e2e-tpl-${name}`);
    await expect(page.locator('.react-flow__node').first()).toBeVisible();
    expect(overlapping(await nodeBoxes(page))).toEqual([]);
  });

test('the inspector connects an input from its list, which is filled when used and always names what is connected', async ({
  page,
  request,
  editor,
}) => {
  await putFlow(request, flowFixture('chat', 'e2e-connections'));
  await editor.open('e2e-connections');
  await editor.select('llm');
  const prompt = page.getByTestId('connect-prompt').locator('select');
  // Before it is used the list holds "Not connected" and the connected source only, named as in the full list.
  await expect(prompt.locator('option')).toHaveCount(2);
  await expect(prompt.locator('option:checked')).toHaveText('prompt · prompt (text)');
  await prompt.focus();
  await expect.poll(() => prompt.locator('option').count()).toBeGreaterThan(2);
  await expect(prompt.locator('option:checked')).toHaveText('prompt · prompt (text)');
  await prompt.selectOption({ label: 'question · value (text)' });
  await expect(page.getByTestId('announcer')).toContainText('Connected question.value to llm.prompt');
  await expect(editor.saveStatus()).toHaveAttribute('data-state', 'saved');
  const stored = await (await request.get('/api/flows/e2e-connections')).json();
  expect(
    stored.edges.filter((e: { target: string; targetPort: string }) => e.target === 'llm' && e.targetPort === 'prompt'),
  ).toMatchObject([{ source: 'question', sourcePort: 'value' }]);
});
