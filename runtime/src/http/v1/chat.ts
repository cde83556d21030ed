import {
  AppError,
  type ChatMessage,
  type ChatShape,
  type TraceEvent,
  toErrorBody,
  toolsCalled,
  type Usage,
  type Values,
} from '@flowloom/nodes';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import type { RunHandle } from '../../engine/index.js';
import { openEventStream } from '../../live/sse.js';
import { type ApiKey, isInScope } from '../../publishing/keys.js';
import { type StartedPublishedRun, startPublishedRun } from '../../publishing/published-runs.js';
import type { FrozenVersion, PublishedVersion } from '../../publishing/versions.js';
import type { RunRecord } from '../../store/types.js';
import { callerOrigins, requireScope } from '../auth.js';
import { toHttpError } from '../errors.js';
import { anyFlowOrigins, applyCors, isOriginRefused } from './cors.js';
import { v1ErrorBody } from './errors.js';
import { type ChatCompletionBody, RUN_ID_HEADER } from './schemas.js';

type Body = Static<typeof ChatCompletionBody>;
type RequestMessage = Body['messages'][number];

/** The text of an OpenAI message content: a string, or the text parts of a content array joined. */
function textOf(content: RequestMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter((part) => part.type === 'text' && typeof part.text === 'string')
    .map((part) => part.text)
    .join('\n');
}

const ROLES = new Set(['system', 'user', 'assistant', 'tool']);

/**
 * Maps an OpenAI conversation onto a chat flow's inputs: the last user message is the question; the messages before
 * it go to the flow's `messages` input when it has one (otherwise they are dropped: memory then comes from the
 * flow's own session memory, keyed by `session_id`).
 */
export function chatInputs(
  shape: ChatShape,
  messages: readonly { role: string; content?: RequestMessage['content'] }[],
): Values {
  let last = -1;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]?.role === 'user') {
      last = i;
      break;
    }
  }
  if (last < 0) {
    throw new AppError('VALIDATION_FAILED', 'messages must contain a user message (the question)', {
      details: [{ field: 'body.messages', message: 'must contain a message with role "user"' }],
    });
  }
  const inputs: Values = { [shape.input]: textOf(messages[last]?.content) };
  if (shape.historyInput) {
    inputs[shape.historyInput] = messages.slice(0, last).map(
      (m): ChatMessage => ({
        role: (m.role === 'developer' ? 'system' : ROLES.has(m.role) ? m.role : 'user') as ChatMessage['role'],
        content: textOf(m.content),
      }),
    );
  }
  return inputs;
}

