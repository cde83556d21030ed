import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TraceEvent } from '@flowloom/nodes';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { flowOf, startTestApp, type TestApp } from '../../testing/fixtures.js';

// Values nested deeper than MAX_VALUE_DEPTH (128) are refused where they enter, naming where; before, they overflowed
// the stack when the run was stored (a 500, and the run left `running` for good).

/** `{"a":{"a":...1}}`, `depth` objects deep, as JSON text (JSON.stringify itself overflows past a few thousand). */
const deepJson = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

let t: TestApp;
let remote: Server;
let remoteUrl: string;
beforeAll(async () => {
  // A remote API answering JSON nested 5,000 deep (10 KB).
  remote = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(deepJson(5000)));
  await new Promise<void>((resolve) => remote.listen(0, '127.0.0.1', resolve));
  remoteUrl = `http://127.0.0.1:${(remote.address() as AddressInfo).port}/deep`;
});
afterAll(() => new Promise<void>((resolve) => remote.close(() => resolve())));
beforeEach(async () => {
  t = await startTestApp({ http: { allowPrivate: true } });
});
afterEach(async () => t.close());

function post(url: string, payload: unknown) {
  return t.app.inject({
    method: 'POST',
    url,
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    headers: { 'content-type': 'application/json' },
  });
}

async function createFlow(flow: unknown) {
  expect((await post('/api/flows', flow)).statusCode).toBe(201);
}

const jsonFlow = (id: string) =>
  flowOf(
    id,
    [
      ['q', 'input', { name: 'q', dataType: 'json' }],
      ['a', 'output', { name: 'a' }],
    ],
    ['q.value→a.value'],
  );

describe('deeply nested values', () => {
  it('a code node returning an object nested 3,000 deep fails with VALUE_TOO_DEEP; the run is stored failed', async () => {
    const code = 'let o = {}; for (let i = 0; i < 3000; i++) o = { a: o }; return o;';
    await createFlow(
      flowOf(
        'deep-code',
        [
          ['c', 'code', { code, timeoutMs: 10_000 }],
          ['a', 'output', { name: 'a' }],
        ],
        ['c.result→a.value'],
      ),
    );
    const res = await post('/api/flows/deep-code/runs', { inputs: {} });
    expect(res.statusCode).toBe(200);
    const answer = res.json();
    expect(answer.status).toBe('failed');
    expect(answer.error.details[0]).toMatchObject({ nodeId: 'c', code: 'VALUE_TOO_DEEP' });
    expect(answer.error.message).toContain('result.a.a');
    const detail = (await t.app.inject({ method: 'GET', url: `/api/runs/${answer.runId}` })).json();
    expect(detail.status).toBe('failed');
    expect(detail.events.at(-1).type).toBe('run.failed');
  });

  it('an http node reading a JSON answer nested 5,000 deep fails with VALUE_TOO_DEEP', async () => {
    await createFlow(
      flowOf(
        'deep-http',
        [
          ['h', 'http', { url: remoteUrl }],
          ['a', 'output', { name: 'a' }],
        ],
        ['h.body→a.value'],
      ),
    );
    const answer = (await post('/api/flows/deep-http/runs', { inputs: {} })).json();
    expect(answer.status).toBe('failed');
    expect(answer.error.details[0]).toMatchObject({ nodeId: 'h', code: 'VALUE_TOO_DEEP' });
    expect(answer.error.message).toContain('body.a.a');
    const detail = (await t.app.inject({ method: 'GET', url: `/api/runs/${answer.runId}` })).json();
    expect(detail.status).toBe('failed');
  });

  it('run inputs: 400 naming the input, nothing stored (past the body limit, and just past the value limit)', async () => {
    await createFlow(jsonFlow('deep-in'));
    const huge = await post('/api/flows/deep-in/runs', `{"inputs":{"q":${deepJson(5000)}}}`);
    expect(huge.statusCode).toBe(400);
    expect(huge.json().error.code).toBe('VALIDATION_FAILED');
    expect(huge.json().error.details[0].field).toMatch(/^body\.inputs\.q\.a/);
    const past = await post('/api/flows/deep-in/runs', `{"inputs":{"q":${deepJson(129)}}}`);
    expect(past.statusCode).toBe(400);
    expect(past.json().error).toMatchObject({ code: 'RUN_INPUT_INVALID', details: [{ input: 'q' }] });
    const within = await post('/api/flows/deep-in/runs', `{"inputs":{"q":${deepJson(127)}}}`);
    expect(within.json().status).toBe('completed');
    const runs = (await t.app.inject({ method: 'GET', url: '/api/runs' })).json().runs;
    expect(runs).toHaveLength(1);
  });

  it('flow params: /api/validate reports what POST /api/flows refuses with a 400', async () => {
    const text = JSON.stringify(
      flowOf(
        'deep-param',
        [
          ['c', 'code', { code: 'return 1;', inputNames: 'DEEP' }],
          ['a', 'output', { name: 'a' }],
        ],
        ['c.result→a.value'],
      ),
    ).replace('"DEEP"', deepJson(130));
    const validate = await post('/api/validate', text);
    expect(validate.statusCode).toBe(200);
    expect(validate.json()).toMatchObject({
      ok: false,
      problems: [{ nodeId: 'c', code: 'VALUE_TOO_DEEP', path: 'params.inputNames' }],
    });
    const create = await post('/api/flows', text);
    expect(create.statusCode).toBe(400);
    expect(create.json().error).toMatchObject({
      code: 'FLOW_INVALID',
      details: [{ nodeId: 'c', code: 'VALUE_TOO_DEEP', path: 'params.inputNames' }],
    });
    expect((await t.app.inject({ method: 'GET', url: '/api/flows/deep-param' })).statusCode).toBe(404);
  });
});

