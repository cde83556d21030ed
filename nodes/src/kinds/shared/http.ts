import type { NodeContext } from '../../define.js';
import { AppError, renderTemplate } from '../../spec/index.js';
import { service } from './services.js';

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'] as const;

/** Request params shared by the http and tool-http kinds. */
export const httpRequestParams = [
  { name: 'method', kind: 'select', options: HTTP_METHODS, default: 'GET' },
  {
    name: 'url',
    kind: 'template',
    required: true,
    default: 'https://example.com/',
    maxLength: 8_000,
    description: 'Request URL; {{name}} placeholders are filled (URL-encoded) from the values.',
  },
  {
    name: 'headers',
    kind: 'json',
    default: {},
    description: 'Header name → value; values may use {{name}} placeholders.',
  },
  {
    name: 'body',
    kind: 'template',
    default: '',
    maxLength: 1_000_000,
    description: 'Request body; {{name}} placeholders are filled. Empty: none (or the values as JSON for a tool).',
  },
  { name: 'timeoutMs', kind: 'number', default: 30_000, min: 100, max: 120_000, integer: true },
  {
    name: 'responseType',
    kind: 'select',
    options: ['auto', 'json', 'text'],
    default: 'auto',
    description: 'auto parses JSON when the response says it is JSON.',
  },
] as const;

export interface TemplatedRequest {
  method: string;
  url: string;
  headers: unknown;
  body: string;
  timeoutMs: number;
  responseType: string;
}

/** A response with its body decoded per `responseType`. */
export interface DecodedResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/**
 * Fills the request templates from `values` and sends it through the http service (which applies the SSRF guard).
 * `jsonBody` is sent as JSON when the body template is empty and the method has a body.
 */
export async function sendTemplated(
  ctx: NodeContext,
  request: TemplatedRequest,
  values: Record<string, unknown>,
  jsonBody?: unknown,
): Promise<DecodedResponse> {
  const http = service(ctx, 'http');
  const encoded: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    encoded[key] = encodeURIComponent(typeof value === 'string' ? value : (JSON.stringify(value) ?? ''));
  }
  const url = renderTemplate(request.url, encoded);
  const headers: Record<string, string> = {};
  const rawHeaders = request.headers ?? {};
  if (typeof rawHeaders !== 'object' || Array.isArray(rawHeaders)) {
    throw new AppError('NODE_PARAM_INVALID', 'param "headers" must be an object of header name → value');
  }
  for (const [name, value] of Object.entries(rawHeaders as Record<string, unknown>)) {
    if (typeof value !== 'string') throw new AppError('NODE_PARAM_INVALID', `header "${name}" must be a string`);
    headers[name.toLowerCase()] = renderTemplate(value, values);
  }
  let body: string | undefined;
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
  if (request.body !== '' && hasBody) body = renderTemplate(request.body, values);
  else if (hasBody && jsonBody !== undefined) {
    body = JSON.stringify(jsonBody);
    headers['content-type'] ??= 'application/json';
  }
  ctx.log(`${request.method} ${redact(url)}`);
  const response = await http.request(
    { method: request.method, url, headers, ...(body !== undefined && { body }), timeoutMs: request.timeoutMs },
    { signal: ctx.signal },
  );
  const type = response.headers['content-type'] ?? '';
  const wantsJson = request.responseType === 'json' || (request.responseType === 'auto' && /[/+]json\b/i.test(type));
  let decoded: unknown = response.body;
  if (wantsJson && response.body !== '') {
    try {
      decoded = JSON.parse(response.body);
    } catch {
      if (request.responseType === 'json') {
        throw new AppError('HTTP_REQUEST_FAILED', `the response of ${redact(url)} is not valid JSON`);
      }
    }
  }
  return { status: response.status, headers: response.headers, body: decoded };
}

/** The URL without credentials and query values, for logs. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    for (const key of [...parsed.searchParams.keys()]) parsed.searchParams.set(key, '…');
    return parsed.href;
  } catch {
    return url.slice(0, 200);
  }
}
