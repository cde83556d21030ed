import { expect, flowFixture, putFlow, test } from '../fixtures/editor';

test('opens a stored flow and draws every node from the catalog', async ({ request, editor }) => {
  await putFlow(request, flowFixture('chat', 'smoke-chat'));
  await editor.open('smoke-chat');
  for (const id of ['question', 'prompt', 'llm', 'answer']) await expect(editor.node(id)).toBeVisible();
  await expect(editor.edgeCount()).toHaveCount(3);
});
