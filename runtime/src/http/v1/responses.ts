import { randomUUID } from 'node:crypto';
import { AppError, type ChatMessage, type ChatShape, type TraceEvent, toErrorBody, type Usage } from '@flowloom/nodes';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import { openEventStream } from '../../live/sse.js';
import type { ApiKey } from '../../publishing/keys.js';
import { type StartedPublishedRun, startPublishedRun } from '../../publishing/published-runs.js';
import type { RunRecord } from '../../store/types.js';
import { toHttpError } from '../errors.js';
import { chatInputs, chatModel, requestSession, runError, textOutput } from './chat.js';
import type { ResponsesBody } from './schemas.js';

type Body = Static<typeof ResponsesBody>;
type InputItem = Exclude<Body['input'], string>[number];

const RESPONSE_PREFIX = 'resp_';
const MESSAGE_PREFIX = 'msg_';

function invalid(field: string, message: string): AppError {
  return new AppError('VALIDATION_FAILED', `${field} ${message}`, { details: [{ field, message }] });
}

/** The text of one input message's content: a string, or its `input_text` / `output_text` parts joined. */
function contentText(item: InputItem, index: number): string {
  const { content } = item;
  if (typeof content === 'string') return content;
  if (content === undefined || content === null) return '';
  return content
    .map((part, p) => {
      if ((part.type === 'input_text' || part.type === 'output_text') && typeof part.text === 'string') {
        return part.text;
      }
      if (part.type === 'refusal') return '';
      throw invalid(
        `body.input.${index}.content.${p}.type`,
        `is "${part.type}": unsupported input type (a published chat flow takes text: input_text, output_text)`,
      );
    })
    .join('\n');
}

const MESSAGE_ROLES = new Set(['user', 'assistant', 'system', 'developer']);

/**
 * The request's input as chat messages. Text is one user message; a list takes messages (`type: "message"` or no
 * type) with text content, and `item_reference`s to earlier answers of this API (`msg_<runId>`). Anything else
 * (function call outputs, images, files...) is a 400 naming the item and its type.
 */
async function inputMessages(app: FastifyInstance, key: ApiKey, input: Body['input']): Promise<ChatMessage[]> {
  if (typeof input === 'string') return [{ role: 'user', content: input }];
  const messages: ChatMessage[] = [];
  for (const [index, item] of input.entries()) {
    const type = item.type ?? 'message';
    if (type === 'item_reference') {
      const run = await ownedRun(app, key, item.id ?? '', MESSAGE_PREFIX, `body.input.${index}.id`);
      messages.push({ role: 'assistant', content: answerOf(run) });
      continue;
    }
    if (type !== 'message') {
      throw invalid(
        `body.input.${index}.type`,
        `is "${type}": unsupported input type (a published chat flow takes messages and item_reference)`,
      );
    }
    if (typeof item.role !== 'string' || !MESSAGE_ROLES.has(item.role)) {
      throw invalid(`body.input.${index}.role`, 'must be one of "user", "assistant", "system", "developer"');
    }
    const role = item.role === 'developer' ? 'system' : (item.role as ChatMessage['role']);
    messages.push({ role, content: contentText(item, index) });
  }
  return messages;
}

/**
 * The run behind a response or message id this key made (`resp_<runId>`, `msg_<runId>`). Sessions are per key (see
 * startPublishedRun), so another key's id is unknown here: 404 naming the field, as OpenAI answers.
 */
async function ownedRun(
  app: FastifyInstance,
  key: ApiKey,
  id: string,
  prefix: string,
  field: string,
): Promise<RunRecord> {
  const run = id.startsWith(prefix) ? await app.runtime.store.getRun(id.slice(prefix.length)) : undefined;
  if (!run?.sessionId?.startsWith(sessionPrefix(key))) {
    throw new AppError('NOT_FOUND', `${field}: no response with id "${id}" was found`, {
      details: [{ field, message: 'is not a response of this API key' }],
    });
  }
  if (run.status !== 'completed') {
    throw invalid(field, `names response "${id}", which ended ${run.status}: only a completed response continues`);
  }
  return run;
}

function sessionPrefix(key: ApiKey): string {
  return `key:${key.id}:`;
}

function answerOf(run: RunRecord): string {
  const values = Object.values(run.outputs ?? {});
  return values.length === 1 ? textOutput(values[0]) : textOutput(run.outputs);
}

function isMessage(value: unknown): value is ChatMessage {
  return typeof value === 'object' && value !== null && typeof (value as ChatMessage).role === 'string';
}

/**
 * The conversation a completed response ended with: the history it was given (its `messages` input), its question
 * and its answer. Works from the stored run alone, so a response continues whichever chat flow made it.
 */
function conversationOf(run: RunRecord): ChatMessage[] {
  const inputs = run.inputs ?? {};
  const history = Object.values(inputs).find((v): v is unknown[] => Array.isArray(v) && v.every(isMessage)) ?? [];
  const question = inputs.question ?? inputs.message;
  return [
    ...(history as ChatMessage[]),
    ...(typeof question === 'string' ? [{ role: 'user' as const, content: question }] : []),
    { role: 'assistant', content: answerOf(run) },
  ];
}

