import { expect, flowFixture, putFlow, test } from '../fixtures/editor';

test('an edit survives a reload made before autosave', async ({ page, request, editor }) => {
  await putFlow(request, flowFixture('chat', 'e2e-unload'));
  await editor.open('e2e-unload');
  await editor.select('llm');
  await page.getByTestId('param-temperature').fill('0.9');
  await expect(editor.saveStatus()).toHaveAttribute('data-state', 'unsaved');
  // Well within the autosave delay: the page saves on its way out.
  await page.reload();
  await expect(editor.saveStatus()).toHaveAttribute('data-state', 'saved');
  await editor.select('llm');
  await expect(page.getByTestId('param-temperature')).toHaveValue('0.9');
  const stored = await (await request.get('/api/flows/e2e-unload')).json();
  expect(stored.nodes.find((n: { id: string }) => n.id === 'llm').params.temperature).toBe(0.9);
});

test('asks before leaving when an edit cannot be saved', async ({ page, request, editor }) => {
  await putFlow(request, flowFixture('chat', 'e2e-unload-conflict'));
  await editor.open('e2e-unload-conflict');
  const stored = await (await request.get('/api/flows/e2e-unload-conflict')).json();
  await request.put('/api/flows/e2e-unload-conflict', { data: { ...stored, name: 'Changed elsewhere' } });
  await page.getByTestId('flow-name').fill('Mine');
  await page.keyboard.press('Control+S');
  await expect(editor.saveStatus()).toHaveAttribute('data-state', 'conflict');

  const dialog = page.waitForEvent('dialog', { timeout: 10_000 });
  void page.reload().catch(() => undefined); // stays on the page once the prompt is dismissed
  const prompt = await dialog;
  expect(prompt.type()).toBe('beforeunload');
  await prompt.dismiss();
  await expect(page.getByTestId('flow-name')).toHaveValue('Mine');
});

test('a save on the way out never replaces a newer version saved elsewhere', async ({ page, request, editor }) => {
  await putFlow(request, flowFixture('chat', 'e2e-unload-newer'));
  await editor.open('e2e-unload-newer');
  const stored = await (await request.get('/api/flows/e2e-unload-newer')).json();
  // Someone else saves first; this page does not know yet.
  await request.put('/api/flows/e2e-unload-newer', { data: { ...stored, name: 'Changed elsewhere' } });
  // This page's own save is slow: held until the page has gone, so it is in flight while the page leaves.
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let puts = 0;
  await page.route('**/api/flows/e2e-unload-newer', async (route) => {
    if (route.request().method() === 'PUT' && ++puts === 1) await held;
    await route.continue().catch(() => undefined);
  });
  await page.getByTestId('flow-name').fill('Mine');
  await page.keyboard.press('Control+S');
  await expect.poll(() => puts).toBe(1);
  await editor.select('llm');
  await page.getByTestId('param-temperature').fill('0.9');
  // The version that save will make is unknown, so nothing is sent without one: the page asks instead.
  const dialog = page.waitForEvent('dialog', { timeout: 10_000 });
  const reload = page.reload().catch(() => undefined);
  const prompt = await dialog;
  expect(prompt.type()).toBe('beforeunload');
  await prompt.accept();
  await reload;
  release();
  await expect(page.getByTestId('flow-name')).toHaveValue('Changed elsewhere');
  const storedName = async () => (await (await request.get('/api/flows/e2e-unload-newer')).json()).name;
  await expect.poll(storedName).toBe('Changed elsewhere');
  expect(puts).toBe(1);
});
