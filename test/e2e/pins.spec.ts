import type { APIRequestContext } from '@playwright/test';
import { expect, flowFixture, putFlow, test } from '../fixtures/editor';

/** How many chat requests the fake OpenAI server has answered so far. */
async function modelCalls(request: APIRequestContext): Promise<number> {
  const state = await request.get(`http://127.0.0.1:${process.env.E2E_FAKE_OPENAI_PORT}/_fake/state`);
  return ((await state.json()) as { requests: number }).requests;
}

async function runsOf(request: APIRequestContext, flowId: string) {
  return (await (await request.get(`/api/runs?flowId=${flowId}`)).json()).runs as {
    runId: string;
    origin?: { node?: string; fromNode?: string; pinned?: string[] };
  }[];
}

test('pins a model output from a run: later runs reuse it without calling the model; a node runs alone with edited inputs', async ({
  page,
  request,
  editor,
}) => {
  await putFlow(request, flowFixture('chat', 'e2e-pins'));
  await editor.open('e2e-pins');
  await page.getByTestId('run-button').click();
  await page.getByTestId('chat-input').fill('first question');
  await page.getByTestId('chat-send').click();
  await expect(page.getByTestId('run-status')).toHaveText('completed');

  // Pin the model's output from the run, then change the pinned value (a wrong port is refused, naming it).
  await page.getByTestId('tab-inspect').click();
  await editor.select('llm');
  await page.getByTestId('inspector-pin').click();
  await expect(page.getByTestId('node-pinned-llm')).toBeVisible();
  // The node's accessible name (on React Flow's wrapper) says so too.
  await expect(editor.node('llm').locator('..')).toHaveAttribute('aria-label', /output pinned/);
  await page.getByTestId('pin-edit').click();
  await page.getByTestId('pin-json').fill('{"answer": "not a port"}');
  await page.getByTestId('pin-save').click();
  await expect(page.getByTestId('pin-error')).toContainText('"answer" is not an output of this node');
  await page.getByTestId('pin-json').fill('{"text": "the pinned answer"}');
  await page.getByTestId('pin-save').click();
  await expect(page.getByTestId('pin-value')).toContainText('the pinned answer');
  await page.screenshot({ path: '/tmp/pin-inspector.png' });

  // Run from here on the node's toolbar: the model is not called, the node shows pinned, downstream gets the value.
  const callsBefore = await modelCalls(request);
  await page.getByTestId('toolbar-run-from-here').click();
  await expect.poll(async () => (await runsOf(request, 'e2e-pins')).length).toBe(2);
  await expect(page.getByTestId('run-status')).toHaveText('completed');
  await expect(page.getByTestId('node-meta-llm')).toHaveText('pinned output, not run');
  await expect(page.getByTestId('span-pinned-llm')).toBeVisible();
  await page.getByTestId('span-answer').click();
  await expect(page.getByTestId('span-outputs')).toContainText('the pinned answer');
  expect(await modelCalls(request)).toBe(callsBefore);
  await page.screenshot({ path: '/tmp/pin-rerun.png' });

  // Right-click the prompt node: its run actions; run it alone with an edited input.
  await editor.node('prompt').locator('.node-header').click({ button: 'right' });
  await expect(page.getByTestId('toolbar-run-from-here')).toBeFocused();
  await page.getByTestId('toolbar-run-alone').click();
  const input = page.getByTestId('run-alone-input-question');
  await expect(input).toHaveValue('first question');
  await page.screenshot({ path: '/tmp/pin-run-alone-dialog.png' });
  await input.fill('an edited question');
  await page.getByTestId('run-alone-submit').click();
  await expect.poll(async () => (await runsOf(request, 'e2e-pins')).length).toBe(3);
  await expect(page.getByTestId('run-status')).toHaveText('completed');
  await expect(page.getByTestId('span-prompt')).toBeVisible();
  await expect(page.getByTestId('span-llm')).toHaveCount(0);
  await page.getByTestId('span-prompt').click();
  await expect(page.getByTestId('span-outputs')).toContainText('an edited question');
  expect(await modelCalls(request)).toBe(callsBefore);

  // History says how each run was asked for.
  const runs = await runsOf(request, 'e2e-pins');
  const alone = runs.find((r) => r.origin?.node === 'prompt');
  const rerun = runs.find((r) => r.origin?.fromNode === 'llm');
  if (!alone || !rerun) throw new Error('runs without their origin');
  await page.getByTestId('bottom-tab-history').click();
  await expect(page.getByTestId(`run-origin-${alone.runId}`)).toHaveText('node alone: prompt');
  await expect(page.getByTestId(`run-origin-${rerun.runId}`)).toHaveText(/rerun from .* · .* pinned/);
  await page.screenshot({ path: '/tmp/pin-history.png' });

  // Unpinned, the model runs again.
  await page.getByTestId('bottom-tab-trace').click();
  await editor.select('llm');
  await page.getByTestId('inspector-unpin').click();
  await expect(page.getByTestId('node-pinned-llm')).toHaveCount(0);
  await page.getByTestId('toolbar-run-from-here').click();
  await expect.poll(async () => modelCalls(request)).toBe(callsBefore + 1);
});

