import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, flowFixture, putFlow, test } from '../fixtures/editor';

// Publishing cues (issue 13): which version is live, no "Publish vN" when nothing changed, the widget's key said
// plainly (a browser key, made here), and the tools a chat answer used.

test('the live version is shown, and nothing is offered for publishing until something changed', async ({
  page,
  request,
  editor,
}) => {
  const flowId = 'cues-live';
  await putFlow(request, flowFixture('chat', flowId));
  await editor.open(flowId);
  await expect(page.getByTestId('live-version')).toHaveCount(0);
  await page.getByTestId('publish-button').click();
  const dialog = page.getByTestId('publish-dialog');
  await expect(dialog.getByTestId('publish-live')).toHaveText('Not published yet.');
  const submit = dialog.getByTestId('publish-submit');
  await expect(submit).toHaveText('Publish v1');
  await submit.click();
  await expect(dialog.getByTestId('publish-result')).toContainText('Published v1');
  await expect(dialog.getByTestId('publish-live')).toContainText('v1 · the draft has not changed since');
  await expect(submit).toHaveText('Nothing to publish: v1 is live');
  await expect(submit).toHaveAttribute('aria-disabled', 'true');
  // Clicking it publishes nothing (forced: Playwright would wait for an aria-disabled button to be enabled).
  await submit.click({ force: true });
  expect((await (await request.get(`/api/flows/${flowId}/published`)).json()).versions).toHaveLength(1);

  // New settings are a reason to publish; putting them back is not.
  await dialog.getByLabel('Allowed origins').fill('https://shop.example');
  await expect(submit).toHaveText('Publish v2');
  await dialog.getByLabel('Allowed origins').fill('');
  await expect(submit).toHaveText('Nothing to publish: v1 is live');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('live-version')).toHaveText('v1 live');

  // An edit on the canvas (a note) is.
  await page.getByTestId('add-note').click();
  await page.getByTestId('publish-button').click();
  await expect(dialog.getByTestId('publish-live')).toContainText('the draft or the settings changed since');
  await expect(submit).toHaveText('Publish v2');
  await page.screenshot({ path: test.info().outputPath('publish-changed.png') });
  await submit.click();
  await expect(dialog.getByTestId('publish-result')).toContainText('Published v2');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('live-version')).toHaveText('v2 live');
});

