import { defineNode } from '../define.js';
import { AppError, listNames, type Values } from '../spec/index.js';
import { httpRequestParams, sendTemplated } from './shared/http.js';

const MAX_ERROR_BODY = 500;

export const http = defineNode({
  spec: {
    type: 'http',
    version: 1,
    title: 'HTTP request',
    category: 'data',
    keywords: ['api', 'request', 'fetch', 'rest', 'webhook', 'url', 'get', 'post'],
    description:
      'Sends an HTTP request whose URL, headers and body are templates filled from its inputs, and outputs the response (parsed when it is JSON). Private and local addresses are refused unless the operator allows them.',
    inputs: [],
    outputs: [
      { name: 'body', dataType: 'any', description: 'The response body: parsed JSON or text.' },
      { name: 'status', dataType: 'number' },
      { name: 'headers', dataType: 'json' },
    ],
    dynamicInputs: { fromParam: 'inputNames', source: 'list', dataType: 'any', required: false },
    params: [
      ...httpRequestParams,
      { name: 'inputNames', kind: 'json', default: [], description: 'Names of the input ports, usable as {{name}}.' },
      {
        name: 'failOnError',
        kind: 'boolean',
        default: true,
        description: 'Fail the node on a 4xx or 5xx status (else pass the status on).',
      },
    ],
  },
  async execute({ inputs, params }, ctx) {
    const values: Values = {};
    for (const name of listNames(params.inputNames)) values[name] = inputs[name] ?? '';
    const response = await sendTemplated(ctx, params, values);
    if (params.failOnError && response.status >= 400) {
      const text = typeof response.body === 'string' ? response.body : JSON.stringify(response.body);
      throw new AppError('HTTP_REQUEST_FAILED', `HTTP ${response.status}: ${text.slice(0, MAX_ERROR_BODY)}`, {
        retryable: response.status >= 500 || response.status === 429,
      });
    }
    return { body: response.body, status: response.status, headers: response.headers };
  },
});