function usageOf(usage: Usage | undefined) {
  const input = Math.round(usage?.promptTokens ?? 0);
  const output = Math.round(usage?.completionTokens ?? 0);
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: input + output,
  };
}

interface ResponseContext {
  id: string;
  messageId: string;
  flowId: string;
  createdAt: number;
  /** The request's fields a response repeats (`instructions`, `metadata`, `previous_response_id`, `user`). */
  body: Pick<Body, 'instructions' | 'metadata' | 'previous_response_id' | 'user'>;
  /** When it completed (seconds); default now. */
  completedAt?: number;
}

function outputMessage(context: ResponseContext, text: string, status: 'in_progress' | 'completed') {
  return {
    id: context.messageId,
    type: 'message' as const,
    role: 'assistant' as const,
    status,
    content: status === 'completed' ? [outputText(text)] : [],
  };
}

function outputText(text: string) {
  return { type: 'output_text' as const, text, annotations: [], logprobs: [] };
}

/** OpenAI's Response object for a run of a chat flow (docs/contracts.md §3). */
function responseObject(
  context: ResponseContext,
  state:
    | { status: 'in_progress' }
    | { status: 'completed'; text: string; usage: Usage | undefined }
    | { status: 'failed'; error: { code: string; message: string }; usage: Usage | undefined }
    | { status: 'cancelled'; usage: Usage | undefined },
) {
  const { body } = context;
  return {
    id: context.id,
    object: 'response' as const,
    created_at: context.createdAt,
    status: state.status,
    completed_at: state.status === 'completed' ? (context.completedAt ?? Math.floor(Date.now() / 1000)) : null,
    error: state.status === 'failed' ? state.error : null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: null,
    metadata: body.metadata ?? {},
    model: context.flowId,
    output: state.status === 'completed' ? [outputMessage(context, state.text, 'completed')] : [],
    parallel_tool_calls: false,
    previous_response_id: body.previous_response_id ?? null,
    store: true,
    temperature: null,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: null,
    truncation: 'disabled',
    usage: state.status === 'in_progress' ? null : usageOf(state.usage),
    ...(body.user !== undefined && { user: body.user }),
  };
}

/**
 * `POST /v1/responses`: OpenAI's Responses API on a published chat flow. The input (text, or messages) is mapped like
 * a chat completion's (chatInputs: the last user message is the question, the messages before it the history), with
 * `instructions` first as a system message. `previous_response_id` continues a conversation: its history, question
 * and answer come before the new input (`instructions` replaces the system messages it started with), and the run
 * keeps its chat memory session, so flows with a memory node remember too.
 */
export async function createResponse(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
  const body = request.body as Body;
  const flowId = body.model;
  const { key, published, shape } = await chatModel(app, request, reply, flowId);

  let conversation: ChatMessage[] = [];
  let sessionId: string | undefined;
  if (body.previous_response_id) {
    const field = 'body.previous_response_id';
    const previous = await ownedRun(app, key, body.previous_response_id, RESPONSE_PREFIX, field);
    conversation = conversationOf(previous);
    sessionId = previous.sessionId?.slice(sessionPrefix(key).length);
    if (body.instructions) conversation = dropLeadingSystem(conversation);
  }
  sessionId ??= requestSession(request, body.session_id) ?? `conv_${randomUUID()}`;
  const input = await inputMessages(app, key, body.input);
  if (!input.some((m) => m.role === 'user')) {
    throw invalid('body.input', 'must contain a user message (the question)');
  }
  const messages = [
    ...(body.instructions ? [{ role: 'system' as const, content: body.instructions }] : []),
    ...conversation,
    ...input,
  ];
  const started = startPublishedRun(
    app.runtime,
    published,
    { inputs: chatInputs(shape, messages), sessionId },
    { keyId: key.id, endpoint: 'responses' },
    body.stream ? { streamedToClient: new Set([shape.answerNodeId]) } : {},
  );
  // A queued run (api role) is answered once every process can find it; one that could not be queued is a 503.
  await started.accepted;
  const runId = started.handle.runId;
  const context: ResponseContext = {
    id: `${RESPONSE_PREFIX}${runId}`,
    messageId: `${MESSAGE_PREFIX}${runId}`,
    flowId,
    createdAt: Math.floor(Date.now() / 1000),
    body,
  };
  if (body.stream) {
    streamResponse(reply, started, shape, context);
    return reply;
  }
  const run = await started.done;
  reply.header('x-run-id', run.runId);
  if (run.status !== 'completed') throw runError(run);
  return responseObject(context, {
    status: 'completed',
    text: textOutput(run.outputs?.[shape.output]),
    usage: run.usage,
  });
}

