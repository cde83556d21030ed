import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, flowFixture, putFlow, test } from '../fixtures/editor';

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
