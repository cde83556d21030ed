import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, flowFixture, putFlow, test } from '../fixtures/editor';
import { showCollectionAtWork } from '../fixtures/knowledge';

// Screenshots of the main screens. They go to the test's output folder; to refresh the committed ones run
// `SCREENSHOT_DIR=docs npx playwright test e2e/screenshots.spec.ts` (from test/), which writes docs/screenshots.
const docsDir = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));

test('captures the flows page, a finished run with its trace, and the inspector', async ({ page, request, editor }) => {
  const dir = process.env.SCREENSHOT_DIR === 'docs' ? docsDir : (process.env.SCREENSHOT_DIR ?? test.info().outputDir);
  mkdirSync(dir, { recursive: true });
  await putFlow(request, { ...flowFixture('compare-answers', 'compare-answers'), name: 'Compare answers' });
  await putFlow(request, { ...flowFixture('chat', 'support-chat'), name: 'Support chat' });
  await putFlow(request, { ...flowFixture('rag-qa', 'docs-qa'), name: 'Docs Q&A' });

  await page.goto('/#/');
  await expect(page.getByTestId('flow-card-compare-answers')).toBeVisible();
  await expect(page.getByTestId('template-chat')).toBeVisible();
  await page.screenshot({ path: `${dir}/flows-page.png` });

  await editor.open('compare-answers');
  await page.getByTestId('auto-layout').click();
  await page.getByTestId('run-button').click();
  await page.getByTestId('run-mode-form').click();
  await page.getByTestId('run-input-question').fill('How do I reset my password? [[chunk-delay:30]]');
  await page.getByTestId('run-submit').click();
  await expect(page.getByTestId('run-status')).toHaveText('completed');
  await expect(editor.node('best')).toHaveAttribute('data-status', 'completed');
  await page.getByTestId('auto-layout').click();
  await page.getByTestId('span-judge').click();
  await expect(page.getByTestId('span-outputs')).toBeVisible();
  await page.getByTestId('fit-view').click();
  await page.screenshot({ path: `${dir}/editor-run.png` });

  await page.getByTestId('tab-inspect').click();
  await editor.select('judge-prompt');
  await expect(page.getByTestId('param-template')).toBeVisible();
  await page.screenshot({ path: `${dir}/inspector.png` });
});

test('captures the Knowledge and Settings pages, in dark and light', async ({ page, request }) => {
  const dir = process.env.SCREENSHOT_DIR === 'docs' ? docsDir : (process.env.SCREENSHOT_DIR ?? test.info().outputDir);
  mkdirSync(dir, { recursive: true });
  const name = 'product-docs';
  await request.delete(`/api/collections/${name}`);
  const guide =
    '# Billing\nInvoices are emailed on the first of each month.\n\n# Account\nReset your password in Account settings.';
  const faq = 'Refunds are prorated to the day.\n\nPlans can be changed at any time from the Billing page.';
  const stored = await request.post(`/api/collections/${name}/documents`, {
    data: {
      files: [
        { name: 'guide.md', text: guide },
        { name: 'faq.txt', text: faq },
      ],
    },
  });
  expect(stored.status()).toBe(200);
  await request.delete('/api/settings/providers/local-llama');
  const provider = await request.post('/api/settings/providers', {
    data: {
      id: 'local-llama',
      name: 'Local Llama',
      baseURL: `http://127.0.0.1:${process.env.E2E_FAKE_OPENAI_PORT}/v1`,
      apiKey: 'sk-local-screenshot-4242',
    },
  });
  expect(provider.status()).toBe(201);

  for (const scheme of ['dark', 'light'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(`/#/knowledge/${name}`);
    await expect(page.getByTestId(`collection-${name}`)).toBeVisible();
    await showCollectionAtWork(page, {
      name: 'changelog.md',
      mimeType: 'text/markdown',
      buffer: Buffer.from('# v2\nThe Knowledge page.\n\n# v1\nThe first release.'),
    });
    // From the top: a full-page shot of a scrolled page draws the sticky header where the view was.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: `${dir}/knowledge-${scheme}.png`, fullPage: true });

    await page.goto('/#/settings');
    const llama = page.getByTestId('provider-local-llama');
    await expect(llama.getByTestId('provider-key')).toHaveText('sk-…4242');
    await llama.getByTestId('test-provider').click();
    await expect(llama.getByTestId('provider-test')).toContainText('gpt-4o-mini');
    await page.screenshot({ path: `${dir}/settings-${scheme}.png`, fullPage: true });
  }
});
