import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { expect, flowFixture, putFlow, test } from '../fixtures/editor';

// The editor's publishing UI: the publish dialog (endpoint, snippets with the flow's real inputs, versions, diff,
// rollback) and the keys page. Each test makes its own flow through the API and drives only the feature.

test('publish dialog: publish, snippets with real inputs, a second version, diff and rollback', async ({
  page,
  request,
  editor,
}) => {
  const flowId = 'publish-ui';
  await putFlow(request, flowFixture('chat', flowId));
  await editor.open(flowId);
  await page.getByTestId('publish-button').click();
  const dialog = page.getByTestId('publish-dialog');
  await expect(dialog).toBeVisible();
  await expect(dialog.getByTestId('publish-endpoint')).toContainText(`/api/v1/flows/${flowId}/run`);
  await expect(dialog.getByTestId('snippet')).toContainText('"question":"What can you do?"');
  await dialog.getByTestId('snippet-tab-python').click();
  await expect(dialog.getByTestId('snippet')).toContainText('"question": "What can you do?"');

  await dialog.getByTestId('publish-submit').click();
  await expect(dialog.getByTestId('publish-result')).toContainText('Published v1');
  await expect(dialog.getByTestId('version-1')).toBeVisible();
  // Nothing changed since: no "Publish v2" on offer.
  await expect(dialog.getByTestId('publish-submit')).toHaveText('Nothing to publish: v1 is live');

  // Change the draft through the API, open the dialog again, publish again: v2, and the diff shows the change.
  const flow = await (await request.get(`/api/flows/${flowId}`)).json();
  flow.nodes.find((n: { id: string }) => n.id === 'llm').params.temperature = 0.9;
  expect((await request.put(`/api/flows/${flowId}`, { data: flow })).status()).toBe(200);
  await page.keyboard.press('Escape');
  await page.getByTestId('publish-button').click();
  await expect(dialog.getByTestId('publish-submit')).toHaveText('Publish v2');
  await dialog.getByTestId('publish-submit').click();
  await expect(dialog.getByTestId('publish-result')).toContainText('Published v2');
  await dialog.getByTestId('diff-prev-2').click();
  await expect(dialog.getByTestId('diff')).toContainText('temperature: 0.2 → 0.9');

  await dialog.getByTestId('rollback-1').click();
  await expect(dialog.getByTestId('publish-result')).toContainText('Published v3 (rollback of v1)');
  await expect(dialog.getByTestId('version-3')).toContainText('rollback of v1');
  const published = await (await request.get(`/api/flows/${flowId}/published/3`)).json();
  expect(published.flow.nodes.find((n: { id: string }) => n.id === 'llm').params.temperature).toBe(0.2);
});

test('keys page: create a scoped key (secret shown once), it calls the published flow, revoke it', async ({
  page,
  request,
}) => {
  const flowId = 'keys-ui';
  await putFlow(request, flowFixture('chat', flowId));
  expect((await request.post(`/api/flows/${flowId}/publish`, { data: {} })).status()).toBe(201);
  await page.goto('/#/');
  await page.getByTestId('keys-link').click();
  await expect(page.getByTestId('keys-page')).toBeVisible();
  await page.getByLabel('Key name').fill('e2e key');
  await page.getByRole('checkbox', { name: flowId }).check();
  await page.getByTestId('create-key').click();
  const secret = (await page.getByTestId('key-secret').locator('code').textContent()) ?? '';
  expect(secret).toMatch(/^flk_/);

  const call = () =>
    request.post(`/api/v1/flows/${flowId}/run`, {
      data: { inputs: { question: 'hi' } },
      headers: { authorization: `Bearer ${secret}` },
    });
  expect((await call()).status()).toBe(200);

  const row = page.locator('tr', { hasText: 'e2e key' });
  await expect(row).toContainText(flowId);
  page.once('dialog', (d) => void d.accept());
  await row.getByRole('button', { name: 'Revoke' }).click();
  await expect(row).toContainText('revoked');
  expect((await call()).status()).toBe(401);
  // The page never shows the secret again.
  await page.reload();
  await expect(page.getByTestId('keys-table')).toBeVisible();
  await expect(page.getByText(secret)).toHaveCount(0);
});

test('admin token: the editor asks for it, refuses a wrong one, and works once signed in', async ({ page }) => {
  // A second runtime with FLOWLOOM_ADMIN_TOKEN set, on a free port and its own data folder.
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as { port: number };
      probe.close(() => resolve(free));
    });
  });
  const dataDir = test.info().outputPath('admin-data');
  mkdirSync(dataDir, { recursive: true });
  const child = spawn(process.execPath, ['../runtime/dist/main.js'], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      FLOWLOOM_DATA: dataDir,
      FLOWLOOM_ADMIN_TOKEN: 's3same-token',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    await expect.poll(async () => (await fetch(`${base}/api/health`).catch(() => null))?.status ?? 0).toBe(200);
    expect((await fetch(`${base}/api/flows`)).status).toBe(401);
    await page.goto(`${base}/#/`);
    await expect(page.getByTestId('sign-in')).toBeVisible();
    await page.getByLabel('Admin token').fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert')).toContainText('not the runtime’s admin token');
    await page.getByLabel('Admin token').fill('s3same-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByTestId('new-flow')).toBeVisible();
    await expect(page.getByTestId('sign-in')).toHaveCount(0);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(dataDir, { recursive: true, force: true });
  }
});
