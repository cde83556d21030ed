import { expect, putFlow, test } from '../fixtures/editor';

/** A flow of `count` prompt nodes on a grid 300 units apart, 20 to a row: far larger than the view. */
function gridFlow(id: string, count: number) {
  const nodes = Array.from({ length: count }, (_, i) => ({
    id: `p${i}`,
    type: 'prompt',
    position: { x: (i % 20) * 300, y: Math.floor(i / 20) * 300 },
    params: { template: `Step ${i}` },
  }));
  return { format: 'flowloom.flow/v1', id, name: 'Large grid', nodes, edges: [] };
}

test('a large flow first mounts only the nodes in view, and draws the rest as the view moves to them', async ({
  page,
  request,
  editor,
}) => {
  await putFlow(request, gridFlow('e2e-large', 400));
  // The most node elements ever in the page, counted from the first one.
  await page.addInitScript(() => {
    const w = window as unknown as { __mostNodes: number };
    w.__mostNodes = 0;
    new MutationObserver(() => {
      w.__mostNodes = Math.max(w.__mostNodes, document.querySelectorAll('.react-flow__node').length);
    }).observe(document, { subtree: true, childList: true });
  });
  await editor.open('e2e-large');
  await expect(page.getByTestId('node-p0')).toBeVisible();
  const pane = await page.locator('.react-flow__pane').boundingBox();
  if (!pane) throw new Error('no pane');
  // At the readable zoom the view holds a few columns and rows of the 20 × 20 grid: every mounted node is near it.
  const most = await page.evaluate(() => (window as unknown as { __mostNodes: number }).__mostNodes);
  expect(most).toBeGreaterThan(0);
  expect(most).toBeLessThanOrEqual(40);
  await expect(page.getByTestId('node-p19')).toHaveCount(0);

  // Dragging the pane to the left, in the gap between two columns, brings the end of the first row into view, drawn.
  // The view opens at 80 % with the flow 40 px in: a gap is 268-300 units into each 300-unit column, and a 720 px drag
  // moves three columns, so the next drag starts in a gap again.
  const gapX = pane.x + 40 + (2 * 300 + 284) * 0.8;
  for (let i = 0; i < 6; i++) {
    await page.mouse.move(gapX, pane.y + 100);
    await page.mouse.down();
    await page.mouse.move(gapX - 720, pane.y + 100, { steps: 8 });
    await page.mouse.up();
  }
  await expect(page.getByTestId('node-p19')).toBeVisible();
});
