import type { Page } from '@playwright/test';
import { expect, flowFixture, putFlow, test } from '../fixtures/editor';

const themeOf = (page: Page) => page.evaluate(() => document.documentElement.dataset.theme);
const bodyBackground = (page: Page) => page.evaluate(() => getComputedStyle(document.body).backgroundColor);

test('follows the system setting, and the switch (system, light, dark) wins and is remembered', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto('/#/');
  const theme = page.getByTestId('theme-switch');
  await expect(theme).toHaveValue('system');
  expect(await themeOf(page)).toBe('light');
  expect(await bodyBackground(page)).toBe('rgb(245, 246, 250)');
  await page.screenshot({ path: test.info().outputPath('flows-light.png') });

  // The system changes its mind while the page is open.
  await page.emulateMedia({ colorScheme: 'dark' });
  await expect.poll(() => themeOf(page)).toBe('dark');
  expect(await bodyBackground(page)).toBe('rgb(11, 13, 18)');

  // The switch: light whatever the system says, kept across a reload and on every page.
  await theme.selectOption('light');
  await expect.poll(() => themeOf(page)).toBe('light');
  await page.reload();
  await expect(page.getByTestId('theme-switch')).toHaveValue('light');
  expect(await themeOf(page)).toBe('light');
  expect(await page.evaluate(() => localStorage.getItem('flowloom-theme'))).toBe('light');
  await page.goto('/#/keys');
  await expect(page.getByTestId('theme-switch')).toHaveValue('light');
  expect(await themeOf(page)).toBe('light');

  await page.getByTestId('theme-switch').selectOption('dark');
  await page.emulateMedia({ colorScheme: 'light' });
  expect(await themeOf(page)).toBe('dark');
  // Back to the system's.
  await page.getByTestId('theme-switch').selectOption('system');
  await expect.poll(() => themeOf(page)).toBe('light');
  expect(await page.evaluate(() => localStorage.getItem('flowloom-theme'))).toBeNull();
});

test('the canvas, the minimap and code fields take the light theme, with readable code colours', async ({
  page,
  request,
  editor,
}) => {
  await putFlow(request, flowFixture('chat', 'e2e-theme'));
  await page.emulateMedia({ colorScheme: 'light' });
  await editor.open('e2e-theme');
  // React Flow draws its own parts (controls, edges, selection) in its light mode.
  await expect(page.locator('.react-flow')).toHaveClass(/\blight\b/);
  const minimap = page.locator('.react-flow__minimap');
  expect(await minimap.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(255, 255, 255)');
  expect(await page.locator('.canvas').evaluate((el) => getComputedStyle(el).backgroundColor)).toBe(
    'rgb(240, 242, 247)',
  );

  await editor.select('prompt');
  const code = page.getByTestId('param-template').locator('.cm-content');
  await expect(code).toBeVisible();
  // The template's {{variable}} mark and the text itself are dark on the light field.
  const mark = page.getByTestId('param-template').locator('.cm-template-var').first();
  await expect(mark).toBeVisible();
  expect(await mark.evaluate((el) => getComputedStyle(el).color)).toBe('rgb(79, 50, 204)');
  await page.screenshot({ path: test.info().outputPath('editor-light.png') });

  // The switch in the editor's top bar turns the canvas dark at once.
  await page.getByTestId('theme-switch').selectOption('dark');
  await expect(page.locator('.react-flow')).toHaveClass(/\bdark\b/);
  expect(await minimap.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(18, 21, 29)');
  expect(await mark.evaluate((el) => getComputedStyle(el).color)).toBe('rgb(196, 181, 253)');
});

test('JavaScript in a code node is coloured for the theme: keywords, strings and comments', async ({
  page,
  request,
  editor,
}) => {
  await putFlow(request, {
    format: 'flowloom.flow/v1',
    id: 'e2e-theme-code',
    name: 'Code colours',
    nodes: [
      {
        id: 'code',
        type: 'code',
        position: { x: 0, y: 0 },
        params: { code: '// doubles it\nconst n = 2;\nreturn { text: "x" + n };' },
      },
    ],
    edges: [],
  });
  await page.emulateMedia({ colorScheme: 'light' });
  await editor.open('e2e-theme-code');
  await editor.select('code');
  const field = page.locator('.cm-content').first();
  await expect(field).toContainText('doubles it');
  const colourOf = (text: string) =>
    field
      .locator('span')
      .filter({ hasText: new RegExp(`^${text}$`) })
      .first()
      .evaluate((el) => getComputedStyle(el).color);
  // --code-keyword, --code-string and --code-comment of the light theme (styles.css).
  expect(await colourOf('const')).toBe('rgb(109, 40, 217)');
  expect(await colourOf('"x"')).toBe('rgb(21, 112, 58)');
  expect(await colourOf('// doubles it')).toBe('rgb(91, 100, 117)');
  await page.getByTestId('inspector').screenshot({ path: test.info().outputPath('code-light.png') });
});
