import { expect, flowFixture, putFlow, test } from '../fixtures/editor';

test('a param problem counts once on the node badge, as in the top bar', async ({ page, request, editor }) => {
  await putFlow(request, flowFixture('chat', 'e2e-node-badge'));
  await editor.open('e2e-node-badge');
  await editor.select('llm');
  await page.getByTestId('param-temperature').fill('5');
  // The validator has answered once the top bar counts the problem; the node must not count it again.
  await expect(page.getByTestId('problems-button')).toHaveText('⚠ 1');
  await expect(page.getByTestId('node-problems-llm')).toHaveText('1');
});
