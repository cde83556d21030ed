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
