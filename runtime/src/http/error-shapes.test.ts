import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoFlow, startTestApp, type TestApp } from '../testing/fixtures.js';

// Every failure answers the error shape of docs/contracts.md §3, naming what was wrong.

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  await t.app.inject({ method: 'POST', url: '/api/flows', payload: echoFlow() });
});
afterAll(async () => t.close());

function postText(url: string, text: string) {
  return t.app.inject({ method: 'POST', url, payload: text, headers: { 'content-type': 'application/json' } });
}

describe('error shapes', () => {
  it('a path that is not valid percent-encoding: 400 BAD_REQUEST with the error body, over a real socket too', async () => {
    const injected = await t.app.inject({ method: 'GET', url: '/api/flows/%E9' });
    expect(injected.statusCode).toBe(400);
    expect(injected.json()).toEqual({ error: { code: 'BAD_REQUEST', message: expect.stringContaining('URL') } });
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const res = await fetch(`${address}/api/flows/%E9`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { code: 'BAD_REQUEST', message: expect.stringContaining('URL') } });
  });

  it('a __proto__ key anywhere in a body: 400 VALIDATION_FAILED naming the field, nothing stored', async () => {
    const res = await postText('/api/flows/echo/runs', '{"inputs": {"question": "x", "__proto__": {"admin": true}}}');
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toEqual({
      code: 'VALIDATION_FAILED',
      message: 'body.inputs.__proto__ is not an allowed key',
      details: [{ field: 'body.inputs.__proto__', message: 'is not an allowed key' }],
    });
    const flow = JSON.stringify(echoFlow('proto')).replace('"nodes":', '"__proto__": {"x": 1}, "nodes":');
    const created = await postText('/api/flows', flow);
    expect(created.json().error.details[0].field).toBe('body.__proto__');
    expect((await t.app.inject({ method: 'GET', url: '/api/flows/proto' })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/api/runs' })).json().runs).toEqual([]);
  });

  it('JSON that is not JSON, and an empty JSON body: 400 BAD_REQUEST', async () => {
    for (const text of ['{"inputs":', '']) {
      const res = await postText('/api/flows/echo/runs', text);
      expect(res.statusCode, JSON.stringify(text)).toBe(400);
      expect(res.json().error.code).toBe('BAD_REQUEST');
    }
  });
});