test('the widget takes a browser key, made in the dialog; it works from its page only and shows the tools used', async ({
  page,
  request,
  editor,
  baseURL,
}) => {
  const flowId = 'cues-widget';
  await putFlow(request, { ...flowFixture('support-agent', flowId), name: 'Shop agent' });
  await editor.open(flowId);
  await page.getByTestId('publish-button').click();
  const dialog = page.getByTestId('publish-dialog');
  await dialog.getByTestId('publish-submit').click();
  await expect(dialog.getByTestId('publish-result')).toContainText('Published v1');

  await dialog.getByTestId('snippet-tab-widget').click();
  const snippet = dialog.getByTestId('snippet');
  await expect(snippet).toContainText('data-key="flk_pub_YOUR_BROWSER_KEY"');
  await expect(dialog).not.toContainText(/public key/i);
  await expect(dialog.getByTestId('browser-key')).toContainText('Never put a secret key');

  // The shop page lives on another origin than the runtime: a server of its own on this machine (a page the browser
  // only imagines, through page.route, would be a public page, which Chromium forbids to reach loopback addresses).
  const runtime = new URL(baseURL ?? '');
  let pageHtml = '';
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(pageHtml));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const shop = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await dialog.getByLabel('Pages that embed it (origins)').fill('shop.example');
  await dialog.getByTestId('create-browser-key').click();
  await expect(dialog.getByTestId('browser-key-error')).toHaveText('“shop.example” is not an origin.');
  await dialog.getByLabel('Pages that embed it (origins)').fill(shop);
  await dialog.getByTestId('create-browser-key').click();
  await expect(dialog.getByTestId('browser-key-created')).toContainText(shop);
  const key = /data-key="(flk_pub_[^"]+)"/.exec((await snippet.textContent()) ?? '')?.[1] ?? '';
  expect(key).toMatch(/^flk_pub_[0-9a-f]{12}_/);
  await dialog.screenshot({ path: test.info().outputPath('widget-browser-key.png') });

  // From elsewhere, or from a server, the key does nothing.
  const ask = (origin?: string) =>
    request.post('/api/v1/chat/completions', {
      data: { model: flowId, messages: [{ role: 'user', content: 'hi' }] },
      headers: { authorization: `Bearer ${key}`, ...(origin && { origin }) },
    });
  expect((await ask('https://evil.example')).status()).toBe(403);
  expect((await ask()).status()).toBe(403);

  // The page that embeds it: the widget answers, and says which tools the agent used.
  pageHtml = `<!doctype html><html lang="en"><head><title>Shop</title></head><body><main><h1>Shop</h1>
<script src="${runtime.origin}/widget.js" data-flow="${flowId}" data-key="${key}" data-title="Shop agent"></script>
</main></body></html>`;
  await page.goto(`${shop}/shop.html`);
  await page.getByRole('button', { name: 'Open chat' }).click();
  await page.getByRole('textbox', { name: 'Message' }).fill('What is your refund policy? [[tool:refund_policy]]');
  await page.keyboard.press('Enter');
  const log = page.getByRole('log', { name: 'Conversation' });
  await expect(log.locator('[data-role="assistant"]')).toContainText('tool results');
  await expect(log.locator('[data-role="tools"]')).toHaveText('Used a tool: refund_policy');
  // The thumbs under that answer rate its run with the same browser key, from the same page.
  const good = page.getByRole('button', { name: 'Good answer' });
  await good.click();
  await expect(good).toHaveAttribute('aria-pressed', 'true');
  const runs = await (await request.get(`/api/runs?flowId=${flowId}`)).json();
  const detail = await (await request.get(`/api/runs/${runs.runs[0].runId}`)).json();
  expect(detail.feedback).toEqual([expect.objectContaining({ score: 1, source: 'widget' })]);
  await page.screenshot({ path: test.info().outputPath('widget-tools.png') });
  server.close();
});

test('the editor’s chat shows the tools an answer used', async ({ page, request, editor }) => {
  const flowId = 'cues-chat-tools';
  await putFlow(request, flowFixture('support-agent', flowId));
  await editor.open(flowId);
  await page.getByTestId('tab-run').click();
  await page
    .getByTestId('chat-input')
    .fill('Where is A1001? [[tool:order_status {"orderId":"A1001"}]] [[tool:refund_policy]]');
  await page.getByTestId('chat-send').click();
  await expect(page.getByTestId('chat-message-assistant')).toContainText('tool results');
  await expect(page.getByTestId('chat-tools')).toHaveText('⚒ Used 2 tools: order_status, refund_policy');
  // A plain answer says nothing of tools.
  await page.getByTestId('chat-input').fill('Hello');
  await page.getByTestId('chat-send').click();
  await expect(page.getByTestId('chat-message-assistant')).toHaveCount(2);
  await expect(page.getByTestId('chat-tools')).toHaveCount(1);
  await page.locator('#right-panel-run').screenshot({ path: test.info().outputPath('chat-tools.png') });
});

test('the keys page makes browser keys and tells them apart from secret ones', async ({ page, request }) => {
  await putFlow(request, flowFixture('chat', 'cues-keys'));
  await page.goto('/#/keys');
  await page.getByLabel('Key name').fill('shop widget');
  await page.getByTestId('key-kind-browser').check();
  await page.getByLabel('Pages that use it (origins)').fill('https://shop.example');
  await page.getByRole('checkbox', { name: 'cues-keys' }).check();
  await page.getByTestId('create-key').click();
  await expect(page.getByTestId('key-secret')).toContainText('put it in your page');
  await expect(page.getByTestId('key-secret').locator('code')).toHaveText(/^flk_pub_/);
  const row = page.locator('tr', { hasText: 'shop widget' });
  await expect(row).toContainText('browser: https://shop.example');
  await expect(row).toContainText('flk_pub_');
  await page.screenshot({ path: test.info().outputPath('keys-browser.png') });
});