function usageOf(usage: Usage | undefined) {
  const prompt = Math.round(usage?.promptTokens ?? 0);
  const completion = Math.round(usage?.completionTokens ?? 0);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

export function textOutput(value: unknown): string {
  if (typeof value === 'string') return value;
  return value === undefined || value === null ? '' : JSON.stringify(value);
}

/** A failed or cancelled run as an HTTP error (the caller asked for an answer and got none). */
export function runError(run: RunRecord): AppError {
  if (run.status === 'paused') {
    // An approval node waits (docs/contracts.md §9): the run goes on through the resume endpoint, which answers it.
    const message = `run ${run.runId} paused at an approval node: approve or reject it with POST /api/v1/runs/${run.runId}/resume`;
    return new AppError('CONFLICT', message, { status: 409, details: [{ runId: run.runId, status: 'paused' }] });
  }
  const error = run.error ?? { code: 'INTERNAL' as const, message: 'the run ended without an answer' };
  const status = error.code === 'RUN_TIMEOUT' ? 504 : error.code === 'RUN_INPUT_INVALID' ? 400 : 502;
  return new AppError(error.code, `run ${run.runId} ${run.status}: ${error.message}`, {
    status,
    details: [{ runId: run.runId, ...(error.details ? { details: error.details } : {}) }],
  });
}

/** The newest published version of a flow named as a model; FLOW_NOT_FOUND naming `body.model` when there is none. */
async function publishedModel(app: FastifyInstance, flowId: string): Promise<FrozenVersion> {
  const published = await app.runtime.published.latest(flowId);
  if (!published) {
    throw new AppError('FLOW_NOT_FOUND', `model "${flowId}" does not exist: no published flow has this id`, {
      details: [{ field: 'body.model', message: 'is not a published flow' }],
    });
  }
  return published;
}

/** The chat shape of a published version; BAD_REQUEST naming `body.model` when it is not a chat flow. */
function chatShapeOf(app: FastifyInstance, published: PublishedVersion): ChatShape {
  const shape = app.runtime.published.chatShape(published);
  if (!shape) {
    throw new AppError(
      'BAD_REQUEST',
      `flow "${published.flowId}" is not a chat flow (one text input named question or message, one output)`,
      { details: [{ field: 'body.model', message: 'is not a chat flow' }] },
    );
  }
  return shape;
}

/** Refuses (403) a browser request from an origin the published flow does not allow, before anything runs. */
function checkModelOrigin(
  request: FastifyRequest,
  reply: FastifyReply,
  key: ApiKey,
  published: PublishedVersion,
): void {
  const origins = callerOrigins(key, published.settings.allowedOrigins);
  applyCors(request, reply, origins);
  if (isOriginRefused(request, origins)) {
    throw new AppError('FORBIDDEN', `origin ${request.headers.origin} is not allowed to call this flow`);
  }
}

/**
 * The published chat flow a request names as its model, checked for the caller: in the key's scope (403), published
 * (404 naming `model`), a chat flow (400) and callable from the request's origin (403).
 */
export async function chatModel(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, flowId: string) {
  const key = request.apiKey as ApiKey;
  requireScope(key, flowId);
  // From the cache without waiting when it has the version (the hot path).
  const published = app.runtime.published.cachedLatest(flowId) ?? (await publishedModel(app, flowId));
  const shape = chatShapeOf(app, published);
  checkModelOrigin(request, reply, key, published);
  return { key, published, shape };
}

/** The chat memory session a request names: `session_id` in the body, else the `x-flowloom-session` header. */
export function requestSession(request: FastifyRequest, bodySession: string | undefined): string | undefined {
  const header = request.headers['x-flowloom-session'];
  return bodySession ?? (typeof header === 'string' && header !== '' ? header : undefined);
}

/** `POST /v1/chat/completions`. */
export async function chatCompletions(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
  const body = request.body as Body;
  const flowId = body.model;
  const { key, published, shape } = await chatModel(app, request, reply, flowId);
  const sessionId = requestSession(request, body.session_id);
  const started = startPublishedRun(
    app.runtime,
    published,
    { inputs: chatInputs(shape, body.messages), sessionId },
    // The chat widget says so in a header: its runs are monitored apart from other OpenAI clients'.
    {
      keyId: key.id,
      endpoint: 'chat',
      source: request.headers['x-flowloom-client'] === 'widget' ? 'widget' : 'openai',
    },
    // A streamed answer cannot be taken back: once the answer node has streamed text, it is not retried.
    body.stream ? { streamedToClient: new Set([shape.answerNodeId]) } : {},
  );
  await started.accepted;
  if (body.stream) {
    streamChat(reply, started, shape, body.stream_options?.include_usage === true, () =>
      endedRunEvents(app, started.handle),
    );
    return reply;
  }
  // Before the answer, so that an error answer (a failed run: 502, 504) names the run too.
  reply.header('x-run-id', started.handle.runId).header(RUN_ID_HEADER, started.handle.runId);
  const run = await started.done;
  if (run.status !== 'completed') throw runError(run);
  const tools = toolsCalled(await endedRunEvents(app, started.handle));
  return {
    id: `chatcmpl-${run.runId}`,
    object: 'chat.completion' as const,
    created: Math.floor(Date.parse(run.startedAt) / 1000),
    model: flowId,
    choices: [
      {
        index: 0,
        message: { role: 'assistant' as const, content: textOutput(run.outputs?.[shape.output]), refusal: null },
        finish_reason: 'stop',
        logprobs: null,
      },
    ],
    usage: usageOf(run.usage),
    // Flowloom's own addition, ignored by OpenAI clients: the tools the flow called (the widget shows them).
    ...(tools.length > 0 && { flowloom: { tools } }),
  };
}

/**
 * An ended run's events: its trace, or the store's when the trace was not read whole (in the api role a queued run is
 * mirrored without its events until someone watches it; the store has them all once the run has ended).
 */
async function endedRunEvents(app: FastifyInstance, handle: RunHandle): Promise<readonly TraceEvent[]> {
  return handle.trace.closed ? handle.trace.events : await app.runtime.runs.storedEvents(handle.runId);
}

/**
 * Streams a chat run in OpenAI's format: a role chunk, one `chat.completion.chunk` per `node.delta` of the node
 * feeding the output (or the whole answer at once when it did not stream), a `finish_reason` chunk, the usage chunk
 * when asked (`stream_options.include_usage`), then `[DONE]`. A run that fails sends an `{error}` event instead.
 */
function streamChat(
  reply: FastifyReply,
  started: StartedPublishedRun,
  shape: ChatShape,
  includeUsage: boolean,
  eventsOf: () => Promise<readonly TraceEvent[]>,
): void {
  const { handle, done } = started;
  const flowId = handle.flowId;
  const id = `chatcmpl-${handle.runId}`;
  const created = Math.floor(Date.now() / 1000);
  const raw = openEventStream(reply, handle.runId);
  const send = (data: unknown) => {
    if (!raw.destroyed && !raw.writableEnded) raw.write(`data: ${JSON.stringify(data)}\n\n`);
  };
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) =>
    send({
      id,
      object: 'chat.completion.chunk',
      created,
      model: flowId,
      choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
      ...(includeUsage && { usage: null }),
    });
  chunk({ role: 'assistant', content: '' });
  let streamed = 0;
  const unsubscribe = handle.trace.subscribe((event: TraceEvent) => {
    if (event.type !== 'node.delta' || event.nodeId !== shape.answerNodeId || event.parentSpanId) return;
    streamed += event.data.text.length;
    chunk({ content: event.data.text });
  });
  raw.on('close', unsubscribe);
  done.then(
    async (run) => {
      unsubscribe();
      if (run.status === 'completed') {
        if (streamed === 0) {
          const text = textOutput(run.outputs?.[shape.output]);
          if (text !== '') chunk({ content: text });
        }
        // The last content chunk names the tools the flow called (Flowloom's addition; the widget shows them).
        const tools = toolsCalled(await eventsOf().catch(() => []));
        if (tools.length > 0)
          send({
            id,
            object: 'chat.completion.chunk',
            created,
            model: flowId,
            choices: [{ index: 0, delta: {}, finish_reason: null, logprobs: null }],
            ...(includeUsage && { usage: null }),
            flowloom: { tools },
          });
        chunk({}, 'stop');
        if (includeUsage) {
          send({ id, object: 'chat.completion.chunk', created, model: flowId, choices: [], usage: usageOf(run.usage) });
        }
        if (!raw.writableEnded) raw.write('data: [DONE]\n\n');
      } else {
        const { status, body } = toHttpError(runError(run));
        send(v1ErrorBody(status, body));
      }
      if (!raw.writableEnded) raw.end();
    },
    (err: unknown) => {
      unsubscribe();
      send(v1ErrorBody(500, toErrorBody(err)));
      if (!raw.writableEnded) raw.end();
    },
  );
}

