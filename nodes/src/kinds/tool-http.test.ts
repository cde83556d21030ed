import { describe, expect, it } from 'vitest';
import type { HttpRequest, HttpResponse } from '../services.js';
import { fakeContext } from './shared/fake-context.js';
import { toolHttp } from './tool-http.js';

const parameters = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
const base = {
  name: 'weather',
  description: 'Weather by city.',
  parameters,
  method: 'GET',
  url: 'https://api.example.com/weather?city={{city}}',
  headers: { 'X-Key': 'k-{{city}}' },
  body: '',
  timeoutMs: 5_000,
  responseType: 'auto',
};

function http(response: Partial<HttpResponse> = {}) {
  const requests: { request: HttpRequest; signal: AbortSignal }[] = [];
  return {
    requests,
    async request(request: HttpRequest, options: { signal: AbortSignal }): Promise<HttpResponse> {
      requests.push({ request, signal: options.signal });
      return {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: '{"temp":21}',
        url: request.url,
        ...response,
      };
    },
  };
}

describe('tool-http', () => {
  it('fills the templates from the arguments (URL-encoded in the URL) and parses JSON', async () => {
    const service = http();
    const { ctx } = fakeContext({ services: { http: service } });
    const result = await toolHttp.invoke?.({ city: 'São Paulo & co' }, { inputs: {}, params: base }, ctx);
    expect(result).toEqual({ temp: 21 });
    expect(service.requests[0]?.request).toEqual({
      method: 'GET',
      url: 'https://api.example.com/weather?city=S%C3%A3o%20Paulo%20%26%20co',
      headers: { 'x-key': 'k-São Paulo & co' },
      timeoutMs: 5_000,
    });
    expect(service.requests[0]?.signal).toBe(ctx.signal);
  });

  it('sends the arguments as JSON when the body template is empty', async () => {
    const service = http({ headers: {}, body: 'ok' });
    const { ctx } = fakeContext({ services: { http: service } });
    const result = await toolHttp.invoke?.({ city: 'Oslo' }, { inputs: {}, params: { ...base, method: 'POST' } }, ctx);
    expect(result).toBe('ok');
    expect(service.requests[0]?.request.body).toBe('{"city":"Oslo"}');
    expect(service.requests[0]?.request.headers?.['content-type']).toBe('application/json');
  });

  it('turns an error status into TOOL_FAILED for the model', async () => {
    const { ctx } = fakeContext({ services: { http: http({ status: 404, body: 'no such city' }) } });
    await expect(toolHttp.invoke?.({ city: 'Atlantis' }, { inputs: {}, params: base }, ctx)).rejects.toMatchObject({
      code: 'TOOL_FAILED',
      message: 'HTTP 404: no such city',
    });
  });
});
