import type { Page } from '@playwright/test';
import { expect, flowFixture, putFlow, test } from '../fixtures/editor';

// The Knowledge page (issue 13 §2): collections with counts, uploads with a chunk preview and a progress bar, browse
// and delete documents and chunks, a test query with scores; the retriever's collection list follows.

const FAQ = Array.from(
  { length: 16 },
  (_, i) => `Question ${i + 1}: how do refunds work for plan ${i + 1}? Refunds are prorated to the day.`,
).join('\n\n');
const GUIDE = '# Billing\nInvoices are emailed monthly.\n\n# Account\nReset your password in Account settings.';
const files = [
  { name: 'faq.txt', mimeType: 'text/plain', buffer: Buffer.from(FAQ) },
  { name: 'guide.md', mimeType: 'text/markdown', buffer: Buffer.from(GUIDE) },
];

/** The collection names the retriever's picker offers. */
async function offered(page: Page): Promise<string[]> {
  const field = page.getByTestId('param-collection');
  const list = await field.getAttribute('list');
  return page
    .locator(`datalist[id="${list}"] option`)
    .evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
}

test('upload with a chunk preview and a progress bar, browse, delete, query; the retriever sees it at once', async ({
  page,
  request,
  editor,
}) => {
  const name = 'e2e-kb';
  await request.delete(`/api/collections/${name}`);
  await page.goto('/#/');
  await page.getByTestId('knowledge-link').click();
  await expect(page.getByRole('heading', { name: 'Knowledge', level: 1 })).toBeVisible();
  await page.getByLabel('New collection').fill(name);
  await page.getByTestId('open-collection').click();
  await expect(page).toHaveURL(new RegExp(`#/knowledge/${name}$`));
  await expect(page.getByTestId('collection-summary')).toHaveText('Not stored yet: upload files to make it.');

  // Pick files; the preview shows the chunks they make and follows the chunk size.
  await page.getByTestId('upload-files').setInputFiles(files);
  await page.getByTestId('preview-chunks').click();
  const preview = page.getByTestId('chunk-preview');
  await expect(preview.getByTestId('preview-file-guide.md')).toContainText('2 chunks · split by markdown headings');
  await expect(preview.getByTestId('preview-file-faq.txt')).toContainText('2 chunks');
  await page.getByTestId('chunk-size').fill('200');
  await page.getByTestId('chunk-overlap').fill('40');
  await expect(preview).toContainText('of at most 200 characters, 40 overlapping');
  await expect(preview.getByTestId('preview-file-faq.txt')).toContainText('8 chunks');
  for (const text of await preview.getByTestId('preview-chunk').locator('.chunk-text').allTextContents())
    expect(text.length).toBeLessThanOrEqual(200);
  await page.screenshot({ path: test.info().outputPath('knowledge-preview.png'), fullPage: true });

  // An overlap as large as the chunk: said on the field, nothing can be sent.
  await page.getByTestId('chunk-overlap').fill('200');
  await expect(page.getByTestId('split-error-overlap')).toHaveText('Less than the chunk size.');
  await expect(page.getByTestId('ingest')).toHaveAttribute('aria-disabled', 'true');
  await page.getByTestId('chunk-overlap').fill('40');

  // Ingest: the progress bar shows while the runtime works (held back a moment here, so it can be seen).
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  await page.route(`**/api/collections/${name}/documents`, async (route) => {
    await held;
    await route.continue();
  });
  await page.getByTestId('ingest').click();
  const progress = page.getByTestId('ingest-progress');
  await expect(progress).toBeVisible();
  await expect(progress.locator('progress')).toHaveCount(1);
  await page.screenshot({ path: test.info().outputPath('knowledge-progress.png') });
  release();
  await expect(page.getByTestId('ingest-done')).toContainText('Added 10 chunks from faq.txt (8), guide.md (2)');
  await expect(progress).toHaveCount(0);
  await expect(page.getByTestId(`collection-${name}`)).toContainText('10 chunks');
  await expect(page.getByTestId('collection-summary')).toContainText('10 chunks · 2 documents · embedder local');
  const table = page.getByTestId('documents-table');
  await expect(table.getByTestId('document-faq.txt')).toContainText('8');
  await expect(table.getByTestId('document-guide.md')).toContainText('2');

  // Browse a document's chunks and delete one.
  await page.getByTestId('browse-faq.txt').click();
  const browser = page.getByTestId('chunk-browser');
  await expect(browser.getByTestId('stored-chunk')).toHaveCount(8);
  await browser.getByRole('button', { name: 'Delete chunk 1' }).click();
  await expect(browser.getByTestId('stored-chunk')).toHaveCount(7);
  await expect(table.getByTestId('document-faq.txt')).toContainText('7');
  await expect(page.getByTestId(`collection-${name}`)).toContainText('9 chunks');

  // Delete a whole document.
  page.once('dialog', (dialog) => void dialog.accept());
  await page.getByTestId('delete-document-guide.md').click();
  await expect(table.getByTestId('document-guide.md')).toHaveCount(0);
  await expect(page.getByTestId(`collection-${name}`)).toContainText('7 chunks');

  // A test query: results with scores, best first.
  await page.getByTestId('test-query').fill('how are refunds prorated');
  await page.getByTestId('run-query').click();
  const results = page.getByTestId('query-result');
  await expect(results).toHaveCount(4);
  const scores = (await page.getByTestId('query-score').allTextContents()).map(Number);
  expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  expect(scores[0]).toBeGreaterThan(0);
  await expect(results.first()).toContainText('faq.txt');
  await page.screenshot({ path: test.info().outputPath('knowledge-collection.png'), fullPage: true });

  // The retriever's picker offers the new collection at once, and drops it once deleted.
  await putFlow(request, flowFixture('rag-qa', 'e2e-kb-flow'));
  await editor.open('e2e-kb-flow');
  await editor.select('search');
  await page.getByTestId('param-collection').focus();
  await expect.poll(() => offered(page)).toContain(name);
  await page.goto(`/#/knowledge/${name}`);
  page.once('dialog', (dialog) => void dialog.accept());
  await page.getByTestId('delete-collection').click();
  await expect(page).toHaveURL(/#\/knowledge$/);
  await expect(page.getByTestId(`collection-${name}`)).toHaveCount(0);
  await editor.open('e2e-kb-flow');
  await editor.select('search');
  await page.getByTestId('param-collection').focus();
  await expect.poll(() => offered(page)).not.toContain(name);
});

test('the Knowledge page works with the keyboard alone', async ({ page, request }) => {
  const name = 'e2e-kb-keys';
  await request.delete(`/api/collections/${name}`);
  await request.post(`/api/collections/${name}/documents`, {
    data: { files: [{ name: 'guide.md', text: GUIDE }] },
  });
  await page.goto('/#/knowledge');
  const link = page.getByTestId(`collection-${name}`);
  await link.focus();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(new RegExp(`#/knowledge/${name}$`));
  await page.getByTestId('browse-guide.md').focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('chunk-browser').getByTestId('stored-chunk')).toHaveCount(2);
  await page.getByTestId('test-query').focus();
  await page.keyboard.type('password');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('query-result').first()).toContainText('Reset your password');
});
