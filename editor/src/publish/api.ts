import type { ApiKey, ErrorBody, FlowFile, PublishedSummary, PublishSettings } from '@flowloom/nodes/spec';

export type { ApiKey, PublishedSummary, PublishSettings };

import { HttpError } from '../api/http';
import { authHeaders, reportUnauthorized } from '../auth/token';

export interface PublishAnswer extends PublishedSummary {
  endpoint: string;
  chat: { model: string; input: string; output: string; endpoint: string } | null;
}

export interface ValueChange {
  name: string;
  change: 'added' | 'removed' | 'changed';
  from?: unknown;
  to?: unknown;
}

export interface FlowDiff {
  from: string;
  to: string;
  nodes: {
    added: { nodeId: string; type: string }[];
    removed: { nodeId: string; type: string }[];
    changed: {
      nodeId: string;
      type?: { from: string; to: string };
      params: ValueChange[];
      settings: ValueChange[];
      isMoved: boolean;
    }[];
  };
  edges: {
    added: { id: string; source: string; sourcePort: string; target: string; targetPort: string }[];
    removed: { id: string; source: string; sourcePort: string; target: string; targetPort: string }[];
  };
  fields: ValueChange[];
  isSameBehaviour: boolean;
  isEmpty: boolean;
}

export interface FlowInputInfo {
  name: string;
  dataType: string;
  required: boolean;
  default?: unknown;
  description?: string;
}

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
  versions: (flowId: string) =>
    call<{ latest: number | null; endpoint: string; versions: PublishedSummary[] }>(
      'GET',
      `/api/flows/${enc(flowId)}/published`,
    ),
  version: (flowId: string, version: number) =>
    call<PublishedSummary & { flow: FlowFile }>('GET', `/api/flows/${enc(flowId)}/published/${version}`),
  diff: (flowId: string, from: string, to: string) =>
    call<FlowDiff>('GET', `/api/flows/${enc(flowId)}/diff?from=${enc(from)}&to=${enc(to)}`),
  inputs: (flowId: string) =>
    call<{ inputs: FlowInputInfo[]; outputs: { name: string }[] }>('GET', `/api/flows/${enc(flowId)}/inputs`),
  keys: () => call<{ keys: ApiKey[] }>('GET', '/api/keys').then((r) => r.keys),
  createKey: (body: { name: string; flows?: string[]; rateLimit?: number | null }) =>
    call<ApiKey & { key: string }>('POST', '/api/keys', body),
  revokeKey: (id: string) => call<{ key: ApiKey }>('DELETE', `/api/keys/${enc(id)}`),
};
