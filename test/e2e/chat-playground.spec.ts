import type { APIRequestContext } from '@playwright/test';
import { expect, flowFixture, putFlow, test } from '../fixtures/editor';

test('each chat message gets the answer of the run it started', async ({ page, request, editor }) => {
  await putFlow(request, flowFixture('chat', 'e2e-chat-turns'));
  await editor.open('e2e-chat-turns');
  await page.getByTestId('run-button').click();

  const answers = page.getByTestId('chat-message-assistant');
  for (const [i, message] of ['first', 'second', 'third'].entries()) {
    await page.getByTestId('chat-input').fill(message);
    await page.getByTestId('chat-send').click();
    await expect(answers).toHaveCount(i + 1);
    // The fake model echoes the prompt, which ends with the question.
    await expect(answers.nth(i)).toContainText(`Question: ${message}`);
    await expect(page.getByTestId('chat-streaming')).toHaveCount(0);
  }
  await expect(answers.locator('.chat-bubble')).toHaveText([
    /Question: first$/,
    /Question: second$/,
    /Question: third$/,
  ]);
});

/** A chat flow with memory: the question is stored before the model sees the history, the answer after. */
const memoryFlow = {
  format: 'flowloom.flow/v1',
  id: 'e2e-chat-memory',
  name: 'Chat with memory',
  nodes: [
    { id: 'question', type: 'input', position: { x: 0, y: 80 } },
    { id: 'history', type: 'memory', position: { x: 280, y: 80 }, params: { mode: 'append' } },
    { id: 'llm', type: 'llm', position: { x: 560, y: 80 } },
    { id: 'answer', type: 'output', position: { x: 840, y: 80 } },
    { id: 'remember', type: 'memory', position: { x: 840, y: 300 }, params: { mode: 'append', role: 'assistant' } },
  ],
  edges: [
    { id: 'e1', source: 'question', sourcePort: 'value', target: 'history', targetPort: 'text' },
    { id: 'e2', source: 'history', sourcePort: 'messages', target: 'llm', targetPort: 'messages' },
    { id: 'e3', source: 'llm', sourcePort: 'text', target: 'answer', targetPort: 'value' },
    { id: 'e4', source: 'llm', sourcePort: 'text', target: 'remember', targetPort: 'text' },
  ],
};

/** What the fake model was sent last, as role: content lines. */
async function lastConversationOf(request: APIRequestContext): Promise<string[] | undefined> {
  const fake = `http://127.0.0.1:${process.env.E2E_FAKE_OPENAI_PORT}/_fake`;
  const { requests } = (await (await request.get(`${fake}/requests`)).json()) as {
    requests: { path: string; body: { messages: { role: string; content: string }[] } }[];
  };
  const last = requests.filter((r) => r.path.endsWith('/chat/completions')).at(-1);
  return last?.body.messages.map((m) => `${m.role}: ${m.content}`);
}

test('a chat keeps one memory session per conversation', async ({ page, request, editor }) => {
  const lastConversation = () => lastConversationOf(request);
  await putFlow(request, memoryFlow);
  await editor.open('e2e-chat-memory');
  await page.getByTestId('run-button').click();
  const answers = page.getByTestId('chat-message-assistant').locator('.chat-bubble');

  await page.getByTestId('chat-input').fill('my name is Ada');
  await page.getByTestId('chat-send').click();
  await expect(answers).toHaveText(['echo: my name is Ada']);
  await page.getByTestId('chat-input').fill('what is my name?');
  await page.getByTestId('chat-send').click();
  await expect(answers).toHaveText(['echo: my name is Ada', 'echo: what is my name?']);
  // The second run read the first one's turns from memory.
  expect(await lastConversation()).toEqual([
    'user: my name is Ada',
    'assistant: echo: my name is Ada',
    'user: what is my name?',
  ]);

  // A new chat is a new session: nothing remembered.
  const firstSession = await page.getByTestId('chat-session').textContent();
  await page.getByTestId('chat-new').click();
  await expect(answers).toHaveCount(0);
  await page.getByTestId('chat-input').fill('who am I?');
  await page.getByTestId('chat-send').click();
  await expect(answers).toHaveText(['echo: who am I?']);
  expect(await lastConversation()).toEqual(['user: who am I?']);
  await expect(page.getByTestId('chat-session')).not.toHaveText(firstSession ?? '');
  await page.screenshot({ path: test.info().outputPath('chat-memory.png') });

  // The Inputs form sends the session typed in its run options.
  await page.getByTestId('run-mode-form').click();
  await page.getByText('Run options').click();
  await page.getByTestId('run-session').fill('form-session');
  for (const question of ['I like tea', 'what do I like?']) {
    await page.getByTestId('run-input-question').fill(question);
    await page.getByTestId('run-submit').click();
    await expect(page.getByTestId('run-outputs')).toContainText(`echo: ${question}`);
  }
  expect(await lastConversation()).toEqual([
    'user: I like tea',
    'assistant: echo: I like tea',
    'user: what do I like?',
  ]);
  await page.screenshot({ path: test.info().outputPath('run-form-session.png') });
});

