import type { ApiKey, FlowFile, PublishedSummary, PublishSettings } from '@flowloom/nodes/spec';

export type { ApiKey, PublishedSummary, PublishSettings };

import { request } from '../api/http';

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

const enc = encodeURIComponent;

/** The publishing and keys API (docs/publishing.md), through the editor's one fetch wrapper. */
export const publishApi = {
  publish: (flowId: string, body: { note?: string; settings?: Partial<PublishSettings>; fromVersion?: number }) =>
    request<PublishAnswer>('POST', `/api/flows/${enc(flowId)}/publish`, body),
  rollback: (flowId: string, version: number) =>
    request<PublishAnswer>('POST', `/api/flows/${enc(flowId)}/published/${version}/rollback`, {}),
  versions: (flowId: string) =>
    request<{ latest: number | null; endpoint: string; versions: PublishedSummary[] }>(
      'GET',
      `/api/flows/${enc(flowId)}/published`,
    ),
  version: (flowId: string, version: number) =>
    request<PublishedSummary & { flow: FlowFile }>('GET', `/api/flows/${enc(flowId)}/published/${version}`),
  diff: (flowId: string, from: string, to: string) =>
    request<FlowDiff>('GET', `/api/flows/${enc(flowId)}/diff?from=${enc(from)}&to=${enc(to)}`),
  inputs: (flowId: string) =>
    request<{ inputs: FlowInputInfo[]; outputs: { name: string }[] }>('GET', `/api/flows/${enc(flowId)}/inputs`),
  keys: () => request<{ keys: ApiKey[] }>('GET', '/api/keys').then((r) => r.keys),
  createKey: (body: { name: string; flows?: string[]; rateLimit?: number | null }) =>
    request<ApiKey & { key: string }>('POST', '/api/keys', body),
  revokeKey: (id: string) => request<{ key: ApiKey }>('DELETE', `/api/keys/${enc(id)}`),
};
