import type {
  ApiKey,
  FlowDiffAnswer,
  FlowInputsAnswer,
  PublishAnswer,
  PublishedSummary,
  PublishedVersion,
  PublishedVersionsAnswer,
  PublishSettings,
} from '@flowloom/nodes/spec';

export type { ApiKey, PublishedSummary, PublishSettings };

import { request } from '../api/http';

const enc = encodeURIComponent;

/** The publishing and keys API (docs/publishing.md), through the editor's one fetch wrapper. */
export const publishApi = {
  publish: (flowId: string, body: { note?: string; settings?: Partial<PublishSettings>; fromVersion?: number }) =>
    request<PublishAnswer>('POST', `/api/flows/${enc(flowId)}/publish`, body),
  rollback: (flowId: string, version: number) =>
    request<PublishAnswer>('POST', `/api/flows/${enc(flowId)}/published/${version}/rollback`, {}),
  versions: (flowId: string) => request<PublishedVersionsAnswer>('GET', `/api/flows/${enc(flowId)}/published`),
  version: (flowId: string, version: number) =>
    request<PublishedVersion>('GET', `/api/flows/${enc(flowId)}/published/${version}`),
  diff: (flowId: string, from: string, to: string) =>
    request<FlowDiffAnswer>('GET', `/api/flows/${enc(flowId)}/diff?from=${enc(from)}&to=${enc(to)}`),
  inputs: (flowId: string) => request<FlowInputsAnswer>('GET', `/api/flows/${enc(flowId)}/inputs`),
  keys: () => request<{ keys: ApiKey[] }>('GET', '/api/keys').then((r) => r.keys),
  createKey: (body: {
    name: string;
    flows?: string[];
    rateLimit?: number | null;
    kind?: 'secret' | 'browser';
    origins?: string[];
  }) => request<ApiKey & { key: string }>('POST', '/api/keys', body),
  revokeKey: (id: string) => request<{ key: ApiKey }>('DELETE', `/api/keys/${enc(id)}`),
};
