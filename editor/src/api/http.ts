import type { ErrorBody, FlowFile, NodeSpec, RunStatus, TraceEvent, ValidateAnswer } from '@flowloom/nodes/spec';
import { authHeaders, reportUnauthorized } from '../auth/token';

/** An HTTP answer that was not 2xx, with the runtime's error body (CONTRACTS §3). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.message);
    this.name = 'HttpError';
  }
}

async function request<T>(method: string, path: string, body?: unknown, init: RequestInit = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...authHeaders() };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      ...init,
    });
  } catch (err) {
    throw new HttpError(0, { code: 'INTERNAL', message: `The runtime cannot be reached (${String(err)})` });
  }
  const text = await response.text();
  const json = text ? safeParse(text) : undefined;
  if (!response.ok) {
    if (response.status === 401) reportUnauthorized();
    const error = (json as { error?: ErrorBody } | undefined)?.error;
    throw new HttpError(
      response.status,
      error ?? { code: 'INTERNAL', message: `${method} ${path}: HTTP ${response.status}` },
    );
  }
  return json as T;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export interface FlowSummary {
  id: string;
  name: string;
  description?: string;
  version?: number;
  updatedAt?: string;
  nodeCount?: number;
  tags?: string[];
  nodes?: unknown[];
}

export interface TemplateSummary {
  id: string;
  name: string;
  description?: string;
  tags?: string[];
}

export interface RunSummary {
  runId: string;
  flowId: string;
  status: RunStatus;
  startedAt: string;
  durationMs?: number | null;
}

export interface RunResult {
  runId: string;
  status: RunStatus;
  outputs?: Record<string, unknown>;
  error?: ErrorBody;
  durationMs?: number;
}

export interface Collection {
  name: string;
  count?: number;
}

const enc = encodeURIComponent;

export const api = {
  nodes: () => request<{ nodes: NodeSpec[] }>('GET', '/api/nodes').then((r) => r.nodes),
  flows: () => request<{ flows: FlowSummary[] }>('GET', '/api/flows').then((r) => r.flows),
  templates: () => request<{ templates: TemplateSummary[] }>('GET', '/api/templates').then((r) => r.templates),
  template: (id: string) => request<FlowFile>('GET', `/api/templates/${enc(id)}`),
  flow: (id: string) => request<FlowFile>('GET', `/api/flows/${enc(id)}`),
  createFlow: (flow: FlowFile) => request<FlowFile>('POST', '/api/flows', flow),
  saveFlow: (flow: FlowFile, init?: RequestInit) => request<FlowFile>('PUT', `/api/flows/${enc(flow.id)}`, flow, init),
  deleteFlow: (id: string) => request<unknown>('DELETE', `/api/flows/${enc(id)}`),
  validate: (flow: FlowFile) => request<ValidateAnswer>('POST', '/api/validate', flow),
  runs: (flowId: string, limit = 30) =>
    request<{ runs: RunSummary[] }>('GET', `/api/runs?flowId=${enc(flowId)}&limit=${limit}`).then((r) => r.runs),
  run: (runId: string) => request<RunSummary & { events?: TraceEvent[] }>('GET', `/api/runs/${enc(runId)}`),
  startRun: (flowId: string, inputs: Record<string, unknown>) =>
    request<RunResult>('POST', `/api/flows/${enc(flowId)}/runs`, { inputs }),
  cancelRun: (runId: string) => request<unknown>('POST', `/api/runs/${enc(runId)}/cancel`, {}),
  collections: () => request<{ collections: Collection[] }>('GET', '/api/collections').then((r) => r.collections),
};

/** The body of `POST /api/flows/:id/runs`: runs with one `sessionId` share chat memory. */
export interface RunRequest {
  inputs: Record<string, unknown>;
  sessionId?: string;
}

/**
 * Starts a run of the saved draft and streams its events as SSE (CONTRACTS §3), calling `onEvent` for each.
 * Resolves when the stream ends. Only this run's events arrive here, so nothing can be confused with another run.
 */
export function streamRun(
  flowId: string,
  body: RunRequest,
  onEvent: (event: TraceEvent) => void,
  signal?: AbortSignal,
): Promise<void> {
  return streamSse(`/api/flows/${enc(flowId)}/runs`, body, onEvent, signal);
}

/**
 * Reruns a finished run from one node (`POST /api/runs/:runId/rerun`): upstream nodes keep that run's outputs, the
 * node and what depends on it run again. Streams the new run's events like `streamRun`.
 */
export function streamRerun(
  runId: string,
  fromNode: string,
  onEvent: (event: TraceEvent) => void,
  signal?: AbortSignal,
): Promise<void> {
  return streamSse(`/api/runs/${enc(runId)}/rerun`, { fromNode }, onEvent, signal);
}

async function streamSse(
  url: string,
  body: unknown,
  onEvent: (event: TraceEvent) => void,
  signal?: AbortSignal,
): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...authHeaders() },
    body: JSON.stringify(body),
    signal,
  });
  if (!response.ok) {
    const json = safeParse(await response.text()) as { error?: ErrorBody } | undefined;
    throw new HttpError(response.status, json?.error ?? { code: 'INTERNAL', message: `HTTP ${response.status}` });
  }
  if (!response.headers.get('content-type')?.includes('text/event-stream') || !response.body) {
    // A runtime without SSE answers with the final result: replay its stored events instead.
    const result = safeParse(await response.text()) as RunResult | undefined;
    if (result?.runId) for (const event of (await api.run(result.runId)).events ?? []) onEvent(event);
    return;
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let cut = buffer.indexOf('\n\n');
    while (cut >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const data = parseSseData(block);
      if (data !== undefined) onEvent(data as TraceEvent);
      cut = buffer.indexOf('\n\n');
    }
  }
}

/** The JSON of an SSE block's `data:` lines; undefined for comments, keep-alives and other fields. */
export function parseSseData(block: string): unknown {
  const lines = block
    .split('\n')
    .filter((l) => l.startsWith('data:'))
    .map((l) => l.slice(5).replace(/^ /, ''));
  if (lines.length === 0) return undefined;
  const parsed = safeParse(lines.join('\n'));
  return parsed && typeof parsed === 'object' && 'type' in parsed ? parsed : undefined;
}
