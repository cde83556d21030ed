import type { Locator, Page } from '@playwright/test';
import { expectAccessible } from '../fixtures/a11y';
import { blankFlow, expect, flowFixture, putFlow, test } from '../fixtures/editor';
import { showCollectionAtWork } from '../fixtures/knowledge';

// Accessibility (docs/accessibility.md): axe-core finds no serious or critical WCAG 2.1 A/AA violation on any page.
// Each test walks many states (axe audits a whole page each time, the keyboard tests press Tab a few hundred
// times): twice the usual time limit, so that a busy machine does not fail them.
test.describe.configure({ timeout: 120_000 });

test('axe: the flows page, the new-flow dialog and the keys page', async ({ page, request }) => {
  await putFlow(request, { ...flowFixture('chat', 'a11y-pages'), name: 'Support chat' });
  expect((await request.post('/api/keys', { data: { name: 'a11y key' } })).status()).toBe(201);

  await page.goto('/#/');
  await expect(page.getByTestId('flow-card-a11y-pages')).toBeVisible();
  await expect(page.getByTestId('template-chat')).toBeVisible();
  await expectAccessible(page, 'the flows page');

  await page.getByTestId('new-flow').click();
  await expect(page.getByTestId('create-dialog')).toBeVisible();
  await expectAccessible(page, 'the new-flow dialog');
  await page.keyboard.press('Escape');

  await page.goto('/#/keys');
  await expect(page.getByTestId('keys-table').getByText('a11y key')).toBeVisible();
  await expectAccessible(page, 'the keys page');
});

test('axe: the datasets and experiments pages, a dataset with its import dialog, an experiment', async ({
  page,
  request,
}) => {
  await putFlow(request, flowFixture('chat', 'a11y-experiment'));
  const dataset = await (await request.post('/api/datasets', { data: { name: 'a11y questions' } })).json();
  const items = [
    { input: { question: 'one' }, expected: 'echo: one' },
    { input: { question: 'two' }, expected: 'echo: two' },
  ];
  expect((await request.post(`/api/datasets/${dataset.id}/items`, { data: { items } })).status()).toBe(201);
  const started = await request.post('/api/experiments', {
    data: {
      name: 'a11y experiment',
      datasetId: dataset.id,
      targets: [
        { flowId: 'a11y-experiment', version: 'draft' },
        { flowId: 'a11y-experiment', version: 'draft' },
      ],
      evaluators: [{ type: 'exact' }, { type: 'rouge', variant: 'rougeL' }],
    },
  });
  const { experimentId } = await started.json();

  await page.goto('/#/datasets');
  await expect(page.getByTestId('datasets-table')).toContainText('a11y questions');
  await expectAccessible(page, 'the datasets page');
  await page.goto(`/#/datasets/${dataset.id}`);
  await expect(page.getByTestId('items-table').locator('tbody tr')).toHaveCount(2);
  await expectAccessible(page, 'a dataset');
  await page.getByTestId('import-items').click();
  await page.getByTestId('import-content').fill('question,expected\nthree,echo: three\n');
  await expect(page.getByTestId('import-mapping')).toBeVisible();
  await expectAccessible(page, 'the import dialog');
  await page.keyboard.press('Escape');

  await page.goto('/#/experiments');
  await expect(page.getByTestId('experiments-table')).toContainText('a11y experiment');
  await page.getByTestId('new-experiment').click();
  await expect(page.getByTestId('new-experiment-form')).toBeVisible();
  await expectAccessible(page, 'the experiments page with the new-experiment form');
  await page.goto(`/#/experiments/${experimentId}`);
  await expect(page.getByTestId('experiment-status')).toHaveText('completed');
  await expect(page.getByTestId('compare-table')).toBeVisible();
  await expectAccessible(page, 'an experiment');
});

