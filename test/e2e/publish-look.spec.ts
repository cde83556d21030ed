import { expect, flowFixture, putFlow, test } from '../fixtures/editor';

// The publish dialog and the keys page wear the app's theme, and API errors are told in the form's terms.

test('publish dialog: themed controls, a bad origin marked on its field, the flow problems listed', async ({
  page,
  request,
  editor,
}) => {
  const flowId = 'publish-look';
  const flow = flowFixture('chat', flowId) as { edges: unknown[] };
  await putFlow(request, flow);
  await editor.open(flowId);
  await page.getByTestId('publish-button').click();
  const dialog = page.getByTestId('publish-dialog');
  await expect(dialog).toBeVisible();

  // Controls use the app's input style, not the browser's light grey; the button stays inside the padding.
  const note = dialog.getByLabel('Note');
  const appInput = await page.evaluate(() => {
    const probe = document.createElement('input');
    probe.className = 'input';
    document.body.append(probe);
    const color = getComputedStyle(probe).backgroundColor;
    probe.remove();
    return color;
  });
  await expect(note).toHaveCSS('background-color', appInput);
  await expect(dialog.getByLabel('Allowed origins')).toHaveCSS('background-color', appInput);
  const body = await dialog.locator('.modal-body').boundingBox();
  const button = await dialog.getByTestId('publish-submit').boundingBox();
  if (!body || !button) throw new Error('not visible');
  expect(button.x + button.width).toBeLessThanOrEqual(body.x + body.width - 12);

  await dialog.getByLabel('Allowed origins').fill('https://ok.example\nnot-an-origin');
  await dialog.getByTestId('publish-submit').click();
  await expect(dialog.getByTestId('publish-error-origins')).toHaveText('“not-an-origin” is not an origin');
  await expect(dialog.getByLabel('Allowed origins')).toHaveAttribute('aria-invalid', 'true');
  await expect(dialog.getByTestId('publish-error')).not.toContainText('body.settings');
  await page.screenshot({ path: test.info().outputPath('publish-origin-error.png') });

  // A time limit out of range is refused on its field, in seconds, and nothing is published: above the server's
  // ceiling (FLOWLOOM_RUN_TIMEOUT_MS, 120 s by default), which the field tells, or below 0.1 s.
  await dialog.getByLabel('Allowed origins').fill('https://ok.example');
  await expect(dialog.getByTestId('publish-timeout-help')).toHaveText('At most 120 s on this server.');
  await expect(dialog.getByLabel('Run time limit (seconds)')).toHaveValue('120');
  await dialog.getByLabel('Run time limit (seconds)').fill('600');
  await dialog.getByTestId('publish-submit').click();
  await expect(dialog.getByTestId('publish-error-timeout')).toHaveText(
    'at most 120 seconds: the longest run this server allows (FLOWLOOM_RUN_TIMEOUT_MS)',
  );
  await dialog.getByLabel('Run time limit (seconds)').fill('0.01');
  await dialog.getByTestId('publish-submit').click();
  await expect(dialog.getByTestId('publish-error-timeout')).toHaveText('a number of seconds from 0.1 to 120');
  expect((await (await request.get(`/api/flows/${flowId}/published`)).json()).versions).toEqual([]);
  await dialog.getByLabel('Run time limit (seconds)').fill('120');

  // A draft with a problem: the problem itself is listed.
  await putFlow(request, { ...flow, edges: flow.edges.slice(1) });
  await page.goto('/#/');
  await editor.open(flowId);
  await page.getByTestId('publish-button').click();
  await dialog.getByTestId('publish-submit').click();
  await expect(dialog.getByTestId('publish-problems')).toContainText('prompt: {{question}}');
  await page.screenshot({ path: test.info().outputPath('publish-problems.png') });
});

test('keys page: the app header, a plain scope group, headers over their cells', async ({ page, request }) => {
  await putFlow(request, flowFixture('chat', 'keys-look'));
  await request.post('/api/keys', { data: { name: 'docs bot', flows: ['keys-look'], rateLimit: 30 } });
  await page.goto('/#/keys');
  const keysPage = page.getByTestId('keys-page');
  await expect(keysPage.locator('header .brand-name')).toHaveText('Flowloom');
  for (const group of await keysPage.locator('fieldset').all())
    await expect(group).toHaveCSS('border-top-style', 'none');
  await expect(page.getByLabel('Key name')).toHaveCSS('background-color', 'rgb(15, 18, 26)');

  const table = page.getByTestId('keys-table');
  await expect(table.locator('tbody tr')).not.toHaveCount(0);
  const heads = await table.locator('thead th').evaluateAll((cells) => cells.map((c) => c.getBoundingClientRect().x));
  const cells = await table
    .locator('tbody tr')
    .first()
    .locator('td')
    .evaluateAll((tds) => tds.map((c) => c.getBoundingClientRect().x));
  expect(heads).toEqual(cells);
  const textLefts = async (selector: string) =>
    table.locator(selector).evaluateAll((cells) =>
      cells.slice(0, 6).map((c) => {
        const range = document.createRange();
        range.selectNodeContents(c);
        return Math.round(range.getBoundingClientRect().x);
      }),
    );
  expect(await textLefts('thead th')).toEqual(await textLefts('tbody tr:first-child td'));
  await page.screenshot({ path: test.info().outputPath('keys-page.png') });
});
