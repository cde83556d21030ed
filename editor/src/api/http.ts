import type {
  ErrorBody,
  FlowFile,
  NodeSpec,
  ResumeAction,
  RunOrigin,
  RunStatus,
  TraceEvent,
  Usage,
  ValidateAnswer,
  Values,
} from '@flowloom/nodes/spec';
import { authHeaders, reportUnauthorized } from '../auth/token';

/** An HTTP answer that was not 2xx, with the runtime's error body (docs/contracts.md §3). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.message);
    this.name = 'HttpError';
  }
}

/** Options of one request: `fetch`'s, with headers added to the JSON and auth ones. */
export type RequestOptions = Omit<RequestInit, 'method' | 'body' | 'headers'> & { headers?: Record<string, string> };

/**
 * The editor's one fetch wrapper: JSON in and out, the admin token, a 401 reported to the sign-in screen. Every
 * failure is an `HttpError`: status 0 when the runtime cannot be reached, the runtime's error body otherwise (an
 * answer that is not JSON reads as no body).
 */
export async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  options: RequestOptions = {},
): Promise<T> {
  const { headers: extra, ...init } = options;
  const headers: Record<string, string> = { accept: 'application/json', ...authHeaders(), ...extra };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      ...init,
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
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
  /** How an editor run was asked for, when not as a plain run (rerun, node alone, pinned nodes). */
  origin?: RunOrigin;
}

/** One run with its events (`GET /api/runs/:runId`): what it was given, and what happened. */
export interface RunDetail extends RunSummary {
  inputs?: Values;
  outputs?: Values;
  sessionId?: string;
  costUsd?: number;
  usage?: Usage;
  events?: TraceEvent[];
}

/** A run that has started (`Prefer: respond-async`): its events come over socket.io. */
export interface RunAccepted {
  runId: string;
  status: 'running';
}

export interface Collection {
  name: string;
  count?: number;
  /** The embedder that built it (`local`, `openai:<model>`), null when unknown. */
  embedder?: string | null;
}

const enc = encodeURIComponent;
/** Run requests answer 202 at once; the run's events come over socket.io (docs/contracts.md §3, §4). */
const RESPOND_ASYNC = { prefer: 'respond-async' };

export const api = {
  nodes: () => request<{ nodes: NodeSpec[] }>('GET', '/api/nodes').then((r) => r.nodes),
  flows: () => request<{ flows: FlowSummary[] }>('GET', '/api/flows').then((r) => r.flows),
  templates: () => request<{ templates: TemplateSummary[] }>('GET', '/api/templates').then((r) => r.templates),
  template: (id: string) => request<FlowFile>('GET', `/api/templates/${enc(id)}`),
  flow: (id: string) => request<FlowFile>('GET', `/api/flows/${enc(id)}`),
  createFlow: (flow: FlowFile) => request<FlowFile>('POST', '/api/flows', flow),
  saveFlow: (flow: FlowFile, init?: RequestOptions) =>
    request<FlowFile>('PUT', `/api/flows/${enc(flow.id)}`, flow, init),
  deleteFlow: (id: string) => request<unknown>('DELETE', `/api/flows/${enc(id)}`),
  validate: (flow: FlowFile) => request<ValidateAnswer>('POST', '/api/validate', flow),
  runs: (flowId: string, limit = 30) =>
    request<{ runs: RunSummary[] }>('GET', `/api/runs?flowId=${enc(flowId)}&limit=${limit}`).then((r) => r.runs),
  run: (runId: string) => request<RunDetail>('GET', `/api/runs/${enc(runId)}`),
  /** Starts a run of the saved draft; answers once it has started. */
  startRun: (flowId: string, body: RunRequest) =>
    request<RunAccepted>('POST', `/api/flows/${enc(flowId)}/runs`, body, { headers: RESPOND_ASYNC }),
  /**
   * Reruns a finished run from one node (`POST /api/runs/:runId/rerun`): upstream nodes keep that run's outputs, the
   * node and what depends on it run again. Answers once the new run has started.
   */
  rerun: (runId: string, fromNode: string, pins?: Record<string, Values>) =>
    request<RunAccepted>(
      'POST',
      `/api/runs/${enc(runId)}/rerun`,
      { fromNode, ...(pins && Object.keys(pins).length > 0 && { pins }) },
      { headers: RESPOND_ASYNC },
    ),
  /** Runs one node of the saved draft alone with these inputs (`POST /api/flows/:id/nodes/:nodeId/run`). */
  runNode: (flowId: string, nodeId: string, inputs: Values) =>
    request<RunAccepted>(
      'POST',
      `/api/flows/${enc(flowId)}/nodes/${enc(nodeId)}/run`,
      { inputs },
      { headers: RESPOND_ASYNC },
    ),
  cancelRun: (runId: string) => request<unknown>('POST', `/api/runs/${enc(runId)}/cancel`, {}),
  /** Decides on the node a paused run waits at (docs/contracts.md §9); the run's events go on over socket.io. */
  resume: (runId: string, body: ResumeRequest) =>
    request<RunAccepted>('POST', `/api/runs/${enc(runId)}/resume`, body, { headers: RESPOND_ASYNC }),
  collections: () => request<{ collections: Collection[] }>('GET', '/api/collections').then((r) => r.collections),
  /** Models fine-tuning produced (succeeded jobs), for `model` params. */
  fineTunedModels: () =>
    request<{ models: { id: string; baseModel: string }[] }>('GET', '/api/models').then((r) => r.models),
};

/** The body of `POST /api/flows/:id/runs`: runs with one `sessionId` share chat memory. */
export interface RunRequest {
  inputs: Record<string, unknown>;
  sessionId?: string;
  /** Pinned outputs by node id (editor runs only): those nodes do not execute. */
  pins?: Record<string, Values>;
  /** Node ids to pause before (docs/contracts.md §9). */
  breakpoints?: string[];
}

/** The body of `POST /api/runs/:runId/resume`. */
export interface ResumeRequest {
  nodeId: string;
  action: ResumeAction;
  inputs?: Record<string, unknown>;
  value?: unknown;
}
