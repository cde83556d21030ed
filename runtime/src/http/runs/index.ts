import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError, eventJson, isRunEnd, type TraceEvent, type Values } from '@flowloom/nodes';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { openEventStream } from '../../live/sse.js';
import { parseSources } from '../../monitoring/metrics.js';
import type { StartedRun } from '../../runs/run-service.js';
import type { FeedbackFilter, RunRecord } from '../../store/types.js';
import { errorResponses } from '../errors.js';
import {
  FeedbackBody,
  FeedbackResponse,
  FlowParams,
  NodeRunBody,
  NodeRunParams,
  RerunBody,
  ResumeBody,
  RunAccepted,
  RunAnswer,
  RunBody,
  RunDetailResponse,
  RunIdParams,
  RunSummary,
  RunsQuery,
  RunsResponse,
  StartRunBody,
} from './schemas.js';

const tags = ['runs'];
const SSE_HEARTBEAT_MS = 15_000;

function wantsStream(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('text/event-stream');
}

/** `Prefer: respond-async` (RFC 7240), alone or among other preferences. */
function prefersAsync(request: FastifyRequest): boolean {
  const prefer = request.headers.prefer;
  const values = Array.isArray(prefer) ? prefer : [prefer ?? ''];
  return values.some((value) =>
    value.split(',').some((preference) => preference.split(/[;=]/)[0]?.trim().toLowerCase() === 'respond-async'),
  );
}

/** The checked-later pins of an editor run's body, as `StartRunOptions.pins`. */
function pinsOf(body: { pins?: Record<string, Values> }): { pins?: Map<string, Values> } {
  return body.pins && Object.keys(body.pins).length > 0 ? { pins: new Map(Object.entries(body.pins)) } : {};
}

/** The JSON answer of a run request, from the stored run. */
export function answerOf(run: RunRecord) {
  return {
    runId: run.runId,
    flowId: run.flowId,
    status: run.status,
    outputs: run.outputs ?? {},
    ...(run.error && { error: run.error }),
    startedAt: run.startedAt,
    durationMs: run.durationMs ?? 0,
    ...(run.usage && { usage: run.usage }),
    ...(run.costUsd !== undefined && { costUsd: run.costUsd }),
  };
}

/**
 * Streams a started run as server-sent events: one `data: <event JSON>` per trace event (past ones first), ending
 * after the run's end event once its final state is stored. A resumed run streams only its new segment, from its
 * `run.resumed` (not the earlier segments, whose `run.paused` would end a client's reading). A client that disconnects
 * only stops its stream: the run goes on (it is recorded, watchable over socket.io, and
 * `POST /api/runs/:runId/cancel` stops it).
 */
export function streamRun(reply: FastifyReply, started: StartedRun): void {
  const { handle, done } = started;
  const raw = openEventStream(reply, handle.runId);
  raw.flushHeaders();
  let unsubscribe: (() => void) | undefined;
  let hasEnded = false;
  const heartbeat = setInterval(() => {
    if (!raw.destroyed) raw.write(': keep-alive\n\n');
  }, SSE_HEARTBEAT_MS);
  heartbeat.unref();
  const stop = () => {
    hasEnded = true;
    clearInterval(heartbeat);
    unsubscribe?.();
  };
  raw.on('close', stop);
  const afterSeq = started.resumedAfterSeq ?? -1;
  unsubscribe = handle.trace.subscribe((event: TraceEvent) => {
    if (raw.destroyed || raw.writableEnded || event.seq <= afterSeq) return;
    raw.write(`data: ${eventJson(event)}\n\n`);
    // A run that pauses ends its stream too: follow it over socket.io or `GET /api/runs/:runId`.
    if (isRunEnd(event) || event.type === 'run.paused') {
      const end = () => {
        stop();
        if (!raw.writableEnded) raw.end();
      };
      done.then(end, end);
    }
  });
  if (hasEnded) unsubscribe();
}

