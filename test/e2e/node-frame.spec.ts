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

test('opening the trace panel keeps every node in view and clear of the minimap', async ({ page, request, editor }) => {
  await putFlow(request, flowFixture('chat', 'e2e-minimap'));
  await editor.open('e2e-minimap');
  await page.getByTestId('run-button').click();
  await page.getByTestId('chat-input').fill('hi');
  await page.getByTestId('chat-send').click();
  await expect(page.getByTestId('run-status')).toHaveText('completed');

  const minimap = page.getByTestId('rf__minimap');
  const canvas = await editor.canvas.boundingBox();
  for (const id of ['question', 'prompt', 'llm', 'answer']) {
    // Once the refit has settled, each node lies on the canvas and outside the minimap.
    await expect(async () => {
      const box = await editor.node(id).boundingBox();
      const map = await minimap.boundingBox();
      if (!box || !map || !canvas) throw new Error('not visible');
      expect(box.y + box.height).toBeLessThanOrEqual(canvas.y + canvas.height);
      const overlaps = box.x + box.width > map.x && box.y + box.height > map.y;
      expect(overlaps, `${id} under the minimap`).toBe(false);
    }).toPass({ timeout: 5_000 });
    await editor.node(id).locator('.node-header').click({ timeout: 5_000 });
  }
  await page.screenshot({ path: test.info().outputPath('trace-open.png') });
});
