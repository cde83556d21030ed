import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '@flowloom/nodes';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiKey } from '../../publishing/keys.js';
import { latestPublished, startPublishedRun } from '../../publishing/published-runs.js';
import { authenticateKey, callerOrigins, requireScope } from '../auth.js';
import { answerOf, streamRun } from '../runs/index.js';
import { CallerFeedbackBody, FeedbackResponse, ResumeBody, RunAnswer } from '../runs/schemas.js';
import { chatCompletions, listModels, retrieveModel } from './chat.js';
import { answerPreflight, anyFlowOrigins, applyCors, isOriginRefused } from './cors.js';
import { sendV1Error } from './errors.js';
import { createResponse, retrieveResponse } from './responses.js';
import {
  ChatCompletionBody,
  ChatCompletionResponse,
  FlowParams,
  ModelParams,
  ModelResponse,
  ModelsResponse,
  PublishedRunBody,
  PublishedRunParams,
  ResponseObject,
  ResponseParams,
  ResponsesBody,
  RUN_ID_HEADER,
  v1ErrorResponses,
} from './schemas.js';

const tags = ['published'];

declare module 'fastify' {
  interface FastifyRequest {
    /** The API key that authenticated a published-API request (set before the body is read). */
    apiKey: ApiKey | null;
  }
}

function wantsStream(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('text/event-stream');
}

/** Refuses (403) a browser request from an origin the flow does not allow, before anything runs. */
export function checkOrigin(request: FastifyRequest, reply: FastifyReply, origins: readonly string[]): void {
  applyCors(request, reply, origins);
  if (isOriginRefused(request, origins)) {
    throw new AppError('FORBIDDEN', `origin ${request.headers.origin} is not allowed to call this flow`);
  }
}

/**
 * The published API, authenticated by API keys only: the run endpoint (`/v1/flows/:id/run`, same body and answers
 * as a draft run, SSE on `Accept: text/event-stream`) and the OpenAI-compatible face (`/v1/chat/completions`,
 * `/v1/models`), and OpenAI's Responses API (`/v1/responses`). CORS per flow from the published version's allow-list.
 */