test('the span inspector and the keyboard pin, rerun and run a node alone', async ({ page, request, editor }) => {
  await putFlow(request, flowFixture('chat', 'e2e-pins-keys'));
  await editor.open('e2e-pins-keys');
  await page.getByTestId('run-button').click();
  await page.getByTestId('chat-input').fill('a question');
  await page.getByTestId('chat-send').click();
  await expect(page.getByTestId('run-status')).toHaveText('completed');

  // The span inspector pins the outputs the span shows.
  await page.getByTestId('span-llm').click();
  await page.getByTestId('span-pin').click();
  await expect(page.getByTestId('node-pinned-llm')).toBeVisible();
  await expect(page.getByTestId('span-unpin')).toBeVisible();

  // Shift+P on the selected node unpins it, and pins it again; Shift+R reruns from it without calling the model.
  await editor.select('llm');
  await page.keyboard.press('Shift+P');
  await expect(page.getByTestId('node-pinned-llm')).toHaveCount(0);
  await page.keyboard.press('Shift+P');
  await expect(page.getByTestId('node-pinned-llm')).toBeVisible();
  const callsBefore = await modelCalls(request);
  await page.keyboard.press('Shift+R');
  await expect.poll(async () => (await runsOf(request, 'e2e-pins-keys')).length).toBe(2);
  await expect(page.getByTestId('run-status')).toHaveText('completed');
  await expect(page.getByTestId('span-pinned-llm')).toBeVisible();
  expect(await modelCalls(request)).toBe(callsBefore);
  const rerun = (await runsOf(request, 'e2e-pins-keys')).find((r) => r.origin?.fromNode === 'llm');
  expect(rerun?.origin?.pinned).toEqual(['llm']);

  // Shift+A opens "run alone" for the selected node; Escape closes it without running anything.
  await editor.select('prompt');
  await page.keyboard.press('Shift+A');
  await expect(page.getByTestId('run-alone-input-question')).toHaveValue('a question');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('run-alone-input-question')).toHaveCount(0);
  expect((await runsOf(request, 'e2e-pins-keys')).length).toBe(2);
});

test('a pin on an output the node no longer has is marked stale, and the run does not use it', async ({
  page,
  request,
  editor,
}) => {
  await putFlow(request, flowFixture('chat', 'e2e-pins-stale'));
  await page.addInitScript(() =>
    localStorage.setItem('flowloom.pins', JSON.stringify({ 'e2e-pins-stale': { llm: { answer: 'an old port' } } })),
  );
  await editor.open('e2e-pins-stale');
  await expect(page.getByTestId('node-pinned-llm')).toHaveText('pin stale');
  await editor.select('llm');
  await expect(page.getByTestId('pin-state')).toHaveText('stale');
  await expect(page.getByTestId('pin-stale')).toContainText('no longer has "answer"');
  const callsBefore = await modelCalls(request);
  await page.getByTestId('run-button').click();
  await page.getByTestId('chat-input').fill('a question');
  await page.getByTestId('chat-send').click();
  await expect(page.getByTestId('run-status')).toHaveText('completed');
  expect(await modelCalls(request)).toBe(callsBefore + 1);
});
