import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIRequestContext } from '@playwright/test';
import { expect, flowFixture, putFlow, test } from '../fixtures/editor';

// The chat widget on a plain HTML page served by a separate tiny server (another origin), so the browser's CORS
// rules are exercised for real: the runtime allows only the origins listed in the published version.

interface StaticSite {
  origin: string;
  close(): Promise<void>;
}

/** Serves one HTML page (read at each request, so it may name the site's own origin) at `/`. */
function serve(html: () => string): Promise<StaticSite> {
  return new Promise((resolve) => {
    const server: Server = createServer((request, response) => {
      if (request.url === '/' || request.url?.startsWith('/?')) {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        response.end(html());
      } else {
        response.writeHead(404).end();
      }
    });
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        origin: `http://127.0.0.1:${port}`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

async function publish(request: APIRequestContext, flowId: string, origins: string[]): Promise<void> {
  const response = await request.post(`/api/flows/${flowId}/publish`, {
    data: { settings: { allowedOrigins: origins } },
  });
  expect(response.status(), await response.text()).toBe(201);
}

async function createKey(request: APIRequestContext, flowId: string): Promise<string> {
  const response = await request.post('/api/keys', { data: { name: `widget ${flowId}`, flows: [flowId] } });
  expect(response.status()).toBe(201);
  return (await response.json()).key;
}

function page(runtime: string, attributes: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Shop</title></head>
<body><h1>Our shop</h1><p>Questions? Ask the assistant.</p>
<script src="${runtime}/widget.js" ${attributes}></script></body></html>`;
}

test('script-tag widget streams answers across origins and keeps the session', async ({
  page: browser,
  request,
  baseURL,
}) => {
  const flowId = 'widget-chat';
  await putFlow(request, flowFixture('chat', flowId));
  const key = await createKey(request, flowId);
  // The site's origin is only known once it listens: serve, then publish with it on the allow-list.
  const html = page(baseURL as string, `data-flow="${flowId}" data-key="${key}" data-title="Shop assistant"`);
  const real = await serve(() => html);
  await publish(request, flowId, [real.origin]);
  // As on a plain-HTTP page, where browsers have no crypto.randomUUID: the session id is random all the same.
  await browser.addInitScript(() => {
    delete (Crypto.prototype as { randomUUID?: unknown }).randomUUID;
  });
  try {
    await browser.goto(real.origin);
    await browser.getByRole('button', { name: 'Open chat' }).click();
    await expect(browser.getByRole('heading', { name: 'Shop assistant' })).toBeVisible();
    await browser.getByRole('textbox', { name: 'Message' }).fill('Where is my parcel?');
    await browser.getByRole('button', { name: 'Send' }).click();
    const log = browser.getByRole('log', { name: 'Conversation' });
    const answer = log.locator('.msg[data-role="assistant"]').first();
    await expect(answer).toContainText('Question: Where is my parcel?');
    await expect(answer).not.toHaveAttribute('aria-busy', 'true');

    const sessionId = await browser.evaluate(
      (storageKey) => JSON.parse(localStorage.getItem(storageKey) ?? 'null'),
      `flowloom-chat:${baseURL}:${flowId}:session`,
    );
    expect(sessionId).toMatch(/^[0-9a-f]{32}$/);
    const runs = await (await request.get(`/api/runs?flowId=${flowId}`)).json();
    // Sessions are scoped to the API key that made them: `key:<key id>:<the widget's session id>`.
    const scoped = `key:${key.split('_')[1]}:${sessionId}`;
    expect(runs.runs[0]).toMatchObject({ status: 'completed', sessionId: scoped });

    // A reload keeps the conversation and the session.
    await browser.reload();
    await browser.getByRole('button', { name: 'Open chat' }).click();
    await expect(log.locator('.msg[data-role="user"]')).toHaveText(['Where is my parcel?']);
    await browser.getByRole('textbox', { name: 'Message' }).fill('And when?');
    await browser.keyboard.press('Enter');
    await expect(log.locator('.msg[data-role="assistant"]').nth(1)).toContainText('Question: And when?');
    const after = await (await request.get(`/api/runs?flowId=${flowId}`)).json();
    expect(after.runs).toHaveLength(2);
    expect(after.runs[0].sessionId).toBe(scoped);
    await browser.screenshot({ path: test.info().outputPath('widget.png') });
  } finally {
    await real.close();
  }
});

test('an origin missing from the allow-list is refused by CORS and nothing runs', async ({
  page: browser,
  request,
  baseURL,
}) => {
  const flowId = 'widget-closed';
  await putFlow(request, flowFixture('chat', flowId));
  const key = await createKey(request, flowId);
  await publish(request, flowId, ['https://only-this.example']);
  const site = await serve(() => page(baseURL as string, `data-flow="${flowId}" data-key="${key}" data-inline`));
  try {
    await browser.goto(site.origin);
    await browser.getByRole('textbox', { name: 'Message' }).fill('hello?');
    await browser.getByRole('button', { name: 'Send' }).click();
    await expect(browser.locator('.msg[data-role="error"]')).toContainText('something went wrong');
    const runs = await (await request.get(`/api/runs?flowId=${flowId}`)).json();
    expect(runs.runs).toHaveLength(0);
  } finally {
    await site.close();
  }
});

test('the <flowloom-chat> element works inline with explicit attributes', async ({
  page: browser,
  request,
  baseURL,
}) => {
  const flowId = 'widget-inline';
  await putFlow(request, flowFixture('chat', flowId));
  const key = await createKey(request, flowId);
  const html = `<!doctype html><html><body><h1>Docs</h1>
<flowloom-chat flow="${flowId}" api-key="${key}" server="${baseURL}" chat-title="Docs bot"></flowloom-chat>
<script type="module" src="${baseURL}/widget.js"></script></body></html>`;
  const site = await serve(() => html);
  await publish(request, flowId, [site.origin]);
  try {
    await browser.goto(site.origin);
    await expect(browser.getByRole('heading', { name: 'Docs bot' })).toBeVisible();
    await browser.getByRole('textbox', { name: 'Message' }).fill('How do I install it?');
    await browser.getByRole('button', { name: 'Send' }).click();
    await expect(browser.locator('.msg[data-role="assistant"]')).toContainText('Question: How do I install it?');
  } finally {
    await site.close();
  }
});
