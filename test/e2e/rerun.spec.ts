import { expect, flowFixture, putFlow, test } from '../fixtures/editor';

test('reruns from a node: upstream outputs are reused, the node and what follows run again', async ({
  page,
  request,
  editor,
}) => {
  await putFlow(request, flowFixture('chat', 'e2e-rerun'));
  await editor.open('e2e-rerun');
  await page.getByTestId('run-button').click();
  await page.getByTestId('chat-input').fill('first question');
  await page.getByTestId('chat-send').click();
  await expect(page.getByTestId('run-status')).toHaveText('completed');
  const first = (await (await request.get('/api/runs?flowId=e2e-rerun')).json()).runs as { runId: string }[];
  expect(first).toHaveLength(1);

  // Select the model node and run again from it.
  await page.getByTestId('tab-inspect').click();
  await editor.select('llm');
  await page.getByTestId('rerun-from-node').click();
  await expect
    .poll(async () => ((await (await request.get('/api/runs?flowId=e2e-rerun')).json()).runs as unknown[]).length)
    .toBe(2);
  await expect(page.getByTestId('run-status')).toHaveText('completed');
  const runs = (await (await request.get('/api/runs?flowId=e2e-rerun')).json()).runs as { runId: string }[];
  const rerun = runs.find((r) => r.runId !== first[0]?.runId);
  if (!rerun) throw new Error('no rerun');
  const events = (await (await request.get(`/api/runs/${rerun.runId}`)).json()).events as {
    type: string;
    nodeId?: string;
    data: { reused?: boolean };
  }[];
  const completed = (nodeId: string) => events.find((e) => e.type === 'node.completed' && e.nodeId === nodeId);
  expect(completed('prompt')?.data.reused).toBe(true);
  expect(completed('llm')?.data.reused).toBeUndefined();
  expect(completed('answer')).toBeTruthy();

  // The inspector says which outputs were reused.
  await editor.select('prompt');
  await expect(page.getByTestId('inspector-last-run')).toContainText('reused');
  await page.screenshot({ path: test.info().outputPath('rerun.png') });
});
