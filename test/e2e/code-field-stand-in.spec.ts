import type { Locator, Page } from '@playwright/test';
import { expectAccessible } from '../fixtures/a11y';
import { expect, putFlow, test } from '../fixtures/editor';

// A code field shows its text in a stand-in and builds its CodeMirror editor when the browser is idle after the first
// paint (inspector/CodeField.tsx). These tests hold the page's animation frames and idle callbacks, so the stand-in
// stays until they let them go or the stand-in is reached.

// The first line wraps in the field: the stand-in must break it where the editor does.
const TEMPLATE =
  'Answer briefly, in the words of the question where you can, in two sentences at most.\n\nQuestion: {{question}}';

function standInFlow(id: string, template: string): Record<string, unknown> {
  return {
    format: 'flowloom.flow/v1',
    id,
    name: 'Stand-in',
    nodes: [
      { id: 'question', type: 'input', position: { x: 0, y: 80 } },
      { id: 'prompt', type: 'prompt', position: { x: 280, y: 80 }, params: { template } },
      { id: 'llm', type: 'llm', position: { x: 560, y: 80 }, params: { jsonSchema: { type: 'object' } } },
    ],
    edges: [],
  };
}

/**
 * Keeps animation frames and idle callbacks from running (so no code field is built once the browser is idle) until
 * `releaseFrames`.
 */
async function holdFrames(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { releaseFrames: () => void };
    const requestFrame = window.requestAnimationFrame.bind(window);
    const cancelFrame = window.cancelAnimationFrame.bind(window);
    const requestIdle = window.requestIdleCallback.bind(window);
    const cancelIdle = window.cancelIdleCallback.bind(window);
    const frames = new Map<number, FrameRequestCallback>();
    const idles = new Map<number, [IdleRequestCallback, IdleRequestOptions | undefined]>();
    // Held ids far above the browser's own, so that cancelling one never cancels a real callback of the same number;
    // once released, a held id cancels the real request it became.
    const released = new Map<number, number>();
    let next = 1e9;
    window.requestAnimationFrame = (callback) => {
      frames.set(next, callback);
      return next++;
    };
    window.cancelAnimationFrame = (id) => {
      if (!frames.delete(id)) cancelFrame(released.get(id) ?? id);
    };
    window.requestIdleCallback = (callback, options) => {
      idles.set(next, [callback, options]);
      return next++;
    };
    window.cancelIdleCallback = (id) => {
      if (!idles.delete(id)) cancelIdle(released.get(id) ?? id);
    };
    w.releaseFrames = () => {
      window.requestAnimationFrame = requestFrame;
      window.cancelAnimationFrame = (id) => cancelFrame(released.get(id) ?? id);
      window.requestIdleCallback = requestIdle;
      window.cancelIdleCallback = (id) => cancelIdle(released.get(id) ?? id);
      for (const [id, callback] of frames) released.set(id, requestFrame(callback));
      for (const [id, [callback, options]] of idles) released.set(id, requestIdle(callback, options));
      frames.clear();
      idles.clear();
    };
  });
}

async function releaseFrames(page: Page): Promise<void> {
  await page.evaluate(() => (window as unknown as { releaseFrames: () => void }).releaseFrames());
}

/** Where the last character of an element's text is drawn. */
function lastCharBox(element: Locator): Promise<{ x: number; y: number }> {
  return element.evaluate((el) => {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    let last: Text | null = null;
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.textContent?.trim()) last = node as Text;
    }
    if (!last) throw new Error('no text');
    const range = document.createRange();
    const end = last.data.trimEnd().length;
    range.setStart(last, end - 1);
    range.setEnd(last, end);
    const box = range.getBoundingClientRect();
    return { x: box.x, y: box.y };
  });
}

test('a code field shows its text at once; Tab into it builds the editor and keeps every key', async ({
  page,
  request,
  editor,
}) => {
  await putFlow(request, standInFlow('e2e-stand-in-tab', TEMPLATE));
  await editor.open('e2e-stand-in-tab');
  await holdFrames(page);
  await editor.select('prompt');

  const field = page.getByTestId('param-template');
  const standIn = field.locator('.code-field-stand-in');
  await expect(standIn).toHaveText(TEMPLATE, { useInnerText: true });
  await expect(field.locator('.cm-content')).toHaveCount(0);
  // One textbox carries the field's id, name and description: the stand-in.
  const textbox = page.getByRole('textbox', { name: 'template' });
  await expect(textbox).toHaveCount(1);
  await expect(page.locator('#param-prompt-template')).toHaveClass('code-field-stand-in');
  await expect(textbox).toHaveAttribute('aria-describedby', 'param-prompt-template-tab-hint');
  await expect(textbox).toHaveAttribute('aria-required', 'true');
  await expect(textbox).toHaveAttribute('aria-multiline', 'true');
  await expectAccessible(page, 'the inspector with a code field not built yet');

  // From the field before it, Tab lands in the editor, which takes the keys typed straight after.
  await page.getByTestId('node-label-input').focus();
  await page.keyboard.press('Tab');
  await page.keyboard.type('Be kind. ');
  const content = field.locator('.cm-content');
  await expect(content).toBeFocused();
  await expect(content).toHaveText(`Be kind. ${TEMPLATE.replaceAll('\n', '')}`);
  await expect(standIn).toHaveCount(0);
  await expect(page.locator('#param-prompt-template')).toHaveClass(/\bcm-content\b/);
  await expect(textbox).toHaveCount(1);
  await expect(page.getByText('Tab indents')).toBeVisible();
  // Reached by Tab, the field lets Tab pass until a key edits it; now Tab indents.
  await page.keyboard.press('Tab');
  await expect(content).toBeFocused();
  await expect(content).toHaveText(/^ {2}Be kind\. Answer/);

  await releaseFrames(page);
  await expect(content).toHaveText(`Be kind. ${TEMPLATE.replaceAll('\n', '')}`);
  await expect(page.getByRole('textbox', { name: 'template' })).toHaveCount(1);
});