test('axe: the editor with nothing selected and with a node selected', async ({ page, request, editor }) => {
  await putFlow(request, flowFixture('chat', 'a11y-editor'));
  await editor.open('a11y-editor');
  await expectAccessible(page, 'the editor, nothing selected');

  await editor.select('prompt');
  await expect(page.getByTestId('param-template').locator('.cm-content')).toBeVisible();
  await expectAccessible(page, 'the editor, a node selected');
});

test('axe: the run tab, then the trace, history and problems tabs after a run', async ({ page, request, editor }) => {
  await putFlow(request, flowFixture('chat', 'a11y-run'));
  await editor.open('a11y-run');
  await page.getByTestId('tab-run').click();
  await expect(page.getByTestId('chat-input')).toBeVisible();
  await page.getByTestId('chat-input').fill('Hello there');
  await page.getByTestId('chat-send').click();
  await expect(page.getByTestId('chat-message-assistant')).toContainText('echo:');
  await expectAccessible(page, 'the run tab, answered');

  // A run opens the trace.
  await expect(page.getByTestId('run-status')).toHaveText('completed');
  await page.getByTestId('span-llm').click();
  await expect(page.getByTestId('span-outputs')).toBeVisible();
  await expectAccessible(page, 'the trace tab');
  await page.getByTestId('bottom-tab-history').click();
  await expect(page.getByTestId('run-history').getByRole('button', { name: /completed/ })).toBeVisible();
  await expectAccessible(page, 'the history tab');
  await page.getByTestId('bottom-tab-problems').click();
  await expect(page.getByTestId('problems-empty')).toBeVisible();
  await expectAccessible(page, 'the problems tab');
});

test('axe: the publish dialog with a published version', async ({ page, request, editor }) => {
  await putFlow(request, flowFixture('chat', 'a11y-publish'));
  await editor.open('a11y-publish');
  await page.getByTestId('publish-button').click();
  const dialog = page.getByTestId('publish-dialog');
  await dialog.getByTestId('publish-submit').click();
  await expect(dialog.getByTestId('version-1')).toBeVisible();
  await expectAccessible(page, 'the publish dialog');
});

test('axe: the monitoring page with production and editor runs, keyboard filters', async ({ page, request }) => {
  const flowId = 'a11y-monitoring';
  await putFlow(request, { ...flowFixture('chat', flowId), name: 'Monitored chat' });
  expect((await request.post(`/api/flows/${flowId}/publish`, { data: {} })).status()).toBe(201);
  const { key } = await (await request.post('/api/keys', { data: { name: 'monitoring key' } })).json();
  const headers = { authorization: `Bearer ${key}` };
  for (const question of ['Where is order A1001?', 'Can I get a refund?', '[[error:400]] broken']) {
    const res = await request.post(`/api/v1/flows/${flowId}/run`, { data: { inputs: { question } }, headers });
    expect(res.status()).toBe(200);
  }
  const editorRun = await request.post(`/api/flows/${flowId}/runs`, { data: { inputs: { question: 'draft test' } } });
  const { runId } = await editorRun.json();
  expect((await request.post(`/api/runs/${runId}/feedback`, { data: { score: 1 } })).status()).toBe(201);

  await page.goto(`/#/monitoring/${flowId}`);
  await expect(page.getByTestId('tile-runs')).toContainText('3');
  await expect(page.getByTestId('chart-runs').locator('canvas')).toBeVisible();
  await expect(page.getByTestId('history-table').getByText('Where is order A1001?')).toBeVisible();
  await expectAccessible(page, 'the monitoring page');
  await page.screenshot({ path: test.info().outputPath('monitoring.png'), fullPage: true });

  // Keyboard only: pick the editor source, then search the inputs' text.
  await page.getByTestId('filter-source').focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await expect(page.getByTestId('filter-source')).toHaveValue('editor');
  await expect(page.getByTestId('history-table').getByText('draft test')).toBeVisible();
  await expect(page.getByTestId('history-table').getByText('Can I get a refund?')).toHaveCount(0);
  await page.getByTestId('filter-source').focus();
  await page.keyboard.press('Home');
  await page.getByTestId('filter-text').focus();
  await page.keyboard.type('refund');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('history-table').locator('tbody tr')).toHaveCount(1);
  await expect(page.getByTestId('history-table')).toContainText('Can I get a refund?');
  // A chart's figures as a table, opened from the keyboard.
  await page.locator('summary', { hasText: 'Data as a table' }).first().focus();
  await page.keyboard.press('Enter');
  await expect(page.locator('.metric-data[open] table')).toBeVisible();
  await expectAccessible(page, 'the monitoring page, filtered, data table open');
});

