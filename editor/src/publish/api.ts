import type {
  ApiKey,
  ErrorBody,
  FlowDiffAnswer,
  FlowInputsAnswer,
  PublishAnswer,
  PublishedSummary,
  PublishedVersion,
  PublishedVersionsAnswer,
  PublishSettings,
} from '@flowloom/nodes/spec';

export type { ApiKey, PublishedSummary, PublishSettings };

import { HttpError } from '../api/http';
import { authHeaders, reportUnauthorized } from '../auth/token';

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...authHeaders() };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  const json = text ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok) {
    if (response.status === 401) reportUnauthorized();
    const error = (json as { error?: ErrorBody } | undefined)?.error;
    throw new HttpError(response.status, error ?? { code: 'INTERNAL', message: `HTTP ${response.status}` });
  }
  return json as T;
}

const enc = encodeURIComponent;

/** The publishing and keys API (issue #5). */
export const publishApi = {
  publish: (flowId: string, body: { note?: string; settings?: Partial<PublishSettings>; fromVersion?: number }) =>
    call<PublishAnswer>('POST', `/api/flows/${enc(flowId)}/publish`, body),
  rollback: (flowId: string, version: number) =>
    call<PublishAnswer>('POST', `/api/flows/${enc(flowId)}/published/${version}/rollback`, {}),
  versions: (flowId: string) => call<PublishedVersionsAnswer>('GET', `/api/flows/${enc(flowId)}/published`),
  version: (flowId: string, version: number) =>
    call<PublishedVersion>('GET', `/api/flows/${enc(flowId)}/published/${version}`),
  diff: (flowId: string, from: string, to: string) =>
    call<FlowDiffAnswer>('GET', `/api/flows/${enc(flowId)}/diff?from=${enc(from)}&to=${enc(to)}`),
  inputs: (flowId: string) => call<FlowInputsAnswer>('GET', `/api/flows/${enc(flowId)}/inputs`),
  keys: () => call<{ keys: ApiKey[] }>('GET', '/api/keys').then((r) => r.keys),
  createKey: (body: { name: string; flows?: string[]; rateLimit?: number | null }) =>
    call<ApiKey & { key: string }>('POST', '/api/keys', body),
  revokeKey: (id: string) => call<{ key: ApiKey }>('DELETE', `/api/keys/${enc(id)}`),
};