describe("storing a run's end never fails silently", () => {
  it('an end the store refuses is stored as failed with the reason, and the run leaves the live set', async () => {
    await createFlow(jsonFlow('refused-end'));
    const store = t.app.runtime.store;
    const finishRun = store.finishRun.bind(store);
    let refusals = 0;
    store.finishRun = (runId, attempt, end) => {
      if (end.status === 'completed' && refusals++ === 0) throw new RangeError('Maximum call stack size exceeded');
      finishRun(runId, attempt, end);
    };
    const res = await post('/api/flows/refused-end/runs', { inputs: { q: { x: 1 } } });
    expect(res.statusCode).toBe(200);
    const answer = res.json();
    expect(answer.status).toBe('failed');
    expect(answer.error.code).toBe('INTERNAL');
    expect(answer.error.message).toContain('final state could not be stored');
    const stored = (await t.app.inject({ method: 'GET', url: `/api/runs/${answer.runId}` })).json();
    expect(stored).toMatchObject({ status: 'failed', error: { code: 'INTERNAL' } });
    // Not stuck: cancel says it ended.
    const cancel = await post(`/api/runs/${answer.runId}/cancel`, {});
    expect(cancel.json().error.code).toBe('RUN_NOT_RUNNING');
  });

  it('an event the store could not queue fails the run with the reason', async () => {
    await createFlow(jsonFlow('refused-event'));
    const store = t.app.runtime.store;
    const enqueue = store.enqueueEvent.bind(store);
    store.enqueueEvent = (event: TraceEvent, attempt: number) => {
      if (event.type === 'node.completed') throw new RangeError('Maximum call stack size exceeded');
      enqueue(event, attempt);
    };
    const answer = (await post('/api/flows/refused-event/runs', { inputs: { q: 1 } })).json();
    expect(answer).toMatchObject({ status: 'failed', error: { code: 'INTERNAL' } });
    expect(answer.error.message).toContain('could not be stored');
    const stored = (await t.app.inject({ method: 'GET', url: `/api/runs/${answer.runId}` })).json();
    expect(stored.status).toBe('failed');
  });
});