test('axe: the chat widget closed and open', async ({ page, request, baseURL }) => {
  const flowId = 'a11y-widget';
  await putFlow(request, flowFixture('chat', flowId));
  expect((await request.post(`/api/flows/${flowId}/publish`, { data: {} })).status()).toBe(201);
  // A host page served by the browser itself (on the runtime's origin, so the widget may call it): only the widget's
  // own markup is under test.
  const site = `${baseURL}/a11y-shop.html`;
  await page.route(site, (route) =>
    route.fulfill({
      contentType: 'text/html',
      body: `<!doctype html><html lang="en"><head><title>Shop</title></head><body><main><h1>Our shop</h1>
<script src="${baseURL}/widget.js" data-flow="${flowId}" data-key="flk_none" data-title="Shop assistant"></script>
</main></body></html>`,
    }),
  );
  await page.goto(site);
  const toggle = page.getByRole('button', { name: 'Open chat' });
  await expect(toggle).toBeVisible();
  await expectAccessible(page, 'the widget, closed');
  await toggle.click();
  await expect(page.getByRole('textbox', { name: 'Message' })).toBeVisible();
  await expectAccessible(page, 'the widget, open');
});

test('axe: the Knowledge page with a preview, documents, chunks and query results, in dark and light', async ({
  page,
  request,
}) => {
  const name = 'a11y-kb';
  await request.delete(`/api/collections/${name}`);
  const guide = '# Billing\nInvoices are emailed monthly.\n\n# Account\nReset your password in Account settings.';
  expect(
    (
      await request.post(`/api/collections/${name}/documents`, { data: { files: [{ name: 'guide.md', text: guide }] } })
    ).status(),
  ).toBe(200);
  for (const scheme of ['dark', 'light'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto('/#/knowledge');
    await expect(page.getByTestId(`collection-${name}`)).toBeVisible();
    await expectAccessible(page, `the Knowledge page, ${scheme}`);
    await page.getByTestId(`collection-${name}`).click();
    await showCollectionAtWork(page, {
      name: 'faq.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('Refunds are prorated.\n\nInvoices are monthly.'),
    });
    await expectAccessible(page, `a collection with a preview, chunks and results, ${scheme}`);
  }
});

test('axe: the Settings page with providers, a model list and the edit form, in dark and light', async ({
  page,
  request,
}) => {
  await request.delete('/api/settings/providers/a11y-local');
  const fake = `http://127.0.0.1:${process.env.E2E_FAKE_OPENAI_PORT}/v1`;
  expect(
    (
      await request.post('/api/settings/providers', {
        data: { name: 'a11y local', baseURL: fake, apiKey: 'sk-a11y-0000' },
      })
    ).status(),
  ).toBe(201);
  for (const scheme of ['dark', 'light'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto('/#/');
    await page.goto('/#/settings');
    const row = page.getByTestId('provider-a11y-local');
    await expect(row).toBeVisible();
    await expectAccessible(page, `the Settings page, ${scheme}`);
    // With the keyboard: list its models, open its edit form.
    await row.getByTestId('test-provider').focus();
    await page.keyboard.press('Enter');
    await expect(row.getByTestId('provider-test')).toContainText('models');
    await row.getByTestId('edit-provider').focus();
    await page.keyboard.press('Enter');
    await expect(row.getByTestId('save-provider')).toBeVisible();
    await expectAccessible(page, `the Settings page with an edit form, ${scheme}`);
  }
});

test('axe in the light theme: the flows, keys and editor pages, a code field, the run, trace and publish', async ({
  page,
  request,
  editor,
}) => {
  // The system asks for light (ui/theme.ts follows it): every page above again, in the light palette.
  await page.emulateMedia({ colorScheme: 'light' });
  await putFlow(request, { ...flowFixture('chat', 'a11y-light'), name: 'Light chat' });
  expect((await request.post('/api/keys', { data: { name: 'light key' } })).status()).toBe(201);
  await page.goto('/#/');
  await expect(page.getByTestId('flow-card-a11y-light')).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('light');
  await expectAccessible(page, 'the flows page, light');
  await page.getByTestId('new-flow').click();
  await expect(page.getByTestId('create-dialog')).toBeVisible();
  await expectAccessible(page, 'the new-flow dialog, light');
  await page.keyboard.press('Escape');
  await page.goto('/#/keys');
  await expect(page.getByTestId('keys-table').getByText('light key')).toBeVisible();
  await expectAccessible(page, 'the keys page, light');

  await editor.open('a11y-light');
  await expectAccessible(page, 'the editor, light');
  await editor.select('prompt');
  await expect(page.getByTestId('param-template').locator('.cm-content')).toBeVisible();
  await expectAccessible(page, 'the editor with a code field, light');

  await page.getByTestId('tab-run').click();
  await page.getByTestId('chat-input').fill('Hello there');
  await page.getByTestId('chat-send').click();
  await expect(page.getByTestId('chat-message-assistant')).toContainText('echo:');
  await expectAccessible(page, 'the run tab, answered, light');
  await expect(page.getByTestId('run-status')).toHaveText('completed');
  await page.getByTestId('span-llm').click();
  await expect(page.getByTestId('span-outputs')).toBeVisible();
  await expectAccessible(page, 'the trace tab, light');
  await page.getByTestId('bottom-tab-history').click();
  await expect(page.getByTestId('run-history').getByRole('button', { name: /completed/ })).toBeVisible();
  await expectAccessible(page, 'the history tab, light');

  await page.getByTestId('publish-button').click();
  const dialog = page.getByTestId('publish-dialog');
  await dialog.getByTestId('publish-submit').click();
  await expect(dialog.getByTestId('version-1')).toBeVisible();
  await expectAccessible(page, 'the publish dialog, light');
});

/** Presses Tab (Shift+Tab when `back`) until `target` has focus, as a keyboard user would; fails after `max`. */
async function tabTo(page: Page, target: Locator, { back = false, max = 80 } = {}): Promise<void> {
  for (let i = 0; i <= max; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
  }
  throw new Error(`${target} not reached in ${max} presses of ${back ? 'Shift+Tab' : 'Tab'}`);
}

/** Counts pointer and mouse presses on the page, to prove that a test used none. */
async function countPointerPresses(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { pointerPresses: number };
    w.pointerPresses = 0;
    for (const type of ['pointerdown', 'mousedown'])
      window.addEventListener(type, () => w.pointerPresses++, { capture: true });
  });
}