export const v1: FastifyPluginAsyncTypebox = async (app) => {
  app.setErrorHandler(sendV1Error);
  app.decorateRequest('apiKey', null);
  // Key and rate limit first, before the body is read: anonymous or throttled callers cost no parse.
  app.addHook('onRequest', async (request, reply) => {
    if (request.method === 'OPTIONS') return;
    // First, so that the errors from here on (401, 429 with retry-after, a malformed body) are readable by an allowed
    // browser origin, not an opaque network error. The handlers narrow it to the flow's own list.
    if (request.headers.origin !== undefined) applyCors(request, reply, await originsOf(request));
    request.apiKey = await authenticateKey(app.runtime.keys, app.runtime.rateLimiter, request, reply);
    // A browser key's own origins may read the answers (the handlers narrow it to the flow's).
    if (request.apiKey.kind === 'browser') applyCors(request, reply, request.apiKey.origins);
  });

  /**
   * The origins that may call one flow: its newest published version's allow-list (none when it is not published)
   * and those of its browser keys.
   */
  async function flowOrigins(flowId: string): Promise<readonly string[]> {
    const own = await versionOrigins(flowId);
    const browser = await app.runtime.keys.browserOrigins(flowId);
    return browser.length === 0 ? own : [...own, ...browser];
  }

  /** The published version's own allow-list of a flow (none when it is not published), without browser keys'. */
  async function versionOrigins(flowId: string): Promise<readonly string[]> {
    const { published } = app.runtime;
    return (published.cachedLatest(flowId) ?? (await published.latest(flowId)))?.settings.allowedOrigins ?? [];
  }

  /** Every origin that may call some flow: for endpoints whose flow is in the body (chat completions, models). */
  async function allOrigins(): Promise<readonly string[]> {
    return [...(await anyFlowOrigins(app)), ...(await app.runtime.keys.browserOrigins())];
  }

  /** The allow-list for a request: its flow's (from the URL), or any published flow's when the flow is in the body. */
  function originsOf(request: FastifyRequest): Promise<readonly string[]> {
    const { id, model } = request.params as { id?: string; model?: string };
    const flowId = id ?? model;
    return flowId === undefined ? allOrigins() : flowOrigins(flowId);
  }

  app.options('/v1/flows/:id/run', { schema: { hide: true, params: FlowParams } }, async (request, reply) =>
    answerPreflight(request, reply, await flowOrigins(request.params.id)),
  );
  app.options('/v1/chat/completions', { schema: { hide: true } }, async (request, reply) =>
    answerPreflight(request, reply, await allOrigins()),
  );
  app.options('/v1/responses', { schema: { hide: true } }, async (request, reply) =>
    answerPreflight(request, reply, await allOrigins()),
  );
  app.options('/v1/models', { schema: { hide: true } }, async (request, reply) =>
    answerPreflight(request, reply, await allOrigins()),
  );

  app.post(
    '/v1/flows/:id/run',
    {
      schema: {
        tags,
        summary: 'Run the published flow',
        description:
          'Runs the newest published version (never the draft). `Authorization: Bearer <API key>`. Same body and ' +
          'answers as a draft run; SSE on `Accept: text/event-stream`. `overrides` only for overridable params.',
        params: FlowParams,
        body: PublishedRunBody,
        response: { 200: RunAnswer, ...v1ErrorResponses },
      },
    },
    async (request, reply) => {
      const flowId = request.params.id;
      const key = request.apiKey as ApiKey;
      requireScope(key, flowId);
      // From the cache without waiting when it has the version (the hot path).
      const published =
        app.runtime.published.cachedLatest(flowId) ?? (await latestPublished(app.runtime.published, flowId));
      checkOrigin(request, reply, callerOrigins(key, published.settings.allowedOrigins));
      const { inputs = {}, sessionId, overrides } = request.body;
      const started = startPublishedRun(
        app.runtime,
        published,
        { inputs, sessionId, overrides },
        { keyId: key.id, endpoint: 'run' },
      );
      await started.accepted;
      if (wantsStream(request)) {
        streamRun(reply, started);
        return reply;
      }
      reply.header('x-run-id', started.handle.runId).header(RUN_ID_HEADER, started.handle.runId);
      return answerOf(await started.done);
    },
  );

  app.post(
    '/v1/chat/completions',
    {
      schema: {
        tags,
        summary: 'OpenAI-compatible chat completion with a published chat flow',
        description:
          '`model` is the flow id. The last user message is the flow’s question; earlier messages go to its ' +
          '`messages` input when it has one. `stream: true` answers `chat.completion.chunk` events and `[DONE]`.',
        body: ChatCompletionBody,
        response: { 200: ChatCompletionResponse, ...v1ErrorResponses },
      },
    },
    async (request, reply) => chatCompletions(app, request, reply),
  );

  app.options(
    '/v1/runs/:runId/feedback',
    { schema: { hide: true, params: PublishedRunParams } },
    async (request, reply) => answerPreflight(request, reply, await allOrigins()),
  );

  app.post(
    '/v1/runs/:runId/feedback',
    {
      schema: {
        tags,
        summary: 'Rate a run of a published flow',
        description:
          'Feedback on a run made through a published endpoint (`runId` from the answer: its `runId`, the ' +
          '`x-flowloom-run-id` header, or the OpenAI face’s `id`), with the API key that made it; any other run is ' +
          'a 404. Same body and answer as `POST /api/runs/:runId/feedback`, but `source` is `api` (default) or ' +
          '`widget`, and the feedback is the key’s own: an id the editor (or another key) gave on the run is a 409.',
        params: PublishedRunParams,
        body: CallerFeedbackBody,
        response: { 201: FeedbackResponse, ...v1ErrorResponses },
      },
    },
    async (request, reply) => {
      const runId = request.params.runId.replace(/^chatcmpl-/, '');
      const { feedback } = app.runtime;
      const flowId = await feedback.publishedFlowOf(runId);
      // The caller's origins: a browser key's own, a secret key's the version's (never another key's origins).
      const key = request.apiKey as ApiKey;
      if (flowId !== undefined && request.headers.origin !== undefined)
        checkOrigin(request, reply, callerOrigins(key, await versionOrigins(flowId)));
      else applyCors(request, reply, callerOrigins(key, []));
      const given = await feedback.giveAsCaller((request.apiKey as ApiKey).id, runId, request.body);
      return reply.status(201).send({ feedback: given });
    },
  );

  app.post(
    '/v1/runs/:runId/resume',
    {
      schema: {
        tags,
        summary: 'Approve or reject a paused run of a published flow',
        description:
          'A run of a published flow that waits at an approval node (status `paused`) goes on: `approve` (with ' +
          '`value`, the edited value) or `reject`, like `POST /api/runs/:runId/resume`, with the API key that made ' +
          'the run (a secret key: a browser key is a 403); any other run is a 404. Answers the run as a run request ' +
          'does (JSON or SSE).',
        params: PublishedRunParams,
        body: ResumeBody,
        response: { 200: RunAnswer, ...v1ErrorResponses },
      },
    },
    async (request, reply) => {
      const key = request.apiKey as ApiKey;
      // A browser key is seen by anyone who opens the page: its holder must not approve their own pending run.
      if (key.kind === 'browser')
        throw new AppError('FORBIDDEN', 'a browser key cannot resume a run: resuming takes a secret key');
      const runId = request.params.runId.replace(/^chatcmpl-/, '');
      const started = await app.runtime.runs.resume(runId, request.body, { keyId: key.id });
      if (wantsStream(request)) {
        streamRun(reply, started);
        return reply;
      }
      reply.header(RUN_ID_HEADER, started.handle.runId);
      return answerOf(await started.done);
    },
  );

  app.post(
    '/v1/responses',
    {
      schema: {
        tags,
        summary: 'OpenAI Responses API with a published chat flow',
        description:
          '`model` is the flow id; `input` is text or messages (`input_text`/`output_text` content), `instructions` a ' +
          'system message before them; `previous_response_id` continues a conversation (history and chat memory). ' +
          '`stream: true` answers Responses events (`response.created`, `response.output_text.delta`, ' +
          '`response.completed`...). Other input types are a 400 naming them.',
        body: ResponsesBody,
        response: { 200: ResponseObject, ...v1ErrorResponses },
      },
    },
    async (request, reply) => createResponse(app, request, reply),
  );

  app.options('/v1/responses/:id', { schema: { hide: true, params: ResponseParams } }, async (request, reply) =>
    answerPreflight(request, reply, await allOrigins()),
  );

  app.get(
    '/v1/responses/:id',
    {
      schema: {
        tags,
        summary: 'Retrieve a response made with this API key',
        description:
          'OpenAI’s `responses.retrieve`: the Response object of a `POST /v1/responses` made with the same API key ' +
          '(`resp_<runId>`), from its stored run: `in_progress`, `completed` with the answer and usage, `failed` ' +
          'with the error, or `cancelled`. Any other id, or another key’s, is a 404. `instructions`, `metadata`, ' +
          '`previous_response_id` and `user` of the request are not stored (null, `{}`).',
        params: ResponseParams,
        response: { 200: ResponseObject, ...v1ErrorResponses },
      },
    },
    async (request, reply) => {
      const response = await retrieveResponse(app, request, request.params.id);
      if (request.headers.origin !== undefined) {
        const origins = callerOrigins(request.apiKey as ApiKey, await versionOrigins(response.model));
        checkOrigin(request, reply, origins);
      }
      return response;
    },
  );

  app.get(
    '/v1/models',
    {
      schema: {
        tags,
        summary: 'Published chat flows as OpenAI models',
        response: { 200: ModelsResponse, ...v1ErrorResponses },
      },
    },
    async (request, reply) => listModels(app, request, reply),
  );

  app.get(
    '/v1/models/:model',
    {
      schema: {
        tags,
        summary: 'One published chat flow as an OpenAI model',
        params: ModelParams,
        response: { 200: ModelResponse, ...v1ErrorResponses },
      },
    },
    async (request, reply) => retrieveModel(app, request, reply, request.params.model),
  );
};
