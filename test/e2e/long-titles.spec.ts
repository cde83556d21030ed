import { expect, flowFixture, putFlow, test } from '../fixtures/editor';

const LONG_NAME =
  'Customer support answers for the enterprise billing team, with retrieval over the handbook and tools for refunds';
const LONG_WORD = 'Supercalifragilisticexpialidocious-flow-name-without-any-spaces-at-all-0123456789';

test('a long flow title is never cut off: wrapped on the flows page, whole on focus and in the tooltip', async ({
  page,
  request,
  editor,
}) => {
  await putFlow(request, { ...flowFixture('chat', 'e2e-long-title'), name: LONG_NAME });
  await putFlow(request, { ...flowFixture('chat', 'e2e-long-word'), name: LONG_WORD });

  // The flows page: both names are there in full, wrapped inside their cards.
  await page.goto('/#/');
  for (const [id, name] of [
    ['e2e-long-title', LONG_NAME],
    ['e2e-long-word', LONG_WORD],
  ] as const) {
    const card = page.getByTestId(`flow-card-${id}`);
    const title = card.locator('.flow-card-name');
    await expect(title).toHaveText(name);
    const fits = await title.evaluate((el) => el.scrollWidth <= el.clientWidth && el.scrollHeight <= el.clientHeight);
    expect(fits, `${id}: the name overflows its card`).toBe(true);
    const [cardBox, titleBox] = [await card.boundingBox(), await title.boundingBox()];
    if (!cardBox || !titleBox) throw new Error('not drawn');
    expect(titleBox.x + titleBox.width).toBeLessThanOrEqual(cardBox.x + cardBox.width);
  }
  await page.getByTestId('flow-card-e2e-long-word').screenshot({ path: test.info().outputPath('card-long.png') });

  // The editor: the whole name in the tooltip, "…" in the bar, and all of it while the field has focus.
  await editor.open('e2e-long-title');
  const field = page.getByTestId('flow-name');
  await expect(field).toHaveValue(LONG_NAME);
  await expect(field).toHaveAttribute('title', LONG_NAME);
  expect(await field.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true);
  expect(await field.evaluate((el) => getComputedStyle(el).textOverflow)).toBe('ellipsis');
  await field.focus();
  await expect.poll(() => field.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
  const box = await field.boundingBox();
  expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(page.viewportSize()?.width ?? 0);
  await page.screenshot({ path: test.info().outputPath('editor-long-title-focused.png') });

  // Edited in place: the longer name is saved, and the field shrinks back when it loses focus.
  await page.keyboard.press('End');
  await page.keyboard.type(' (v2)');
  await page.keyboard.press('Tab');
  await expect(editor.saveStatus()).toHaveAttribute('data-state', 'saved');
  expect((await (await request.get('/api/flows/e2e-long-title')).json()).name).toBe(`${LONG_NAME} (v2)`);
  await expect(field).toHaveAttribute('title', `${LONG_NAME} (v2)`);
  expect(await field.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true);
  await page.screenshot({ path: test.info().outputPath('editor-long-title.png') });

  // A short name takes only the room it needs.
  await putFlow(request, { ...flowFixture('chat', 'e2e-short-title'), name: 'Chat' });
  await editor.open('e2e-short-title');
  expect((await page.getByTestId('flow-name').boundingBox())?.width ?? 999).toBeLessThan(130);
});
