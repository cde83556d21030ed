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

test('port labels never overlap: long names end in an ellipsis', async ({ page, request, editor }) => {
  const flow = flowFixture('chat', 'e2e-ports') as { nodes: { id: string; params?: Record<string, unknown> }[] };
  const prompt = flow.nodes.find((n) => n.id === 'prompt');
  if (prompt) prompt.params = { template: '{{question}} {{a_rather_long_variable_name_for_the_context}}' };
  await putFlow(request, flow);
  await editor.open('e2e-ports');

  // In every node, no input label box meets an output label box, and every label stays inside its node.
  const clashes = await page.evaluate(() => {
    const found: string[] = [];
    // A type tag that does not fit wraps onto the label's clipped second line: only what shows counts.
    const isShown = (e: Element) =>
      e.getBoundingClientRect().top < (e.parentElement?.getBoundingClientRect().bottom ?? Number.POSITIVE_INFINITY);
    const boxes = (node: Element, side: string) =>
      [...node.querySelectorAll(`.node-${side} .port-name, .node-${side} .port-type`)].filter(isShown).map((e) => ({
        text: e.textContent,
        box: e.getBoundingClientRect(),
      }));
    for (const node of document.querySelectorAll('.flow-node')) {
      const frame = node.getBoundingClientRect();
      const ins = boxes(node, 'inputs');
      const outs = boxes(node, 'outputs');
      for (const a of [...ins, ...outs]) {
        if (a.box.left < frame.left - 0.5 || a.box.right > frame.right + 0.5) found.push(`${a.text} leaves its node`);
      }
      for (const a of ins) {
        for (const b of outs) {
          const meets =
            a.box.right > b.box.left &&
            a.box.left < b.box.right &&
            a.box.bottom > b.box.top &&
            a.box.top < b.box.bottom;
          if (meets) found.push(`${node.getAttribute('data-testid')}: ${a.text} / ${b.text}`);
        }
      }
    }
    return found;
  });
  expect(clashes).toEqual([]);
  const longName = editor.node('prompt').locator('.port-name', { hasText: 'a_rather_long' });
  expect(await longName.evaluate((e) => e.scrollWidth > e.clientWidth)).toBe(true);
  const longRow = editor
    .node('prompt')
    .locator('.port-row', { has: page.locator('.port-name', { hasText: 'a_rather' }) });
  await expect(longRow).toHaveAttribute('title', /a_rather_long_variable_name_for_the_context/);
  await page.getByTestId('canvas').screenshot({ path: test.info().outputPath('ports.png') });
  await page.locator('.react-flow__controls-zoomin').click();
  await page.locator('.react-flow__controls-zoomin').click();
  await editor.node('llm').screenshot({ path: test.info().outputPath('llm-node.png') });
  await editor.node('prompt').screenshot({ path: test.info().outputPath('prompt-node.png') });
});
