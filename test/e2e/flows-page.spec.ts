import { expect, flowFixture, putFlow, test } from '../fixtures/editor';

test('creates, renames, duplicates, searches and deletes flows', async ({ page, request }) => {
  await page.goto('/#/');
  await page.getByTestId('new-flow').click();
  await page.getByTestId('new-flow-name').fill('Release Notes Writer');
  await page.getByTestId('new-flow-template').selectOption('chat');
  await page.getByTestId('create-flow').click();
  await expect(page).toHaveURL(/#\/flows\/release-notes-writer$/);
  await expect(page.getByTestId('node-llm')).toBeVisible();
  await page.getByTestId('back-to-flows').click();

  const card = page.getByTestId('flow-card-release-notes-writer');
  await expect(card).toBeVisible();
  await page.getByTestId('rename-release-notes-writer').click();
  await page.getByTestId('rename-input').fill('Changelog Writer');
  await page.getByTestId('rename-save').click();
  await expect(card).toContainText('Changelog Writer');

  await page.getByTestId('duplicate-release-notes-writer').click();
  await expect(page.getByTestId('flow-card-changelog-writer-copy')).toContainText('Changelog Writer (copy)');

  await page.getByTestId('flow-search').fill('(copy)');
  await expect(card).toHaveCount(0);
  await expect(page.getByTestId('flow-card-changelog-writer-copy')).toBeVisible();
  await page.getByTestId('flow-search').fill('');

  await page.getByTestId('delete-changelog-writer-copy').click();
  await expect(page.getByTestId('delete-dialog')).toBeVisible();
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByTestId('flow-card-changelog-writer-copy')).toBeVisible();
  await page.getByTestId('delete-changelog-writer-copy').click();
  await page.getByTestId('confirm-delete').click();
  await expect(page.getByTestId('flow-card-changelog-writer-copy')).toHaveCount(0);
  expect((await request.get('/api/flows/changelog-writer-copy')).status()).toBe(404);
});

test('imports a valid flow file and refuses an invalid one without saving it', async ({ page, request }) => {
  await request.delete('/api/flows/imported-chat');
  await request.delete('/api/flows/broken-import');
  await page.goto('/#/');
  const good = { ...flowFixture('chat', 'imported-chat'), name: 'Imported chat' };
  await page.getByTestId('import-input').setInputFiles({
    name: 'imported-chat.flow.json',
    mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify(good)),
  });
  await expect(page.getByTestId('flow-card-imported-chat')).toContainText('Imported chat');

  const bad = flowFixture('chat', 'broken-import') as { nodes: { type: string }[]; edges: { targetPort: string }[] };
  bad.nodes[2] = { ...bad.nodes[2], type: 'no-such-kind' } as { type: string };
  bad.edges[0] = { ...bad.edges[0], targetPort: 'nope' } as { targetPort: string };
  await page.getByTestId('import-input').setInputFiles({
    name: 'broken.flow.json',
    mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify(bad)),
  });
  const dialog = page.getByTestId('import-problems');
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('no-such-kind');
  await expect(dialog.locator('li')).not.toHaveCount(0);
  expect((await request.get('/api/flows/broken-import')).status()).toBe(404);

  await page.getByRole('button', { name: 'Close', exact: true }).first().click();
  await page.getByTestId('import-input').setInputFiles({
    name: 'notjson.flow.json',
    mimeType: 'application/json',
    buffer: Buffer.from('{ nope'),
  });
  await expect(page.getByTestId('import-problems')).toContainText('Not JSON');
});

test('exports a flow from the list as a canonical flow file', async ({ page, request }) => {
  await putFlow(request, flowFixture('chat', 'list-export'));
  await page.goto('/#/');
  const downloadPromise = page.waitForEvent('download');
  await page.getByTestId('export-list-export').click();
  const download = await downloadPromise;
  expect(download.suggestedFilename()).toBe('list-export.flow.json');
});