test('a click on the stand-in puts the cursor where it was clicked, and nothing moves', async ({
  page,
  request,
  editor,
}) => {
  await putFlow(request, standInFlow('e2e-stand-in-click', TEMPLATE));
  await editor.open('e2e-stand-in-click');
  await holdFrames(page);
  await editor.select('prompt');
  const field = page.getByTestId('param-template');
  const standIn = field.locator('.code-field-stand-in');
  await expect(standIn).toBeVisible();
  const before = await field.boundingBox();
  const textEnd = await lastCharBox(standIn);
  await page
    .getByTestId('inspector')
    .screenshot({ path: test.info().outputPath('stand-in.png'), animations: 'disabled' });

  // Below the last line, as in the editor: the cursor goes to the end.
  const box = await standIn.boundingBox();
  if (!box) throw new Error('stand-in not laid out');
  await standIn.click({ position: { x: box.width - 12, y: box.height - 6 } });
  const content = field.locator('.cm-content');
  await expect(content).toBeFocused();
  // The editor draws the text where the stand-in did (to a fraction of a pixel), line breaks included.
  const drawnEnd = await lastCharBox(content);
  expect(drawnEnd.x).toBeCloseTo(textEnd.x, 0);
  expect(drawnEnd.y).toBeCloseTo(textEnd.y, 0);
  expect(await field.boundingBox()).toEqual(before);
  await page.keyboard.type(' Thanks!');
  await expect(content).toHaveText(`${TEMPLATE.replaceAll('\n', '')} Thanks!`);
  await releaseFrames(page);
  await page.getByTestId('node-label-input').focus();
  await page.getByTestId('inspector').screenshot({ path: test.info().outputPath('built.png'), animations: 'disabled' });
});

test('a field changed while its stand-in shows builds its editor from the new value, invalid as the field', async ({
  page,
  request,
  editor,
}) => {
  await putFlow(request, standInFlow('e2e-stand-in-undo', TEMPLATE));
  await editor.open('e2e-stand-in-undo');
  await editor.select('prompt');
  const field = page.getByTestId('param-template');
  const content = field.locator('.cm-content');
  // Built after the paint with nothing held.
  await content.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await expect(page.getByTestId('param-error-template')).toBeVisible();
  await expect(content).toHaveAttribute('aria-invalid', 'true');

  // Shown again, not built: the stand-in says it is invalid and shows the placeholder.
  await editor.select('llm');
  await holdFrames(page);
  await editor.select('prompt');
  const standIn = field.locator('.code-field-stand-in');
  await expect(standIn).toHaveAttribute('aria-invalid', 'true');
  await expect(standIn).toHaveText('Type {{ to insert a variable');
  await expect(page.getByRole('textbox', { name: 'template' })).toHaveAttribute(
    'aria-placeholder',
    'Type {{ to insert a variable',
  );
  // Undo (the node has focus) brings the text back into the stand-in.
  await page.keyboard.press('Control+Z');
  await expect(standIn).toHaveText(TEMPLATE, { useInnerText: true });
  await expect(page.getByTestId('param-error-template')).toHaveCount(0);
  await expect(standIn).not.toHaveAttribute('aria-invalid');

  await releaseFrames(page);
  await expect(content).toHaveText(TEMPLATE.replaceAll('\n', ''));
  await expect(content).not.toHaveAttribute('aria-invalid');
  await expect(standIn).toHaveCount(0);
  // The llm node's JSON field was built after the paint too, with its id on the editor alone.
  await editor.select('llm');
  await expect(page.getByTestId('param-jsonSchema').locator('.cm-content')).toContainText('"type": "object"');
  await expect(page.locator('#param-llm-jsonSchema')).toHaveCount(1);
  await expect(page.locator('#param-llm-jsonSchema')).toHaveClass(/\bcm-content\b/);
});
