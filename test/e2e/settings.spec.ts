import { expect, flowFixture, putFlow, test } from '../fixtures/editor';

// The Settings page (issue 13 §2): model providers, OpenAI or any OpenAI-compatible server, more than one; keys stored
// encrypted and never shown again; llm nodes pick a provider and a model from its list.

const FAKE = `http://127.0.0.1:${process.env.E2E_FAKE_OPENAI_PORT}`;
const SECRET = 'sk-e2e-second-provider-9999';

test('add, test, change and remove providers; the key is never shown again', async ({ page, request }) => {
  for (const id of ['second-fake', 'openai-prod']) await request.delete(`/api/settings/providers/${id}`);
  await page.goto('/#/');
  await page.getByTestId('settings-link').click();
  await expect(page.getByRole('heading', { name: 'Settings', level: 1 })).toBeVisible();
  await expect(page.getByTestId('default-provider')).toContainText('the environment’s');

  // A bad base URL is said in the form's words, and nothing is added.
  await page.getByTestId('provider-name').fill('Second fake');
  await page.getByTestId('provider-url').fill('localhost:11434');
  await page.getByTestId('add-provider').click();
  await expect(page.getByTestId('provider-error')).toContainText('Base URL: an http:// or https:// address');
  await expect(page.getByTestId('provider-second-fake')).toHaveCount(0);

  await page.getByTestId('provider-url').fill(`${FAKE}/v1`);
  await page.getByTestId('provider-api-key').fill(SECRET);
  await page.getByTestId('add-provider').click();
  await expect(page.getByTestId('provider-added')).toHaveText('Added “Second fake”.');
  const second = page.getByTestId('provider-second-fake');
  await expect(second).toContainText(`${FAKE}/v1`);
  await expect(second.getByTestId('provider-key')).toHaveText('sk-…9999');
  await expect(page.getByTestId('provider-api-key')).toHaveValue('');
  await expect(page.locator('body')).not.toContainText(SECRET);

  // OpenAI itself: no base URL.
  await page.getByTestId('provider-name').fill('OpenAI prod');
  await page.getByTestId('provider-kind-openai').check();
  await expect(page.getByTestId('provider-url')).toHaveCount(0);
  await page.getByTestId('provider-api-key').fill('sk-live-0000000000001234');
  await page.getByTestId('add-provider').click();
  await expect(page.getByTestId('provider-openai-prod')).toContainText('OpenAI');
  await expect(page.getByTestId('provider-openai-prod').getByTestId('provider-key')).toHaveText('sk-…1234');

  // The provider's models, asked from its server with its key.
  await second.getByTestId('test-provider').click();
  await expect(second.getByTestId('provider-test')).toContainText('gpt-4o-mini');
  await page.screenshot({ path: test.info().outputPath('settings-providers.png'), fullPage: true });

  // Never answered back, not after a reload either.
  await page.reload();
  await expect(page.getByTestId('provider-second-fake')).toBeVisible();
  await expect(page.locator('body')).not.toContainText(SECRET);
  expect(await (await request.get('/api/settings/providers')).text()).not.toContain(SECRET);

  // Change: a new name, the key removed.
  await second.getByTestId('edit-provider').click();
  await second.getByTestId('provider-name').fill('Fake server');
  await second.getByLabel('Remove the stored key').check();
  await second.getByTestId('save-provider').click();
  await expect(second.locator('h3')).toHaveText('Fake server');
  await expect(second.getByTestId('provider-key')).toHaveText('none');

  page.once('dialog', (dialog) => void dialog.accept());
  await page.getByTestId('provider-openai-prod').getByTestId('remove-provider').click();
  await expect(page.getByTestId('provider-openai-prod')).toHaveCount(0);
});

test('an llm node picks a provider and a model from its list, and its runs go there', async ({
  page,
  request,
  editor,
}) => {
  await request.delete('/api/settings/providers/picked');
  expect(
    (
      await request.post('/api/settings/providers', {
        data: { name: 'Picked', baseURL: `${FAKE}/v1`, apiKey: SECRET },
      })
    ).status(),
  ).toBe(201);
  await putFlow(request, flowFixture('chat', 'e2e-provider-pick'));
  await editor.open('e2e-provider-pick');
  await editor.select('llm');
  const provider = page.getByTestId('param-provider');
  await expect(provider.locator('option').first()).toHaveText(
    'Default: the environment’s (OPENAI_API_KEY / OPENAI_BASE_URL)',
  );
  await provider.selectOption('picked');
  await expect(editor.saveStatus()).toHaveAttribute('data-state', 'saved');
  const stored = await (await request.get('/api/flows/e2e-provider-pick')).json();
  expect(stored.nodes.find((n: { id: string }) => n.id === 'llm').params.provider).toBe('picked');

  // The model field offers the provider's models.
  const model = page.getByTestId('param-model');
  await model.focus();
  const listId = await model.getAttribute('list');
  await expect
    .poll(() =>
      page.locator(`datalist[id="${listId}"] option`).evaluateAll((o) => o.map((x) => (x as HTMLOptionElement).value)),
    )
    .toContain('gpt-4.1-mini');
  await model.fill('gpt-4.1-mini');
  await model.blur();
  await page.getByTestId('inspector').screenshot({ path: test.info().outputPath('llm-provider.png') });

  // A run: the model call goes to the picked provider, with its key.
  await page.getByTestId('tab-run').click();
  await page.getByTestId('chat-input').fill('Which provider?');
  await page.getByTestId('chat-send').click();
  await expect(page.getByTestId('chat-message-assistant')).toContainText('echo:');
  const { requests } = await (await request.get(`${FAKE}/_fake/requests`)).json();
  const last = requests.filter((r: { path: string }) => r.path === '/v1/chat/completions').at(-1);
  expect(last.headers.authorization).toBe(`Bearer ${SECRET}`);
  expect(last.body.model).toBe('gpt-4.1-mini');
});