test('a chat answer still arrives when a past run is replayed while it runs', async ({ page, request, editor }) => {
  await putFlow(request, flowFixture('chat', 'e2e-chat-replay'));
  await editor.open('e2e-chat-replay');
  await page.getByTestId('run-button').click();
  const answers = page.getByTestId('chat-message-assistant');
  await page.getByTestId('chat-input').fill('quick');
  await page.getByTestId('chat-send').click();
  await expect(answers).toHaveCount(1);
  const [past] = (await (await request.get('/api/runs?flowId=e2e-chat-replay')).json()).runs as { runId: string }[];
  if (!past) throw new Error('no past run');

  // A slow answer; while it runs, the canvas moves to the past run.
  await page.getByTestId('chat-input').fill('[[latency:1500]] slow');
  await page.getByTestId('chat-send').click();
  await expect(editor.node('llm')).toHaveAttribute('data-status', 'running');
  await page.getByTestId('bottom-tab-history').click();
  await page.getByTestId(`run-history-item-${past.runId}`).click();
  await expect(page.getByTestId('run-status')).toHaveText('completed');

  await expect(answers).toHaveCount(2);
  await expect(answers.nth(1)).toContainText('slow');
  // Not stuck waiting: the next message is sent and answered.
  await page.getByTestId('chat-input').fill('next');
  await page.getByTestId('chat-send').click();
  await expect(answers).toHaveCount(3);
});

test('the chat survives leaving its tab, even while an answer is on its way', async ({ page, request, editor }) => {
  await putFlow(request, flowFixture('chat', 'e2e-chat-tabs'));
  await editor.open('e2e-chat-tabs');
  await page.getByTestId('run-button').click();
  const answers = page.getByTestId('chat-message-assistant');
  await page.getByTestId('chat-input').fill('kept');
  await page.getByTestId('chat-send').click();
  await expect(answers).toHaveCount(1);
  const session = await page.getByTestId('chat-session').textContent();

  // Away while a slow answer runs, back after it ended: the conversation, its session and the answer are there.
  await page.getByTestId('chat-input').fill('[[latency:800]] later');
  await page.getByTestId('chat-send').click();
  // On the canvas and not ended (queued until the run's first events arrive over its subscription).
  await expect(editor.node('llm')).toHaveAttribute('data-status', /^(queued|running)$/);
  await page.getByTestId('run-mode-form').click();
  await expect(page.getByTestId('chat')).toHaveCount(0);
  await expect(page.getByTestId('run-status')).toHaveText('completed');
  await page.getByTestId('run-mode-chat').click();
  await expect(page.getByTestId('chat-message-user')).toHaveText(['kept', '[[latency:800]] later']);
  await expect(answers).toHaveCount(2);
  await expect(answers.nth(1)).toContainText('later');
  await expect(page.getByTestId('chat-session')).toHaveText(session ?? '');
});

test('a question + history flow chats with the conversation in its history input, and has the OpenAI face', async ({
  page,
  request,
  editor,
}) => {
  await putFlow(request, flowFixture('chat-history', 'e2e-chat-history'));
  await editor.open('e2e-chat-history');
  await page.getByTestId('run-button').click();
  // A chat flow by the one rule (a second, optional messages input is the history): the playground, not the form.
  await expect(page.getByTestId('chat')).toContainText('the conversation so far goes to history');
  const answers = page.getByTestId('chat-message-assistant').locator('.chat-bubble');

  await page.getByTestId('chat-input').fill('my name is Ada');
  await page.getByTestId('chat-send').click();
  await expect(answers).toHaveText(['echo: my name is Ada']);
  expect(await lastConversationOf(request)).toEqual(['user: my name is Ada']);
  await page.getByTestId('chat-input').fill('what is my name?');
  await page.getByTestId('chat-send').click();
  await expect(answers).toHaveText(['echo: my name is Ada', 'echo: what is my name?']);
  // No memory node: the earlier turns reached the model through the history input only.
  expect(await lastConversationOf(request)).toEqual([
    'user: my name is Ada',
    'assistant: echo: my name is Ada',
    'user: what is my name?',
  ]);
  await page.screenshot({ path: test.info().outputPath('chat-history.png') });

  // The same flow has the OpenAI-compatible face: the publish dialog offers its snippet before and after publishing.
  await page.getByTestId('publish-button').click();
  const dialog = page.getByTestId('publish-dialog');
  await expect(dialog.getByTestId('snippet-tab-openai')).toBeVisible();
  await dialog.getByTestId('publish-submit').click();
  await expect(dialog.getByTestId('publish-result')).toContainText('Published v1');
  await dialog.getByTestId('snippet-tab-openai').click();
  await expect(dialog.getByTestId('snippet')).toContainText('e2e-chat-history');
});
