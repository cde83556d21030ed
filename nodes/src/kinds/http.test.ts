import { describe, expect, it } from 'vitest';
import type { HttpRequest, HttpResponse } from '../services.js';
import { http } from './http.js';
import { fakeContext } from './shared/fake-context.js';

const params = {
  method: 'POST',
  url: 'https://api.example.com/items/{{id}}',
  headers: { authorization: 'Bearer {{token}}' },
  body: '{"note": "{{note}}"}',
  timeoutMs: 1_000,
  responseType: 'auto',
  inputNames: ['id', 'token', 'note'],
  failOnError: true,
};

function service(response: Partial<HttpResponse>) {
  const requests: HttpRequest[] = [];
  return {
    requests,
    request: async (request: HttpRequest): Promise<HttpResponse> => {
      requests.push(request);
      return { status: 200, headers: {}, body: '', url: request.url, ...response };
    },
  };
}

describe('http', () => {
  it('fills method, URL, headers and body from its inputs and outputs body, status and headers', async () => {
    const svc = service({
      status: 201,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: '{"ok":true}',
    });
    const { ctx } = fakeContext({ services: { http: svc } });
    const out = await http.execute({ inputs: { id: 'a/b', token: 't', note: 'hi' }, params }, ctx);
    expect(out).toEqual({
      body: { ok: true },
      status: 201,
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(svc.requests[0]).toEqual({
      method: 'POST',
      url: 'https://api.example.com/items/a%2Fb',
      headers: { authorization: 'Bearer t' },
      body: '{"note": "hi"}',
      timeoutMs: 1_000,
    });
  });

  it('fails on an error status unless told not to, and on non-JSON with responseType json', async () => {
    const { ctx } = fakeContext({ services: { http: service({ status: 500, body: 'down' }) } });
    await expect(http.execute({ inputs: {}, params }, ctx)).rejects.toMatchObject({ code: 'HTTP_REQUEST_FAILED' });
    const out = await http.execute({ inputs: {}, params: { ...params, failOnError: false } }, ctx);
    expect(out).toMatchObject({ status: 500, body: 'down' });
    await expect(
      http.execute({ inputs: {}, params: { ...params, failOnError: false, responseType: 'json' } }, ctx),
    ).rejects.toMatchObject({
      code: 'HTTP_REQUEST_FAILED',
    });
  });

  it('refuses headers that are not an object of strings', async () => {
    const { ctx } = fakeContext({ services: { http: service({}) } });
    await expect(http.execute({ inputs: {}, params: { ...params, headers: ['x'] } }, ctx)).rejects.toMatchObject({
      code: 'NODE_PARAM_INVALID',
    });
    await expect(http.execute({ inputs: {}, params: { ...params, headers: { a: 1 } } }, ctx)).rejects.toMatchObject({
      code: 'NODE_PARAM_INVALID',
    });
  });
});