/**
 * `GET /v1/responses/:id`: a response this key made through `POST /v1/responses`, from its stored run: its status
 * (`in_progress` while the run goes on, `completed`, `failed` with the error, `cancelled`), its answer and its usage.
 * Any other id, or another key's response, is a 404 naming `params.id`. The request's `instructions`, `metadata`,
 * `previous_response_id` and `user` are not stored: they are null (`metadata` `{}`).
 */
export async function retrieveResponse(app: FastifyInstance, request: FastifyRequest, id: string) {
  const key = request.apiKey as ApiKey;
  const runId = id.startsWith(RESPONSE_PREFIX) ? id.slice(RESPONSE_PREFIX.length) : undefined;
  const { store } = app.runtime;
  const [made, run] =
    runId === undefined
      ? [undefined, undefined]
      : await Promise.all([store.published.getRun(runId), store.getRun(runId)]);
  if (!made || !run || made.keyId !== key.id || made.endpoint !== 'responses') {
    throw new AppError('NOT_FOUND', `params.id: no response with id "${id}" was found`, {
      details: [{ field: 'params.id', message: 'is not a response of this API key' }],
    });
  }
  const seconds = (at: string) => Math.floor(Date.parse(at) / 1000);
  const context: ResponseContext = {
    id,
    messageId: `${MESSAGE_PREFIX}${run.runId}`,
    flowId: run.flowId,
    createdAt: seconds(run.startedAt),
    body: {},
    ...(run.endedAt !== undefined && { completedAt: seconds(run.endedAt) }),
  };
  if (run.status === 'completed') {
    return responseObject(context, { status: 'completed', text: answerOf(run), usage: run.usage });
  }
  if (run.status === 'failed') {
    return responseObject(context, { status: 'failed', error: toHttpError(runError(run)).body, usage: run.usage });
  }
  if (run.status === 'cancelled') return responseObject(context, { status: 'cancelled', usage: run.usage });
  return responseObject(context, { status: 'in_progress' });
}

function dropLeadingSystem(messages: ChatMessage[]): ChatMessage[] {
  const first = messages.findIndex((m) => m.role !== 'system');
  return first < 0 ? [] : messages.slice(first);
}

/**
 * Streams a response with OpenAI's Responses events, each as `event: <type>` and `data: <json>` with a
 * `sequence_number`: `response.created`, `response.in_progress`, `response.output_item.added`,
 * `response.content_part.added`, one `response.output_text.delta` per `node.delta` of the answer node (or the whole
 * answer at once when it did not stream), `response.output_text.done`, `response.content_part.done`,
 * `response.output_item.done`, then `response.completed` with the usage, or `response.failed` with the error.
 */
function streamResponse(reply: FastifyReply, started: StartedPublishedRun, shape: ChatShape, context: ResponseContext) {
  const { handle, done } = started;
  const raw = openEventStream(reply, handle.runId);
  let sequence = 0;
  const send = (type: string, data: Record<string, unknown>) => {
    if (raw.destroyed || raw.writableEnded) return;
    raw.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...data })}\n\n`);
  };
  const part = { item_id: context.messageId, output_index: 0, content_index: 0 };
  send('response.created', { response: responseObject(context, { status: 'in_progress' }) });
  send('response.in_progress', { response: responseObject(context, { status: 'in_progress' }) });
  send('response.output_item.added', { output_index: 0, item: outputMessage(context, '', 'in_progress') });
  send('response.content_part.added', { ...part, part: outputText('') });
  let text = '';
  const delta = (chunk: string) => {
    text += chunk;
    send('response.output_text.delta', { ...part, delta: chunk, logprobs: [] });
  };
  const unsubscribe = handle.trace.subscribe((event: TraceEvent) => {
    if (event.type !== 'node.delta' || event.nodeId !== shape.answerNodeId || event.parentSpanId) return;
    delta(event.data.text);
  });
  raw.on('close', unsubscribe);
  const fail = (error: { code: string; message: string }, usage?: Usage) => {
    const failed = { code: error.code, message: error.message };
    send('response.failed', { response: responseObject(context, { status: 'failed', error: failed, usage }) });
  };
  done.then(
    (run) => {
      unsubscribe();
      if (run.status === 'completed') {
        const answer = textOutput(run.outputs?.[shape.output]);
        if (text === '' && answer !== '') delta(answer);
        // The stored answer is the truth: the streamed text is what the answer node said, the output may differ.
        const final = text === '' ? answer : text;
        send('response.output_text.done', { ...part, text: final, logprobs: [] });
        send('response.content_part.done', { ...part, part: outputText(final) });
        send('response.output_item.done', { output_index: 0, item: outputMessage(context, final, 'completed') });
        send('response.completed', {
          response: responseObject(context, { status: 'completed', text: final, usage: run.usage }),
        });
      } else {
        fail(toHttpError(runError(run)).body, run.usage);
      }
      if (!raw.writableEnded) raw.end();
    },
    (err: unknown) => {
      unsubscribe();
      fail(toErrorBody(err));
      if (!raw.writableEnded) raw.end();
    },
  );
}