const pointerPresses = (page: Page) =>
  page.evaluate(() => (window as unknown as { pointerPresses: number }).pointerPresses);

test('builds input → prompt → llm → output and runs it with the keyboard alone', async ({ page, request, editor }) => {
  // A whole keyboard journey in one test: three times the usual time limit, for a loaded machine.
  test.slow();
  await putFlow(request, blankFlow('a11y-keys', 'Keyboard only'));
  await countPointerPresses(page);
  await editor.open('a11y-keys');
  await expect(page).toHaveTitle('Keyboard only · Flowloom');

  // The first Tab stops skip past the top bar and the palette.
  await page.keyboard.press('Tab');
  await expect(page.getByTestId('skip-canvas')).toBeFocused();

  // Add the four kinds from the palette's search box: Enter adds the first match, and it is announced.
  const search = page.getByTestId('palette-search');
  await tabTo(page, search);
  for (const kind of ['input', 'prompt', 'llm', 'output']) {
    await page.keyboard.press('Control+A');
    await page.keyboard.type(kind);
    await page.keyboard.press('Enter');
    await expect(editor.node(kind)).toBeVisible();
    await expect(page.getByTestId('announcer')).toContainText(`node ${kind}, selected`);
  }
  await tabTo(page, page.getByTestId('auto-layout'), { back: true });
  await page.keyboard.press('Enter');

  // Ports are buttons: Enter on an output, then Enter on an input, connects them.
  await tabTo(page, editor.outPort('input', 'value'));
  await expect(editor.outPort('input', 'value')).toHaveAccessibleName('Output value (text) of Input input');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('connect-pending')).toContainText('input.value');
  await tabTo(page, editor.inPort('prompt', 'question'));
  await page.keyboard.press('Enter');
  await expect(editor.edgeCount()).toHaveCount(1);
  await expect(page.getByTestId('announcer')).toContainText('Connected input.value to prompt.question');
  await tabTo(page, editor.outPort('prompt', 'prompt'));
  await page.keyboard.press('Enter');
  await tabTo(page, editor.inPort('llm', 'prompt'));
  await page.keyboard.press('Enter');
  await expect(editor.edgeCount()).toHaveCount(2);

  // The last one from the inspector's connection picker: select the output node (Enter), pick its source.
  await tabTo(page, page.getByTestId('rf__node-output'));
  await expect(page.getByTestId('rf__node-output')).toHaveAccessibleName('Output node output, 1 problem');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('inspector')).toBeVisible();
  const picker = page.getByRole('combobox', { name: 'value' });
  await tabTo(page, picker);
  // Arrow keys on the closed list: each choice connects at once (replacing the last), as a select does.
  for (let i = 0; i < 8 && (await picker.inputValue()) !== '["llm","text"]'; i++)
    await page.keyboard.press('ArrowDown');
  await expect(picker).toHaveValue('["llm","text"]');
  await expect(editor.edgeCount()).toHaveCount(3);

  // Edit the prompt's template; Escape then Tab leaves the code field, as its hint says.
  await tabTo(page, page.getByTestId('rf__node-prompt'), { back: true });
  await page.keyboard.press('Enter');
  const template = page.getByRole('textbox', { name: 'template' });
  await tabTo(page, template);
  await expect(page.getByText('Tab indents')).toBeVisible();
  await page.keyboard.press('Control+A');
  await page.keyboard.type('Reply briefly. Question: {{question}}');
  // The `{{` completion list has closed (`}}` ends the variable); were it open, the first Escape would close it.
  await expect(page.locator('.cm-tooltip-autocomplete')).toHaveCount(0);
  await page.keyboard.press('Escape');
  // No time limit between the two keys (WCAG 2.2.1): CodeMirror's own window is 2 s.
  await page.waitForTimeout(2500);
  await page.keyboard.press('Tab');
  await expect(template).not.toBeFocused();
  await expect(template).toHaveText('Reply briefly. Question: {{question}}');
  await expect(editor.edgeCount()).toHaveCount(3);

  // Run: the flow needs its question, so Run goes to the chat box; the answer is read from the conversation log.
  await tabTo(page, page.getByTestId('run-button'), { back: true });
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('chat-input')).toBeFocused();
  await page.keyboard.type('What is Flowloom?');
  await page.keyboard.press('Enter');
  const log = page.getByRole('log', { name: 'Conversation' });
  await expect(log).toContainText('echo: Reply briefly. Question: What is Flowloom?');
  await expect(page.getByTestId('run-announcer')).toHaveText(/^Run completed/);
  await expect(page.getByTestId('chat-input')).toBeFocused();
  expect(await pointerPresses(page)).toBe(0);

  const stored = await (await request.get('/api/flows/a11y-keys')).json();
  expect(stored.edges).toHaveLength(3);

  // An edge: Enter selects it, Delete removes it, Ctrl+Z brings it back.
  const edge = page.getByRole('group', { name: 'Edge from llm to output' });
  await tabTo(page, edge, { back: true });
  await page.keyboard.press('Enter');
  await page.keyboard.press('Delete');
  await expect(editor.edgeCount()).toHaveCount(2);
  await page.keyboard.press('Control+Z');
  await expect(editor.edgeCount()).toHaveCount(3);
  expect(await pointerPresses(page)).toBe(0);
});