/** Runs (JSON, SSE or accepted), run history, one run with its events, cancel and feedback. */
export const runs: FastifyPluginAsyncTypebox = async (app) => {
  async function run(
    request: FastifyRequest,
    reply: FastifyReply,
    flowId: string,
    body: { inputs?: Values; sessionId?: string; pins?: Record<string, Values>; breakpoints?: string[] },
  ) {
    // Validation problems are thrown here, before anything is stored or streamed.
    return answer(
      request,
      reply,
      await app.runtime.runs.startSaved(flowId, {
        inputs: body.inputs ?? {},
        sessionId: body.sessionId,
        source: 'editor',
        ...pinsOf(body),
        ...(body.breakpoints && { breakpoints: body.breakpoints }),
      }),
    );
  }

  async function answer(request: FastifyRequest, reply: FastifyReply, started: StartedRun) {
    // A queued run (api role) is answered once every process can find it; one that could not be queued is a 503.
    await started.accepted;
    if (prefersAsync(request)) {
      // The run goes on; its events are watched over socket.io (`subscribe {runId, afterSeq: -1}`).
      const { runId } = started.handle;
      reply.header('preference-applied', 'respond-async').header('location', `/api/runs/${runId}`);
      return reply.status(202).send({ runId, status: 'running' as const });
    }
    if (wantsStream(request)) {
      streamRun(reply, started);
      return reply;
    }
    return answerOf(await started.done);
  }

  const runResponses = {
    200: RunAnswer,
    202: RunAccepted,
    ...errorResponses,
  };
  const runDescription =
    'Runs the saved draft and answers its final state (a failed flow is a 200 with status failed; a run that ' +
    'pauses at a breakpoint or an approval node answers status paused, then `POST /api/runs/:runId/resume`). With ' +
    '`Accept: text/event-stream` the run streams as server-sent events instead, one `data: <trace event JSON>` each. ' +
    'With `Prefer: respond-async` it answers 202 `{runId, status}` as soon as the run has started (bad input is ' +
    'still a 400 or 404 first); watch it over socket.io `/traces` with `subscribe {runId, afterSeq: -1}`.';

  app.post(
    '/flows/:id/runs',
    {
      schema: {
        tags,
        summary: 'Run a flow',
        description: runDescription,
        params: FlowParams,
        body: RunBody,
        response: runResponses,
      },
    },
    async (request, reply) => run(request, reply, request.params.id, request.body),
  );

  app.post(
    '/runs',
    {
      schema: {
        tags,
        summary: 'Run a flow (flow id in the body)',
        description: runDescription,
        body: StartRunBody,
        response: runResponses,
      },
    },
    async (request, reply) => run(request, reply, request.body.flowId, request.body),
  );

  app.post(
    '/runs/:runId/rerun',
    {
      schema: {
        tags,
        summary: 'Rerun from a node',
        description:
          "Runs the flow's current draft again from one node: nodes upstream of it keep the earlier run's outputs " +
          '(their `node.completed` events say `reused: true`), the node and everything downstream execute. Answers ' +
          'like a run request (JSON, SSE, or 202 with `Prefer: respond-async`). 404 when the run is unknown, 400 ' +
          'naming `body.fromNode` when the node is not in the flow, 409 while the run is still going.',
        params: RunIdParams,
        body: RerunBody,
        response: runResponses,
      },
    },
    async (request, reply) => {
      const { fromNode, inputs, sessionId } = request.body;
      return answer(
        request,
        reply,
        await app.runtime.runs.rerun(request.params.runId, fromNode, {
          inputs,
          sessionId,
          source: 'editor',
          ...pinsOf(request.body),
        }),
      );
    },
  );

  app.post(
    '/flows/:id/nodes/:nodeId/run',
    {
      schema: {
        tags,
        summary: 'Run one node alone',
        description:
          'Runs one node of the saved draft alone with the given inputs: nothing upstream or downstream executes. It is ' +
          "traced and recorded like any run (source `editor`); the run's inputs and outputs are the node's. Answers " +
          'like a run request (JSON, SSE, or 202 with `Prefer: respond-async`). 404 naming the node when it is not in ' +
          'the flow, 400 naming `body.inputs.<port>` for an input the node does not have or a required one missing.',
        params: NodeRunParams,
        body: NodeRunBody,
        response: runResponses,
      },
    },
    async (request, reply) => {
      const { id, nodeId } = request.params;
      const { inputs, sessionId } = request.body;
      return answer(
        request,
        reply,
        await app.runtime.runs.runNode(id, nodeId, { inputs: inputs ?? {}, sessionId, source: 'editor' }),
      );
    },
  );

  app.post(
    '/runs/:runId/resume',
    {
      schema: {
        tags,
        summary: 'Resume a paused run',
        description:
          'Decides on the node a paused run waits at (docs/contracts.md §9): `continue` runs on (stopping at the ' +
          'remaining breakpoints), `step` pauses again before the next node(s), `approve` passes the approval ' +
          "node's value on (`value` replaces it), `reject` sends it out on the node's `rejected` output instead. " +
          "`inputs` replace the paused node's inputs (a 400 names a bad port). Finished nodes are not run again. " +
          'Answers like a run request (JSON, SSE, or 202 with `Prefer: respond-async`); 409 RUN_NOT_PAUSED when ' +
          'the run does not wait at that node.',
        params: RunIdParams,
        body: ResumeBody,
        response: runResponses,
      },
    },
    async (request, reply) => answer(request, reply, await app.runtime.runs.resume(request.params.runId, request.body)),
  );

  app.get(
    '/runs',
    {
      schema: {
        tags,
        summary: 'Run history, newest first',
        querystring: RunsQuery,
        response: { 200: RunsResponse, ...errorResponses },
      },
    },
    async (request) => {
      const { source, q, feedback, ...query } = request.query;
      return {
        runs: await app.runtime.store.listRuns({
          ...query,
          ...(source !== undefined && { sources: parseSources(source) }),
          ...(q !== undefined && { text: q }),
          ...(feedback !== undefined && { feedback: feedback as FeedbackFilter }),
        }),
      };
    },
  );

  app.get(
    '/runs/:runId',
    {
      schema: {
        tags,
        summary: 'One run with every event',
        params: RunIdParams,
        response: { 200: RunDetailResponse, ...errorResponses },
      },
    },
    async (request) => {
      const [detail, feedback, experiment] = await Promise.all([
        app.runtime.runs.get(request.params.runId),
        app.runtime.feedback.list(request.params.runId),
        app.runtime.store.experiments.cellOfRun(request.params.runId),
      ]);
      if (!detail) throw new AppError('RUN_NOT_FOUND', `run "${request.params.runId}" does not exist`);
      return { ...detail.run, events: detail.events, feedback, ...(experiment && { experiment }) };
    },
  );

  app.post(
    '/runs/:runId/cancel',
    {
      schema: {
        tags,
        summary: 'Cancel a running run',
        description: 'Answers the run once cancelled; 409 RUN_NOT_RUNNING when it already ended.',
        params: RunIdParams,
        response: { 200: RunSummary, ...errorResponses },
      },
    },
    async (request) => app.runtime.runs.cancel(request.params.runId),
  );

  app.post(
    '/runs/:runId/feedback',
    {
      schema: {
        tags,
        summary: 'Rate a run or one of its nodes',
        description:
          'Thumbs, a comment, a correction, on the run or on one node of it (`nodeId`). A repeated `id` on the run replaces ' +
          'that feedback; `score: null` withdraws it. The older body `{score, comment?}` works as before. 404 for an ' +
          'unknown run; 400 naming `body.nodeId` for a node the run did not reach; 409 when that `id` is feedback a ' +
          'published flow’s caller gave (the editor does not change callers’ feedback).',
        params: RunIdParams,
        body: FeedbackBody,
        response: { 201: FeedbackResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const feedback = await app.runtime.feedback.give(request.params.runId, request.body, 'api');
      return reply.status(201).send({ feedback });
    },
  );
};
