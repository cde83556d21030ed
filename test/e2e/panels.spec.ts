import { expect, flowFixture, putFlow, test } from '../fixtures/editor';

const widthOf = async (selector: string, page: import('@playwright/test').Page) =>
  Math.round((await page.locator(selector).boundingBox())?.width ?? 0);

test('the palette, the right panel and the bottom panel resize with the mouse and the keyboard, and stay so', async ({
  page,
  request,
  editor,
}) => {
  await putFlow(request, flowFixture('chat', 'e2e-panels'));
  await editor.open('e2e-panels');
  const palette = page.getByTestId('resize-palette');
  await expect(palette).toHaveAttribute('role', 'separator');
  await expect(palette).toHaveAttribute('aria-valuenow', '252');
  expect(await widthOf('.palette', page)).toBe(252);

  // The mouse: drag the palette's edge 100 px to the right.
  const bar = await palette.boundingBox();
  if (!bar) throw new Error('no palette edge');
  await page.mouse.move(bar.x + bar.width / 2, bar.y + 300);
  await page.mouse.down();
  await page.mouse.move(bar.x + bar.width / 2 + 50, bar.y + 300, { steps: 4 });
  await page.mouse.move(bar.x + bar.width / 2 + 100, bar.y + 300, { steps: 4 });
  await page.mouse.up();
  await expect(palette).toHaveAttribute('aria-valuenow', '352');
  expect(await widthOf('.palette', page)).toBe(352);

  // The keyboard: the right panel's edge grows it with ArrowLeft (the edge moves left), Home and End go to the limits.
  const right = page.getByTestId('resize-right');
  await right.focus();
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  await expect(right).toHaveAttribute('aria-valuenow', '372');
  expect(await widthOf('.right-panel', page)).toBe(372);
  await page.keyboard.press('Shift+ArrowRight');
  await expect(right).toHaveAttribute('aria-valuenow', '308');
  await page.keyboard.press('End');
  await expect(right).toHaveAttribute('aria-valuenow', '720');
  await page.keyboard.press('Home');
  await expect(right).toHaveAttribute('aria-valuenow', '280');
  await page.keyboard.press('Shift+ArrowLeft');
  await expect(right).toHaveAttribute('aria-valuenow', '344');

  // The bottom panel's edge is there while the panel is open; ArrowUp makes it taller.
  await expect(page.getByTestId('resize-bottom')).toHaveCount(0);
  await page.getByTestId('toggle-bottom').click();
  const bottom = page.getByTestId('resize-bottom');
  await expect(bottom).toHaveAttribute('aria-orientation', 'horizontal');
  await bottom.focus();
  for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowUp');
  await expect(bottom).toHaveAttribute('aria-valuenow', '364');
  expect(Math.round((await page.getByTestId('bottom-panel').boundingBox())?.height ?? 0)).toBe(364);
  await page.screenshot({ path: test.info().outputPath('panels-resized.png') });

  // Remembered: the same sizes after a reload.
  await page.reload();
  await expect(page.getByTestId('canvas')).toBeVisible();
  await expect(page.getByTestId('resize-palette')).toHaveAttribute('aria-valuenow', '352');
  await expect(page.getByTestId('resize-right')).toHaveAttribute('aria-valuenow', '344');
  expect(await widthOf('.palette', page)).toBe(352);
  await page.getByTestId('toggle-bottom').click();
  await expect(page.getByTestId('resize-bottom')).toHaveAttribute('aria-valuenow', '364');

  // Enter goes back to the default size.
  await page.getByTestId('resize-palette').focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('resize-palette')).toHaveAttribute('aria-valuenow', '252');
  expect(await widthOf('.palette', page)).toBe(252);
});