/** Tab and Shift+Tab a few times round the dialog: focus never leaves it. */
async function expectFocusTrapped(page: Page, dialog: Locator, presses = 12): Promise<void> {
  for (const key of ['Tab', 'Shift+Tab']) {
    for (let i = 0; i < presses; i++) {
      await page.keyboard.press(key);
      expect(await dialog.evaluate((el) => el.contains(document.activeElement)), `${key} ×${i + 1}`).toBe(true);
    }
  }
}

test('every dialog opens and closes with the keyboard, keeps focus inside, and gives it back', async ({
  page,
  request,
  editor,
}) => {
  await putFlow(request, { ...flowFixture('chat', 'a11y-dialogs'), name: 'Dialogs' });
  await countPointerPresses(page);
  await page.goto('/#/');
  await expect(page).toHaveTitle('Flows · Flowloom');
  await expect(page.getByTestId('flow-card-a11y-dialogs')).toBeVisible();

  for (const [opener, dialogId] of [
    ['new-flow', 'create-dialog'],
    ['rename-a11y-dialogs', 'rename-dialog'],
    ['delete-a11y-dialogs', 'delete-dialog'],
  ] as const) {
    const button = page.getByTestId(opener);
    await tabTo(page, button);
    await page.keyboard.press('Enter');
    const dialog = page.getByTestId(dialogId);
    await expect(dialog).toBeVisible();
    await expect(page.getByRole('dialog')).toHaveCount(1);
    await expectFocusTrapped(page, dialog);
    await page.keyboard.press('Escape');
    await expect(dialog).toHaveCount(0);
    await expect(button).toBeFocused();
  }

  // Import: Enter on Import opens the file chooser; a file with problems opens the problems dialog.
  const chooser = page.waitForEvent('filechooser');
  await tabTo(page, page.getByTestId('import-button'), { back: true });
  await page.keyboard.press('Enter');
  await (await chooser).setFiles({
    name: 'broken.flow.json',
    mimeType: 'application/json',
    buffer: Buffer.from(
      JSON.stringify({
        format: 'flowloom.flow/v1',
        id: 'broken',
        name: 'Broken',
        nodes: [{ id: 'x', type: 'no-such-kind', position: { x: 0, y: 0 } }],
        edges: [],
      }),
    ),
  });
  const problems = page.getByTestId('import-problems');
  await expect(problems).toBeVisible();
  await expectFocusTrapped(page, problems, 4);
  await page.keyboard.press('Escape');
  await expect(problems).toHaveCount(0);

  // The publish dialog, from the editor's top bar.
  await editor.open('a11y-dialogs');
  await expect(page).toHaveTitle('Dialogs · Flowloom');
  const publish = page.getByTestId('publish-button');
  await tabTo(page, publish);
  await page.keyboard.press('Enter');
  const dialog = page.getByTestId('publish-dialog');
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel('Note')).toBeFocused();
  await expectFocusTrapped(page, dialog, 20);
  // Publishing keeps focus on the button and says what happened.
  await tabTo(page, dialog.getByTestId('publish-submit'));
  await page.keyboard.press('Enter');
  await expect(dialog.getByRole('status')).toContainText('Published v1');
  await expect(dialog.getByTestId('publish-submit')).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(publish).toBeFocused();
  expect(await pointerPresses(page)).toBe(0);
});