function modelOf(flowId: string, published: PublishedVersion | undefined) {
  return {
    id: flowId,
    object: 'model' as const,
    created: Math.floor(Date.parse(published?.publishedAt ?? new Date(0).toISOString()) / 1000),
    owned_by: 'flowloom',
  };
}

/** `GET /v1/models`: the published chat flows this key may call. */
export async function listModels(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
  const key = request.apiKey as ApiKey;
  const { published: versions } = app.runtime;
  applyCors(request, reply, key.kind === 'browser' ? key.origins : await anyFlowOrigins(app));
  const data = [];
  for (const id of await versions.flowIds()) {
    if (!isInScope(key, id)) continue;
    const published = versions.cachedLatest(id) ?? (await versions.latest(id));
    if (published && versions.chatShape(published) !== null) data.push(modelOf(id, published));
  }
  return { object: 'list' as const, data };
}

/** `GET /v1/models/:model`. */
export async function retrieveModel(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, model: string) {
  const key = request.apiKey as ApiKey;
  const latest = app.runtime.published.cachedLatest(model) ?? (await app.runtime.published.latest(model));
  // Narrowed first, so that a refusal is readable only by the caller's own origins (never another key's).
  applyCors(request, reply, callerOrigins(key, latest?.settings.allowedOrigins ?? []));
  requireScope(key, model);
  chatShapeOf(app, latest ?? (await publishedModel(app, model)));
  return modelOf(model, latest);
}
