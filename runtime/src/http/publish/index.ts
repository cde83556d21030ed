import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AppError,
  collectFlowCalls,
  type FlowDiffAnswer,
  type FlowFile,
  normalizeFlow,
  type PublishAnswer,
  type PublishedVersion,
  type PublishedVersionsAnswer,
} from '@flowloom/nodes';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type BundleSide, diffBundles, diffFlows, diffValues } from '../../publishing/flow-diff.js';
import type { FrozenVersion } from '../../publishing/versions.js';
import { errorResponses } from '../errors.js';
import {
  DiffQuery,
  DiffResponse,
  FlowParams,
  PublishBody,
  PublishResponse,
  RollbackBody,
  VersionParams,
  VersionResponse,
  VersionsResponse,
} from './schemas.js';

const tags = ['publish'];

/** These routes take an optional body: a bodiless POST is the same as `{}`. */
async function emptyBody(request: FastifyRequest): Promise<void> {
  const req = request as { body: unknown };
  req.body ??= {};
}

/** Path of a flow's published run endpoint. */
export function runEndpoint(flowId: string): string {
  return `/api/v1/flows/${flowId}/run`;
}

function summaryOf({ flow: _flow, frozen: _frozen, ...summary }: FrozenVersion) {
  return summary;
}

/** `GET .../published/:version`: the version's data, without the runtime's frozen bundle object. */
function versionAnswer({ frozen: _frozen, ...version }: FrozenVersion): PublishedVersion {
  return version;
}

function publishAnswer(app: FastifyInstance, published: FrozenVersion): PublishAnswer {
  const chat = app.runtime.published.chatShape(published.flowId);
  return {
    ...summaryOf(published),
    endpoint: runEndpoint(published.flowId),
    chat: chat && {
      model: published.flowId,
      input: chat.input,
      output: chat.output,
      endpoint: '/api/v1/chat/completions',
    },
  };
}

function isDraft(ref: string): boolean {
  return ref === 'draft' || ref.startsWith('draft:');
}

/**
 * Resolves a diff side: `draft`, `draft:N` (a saved draft version) or `N` (a published version), normalized: a
 * published version keeps every param (defaults included), a draft only the user's choices, and a diff compares choices.
 */
function flowAt(app: FastifyInstance, flowId: string, ref: string): FlowFile {
  return normalizeFlow(storedFlowAt(app, flowId, ref), app.runtime.registry.lookup);
}

function storedFlowAt(app: FastifyInstance, flowId: string, ref: string): FlowFile {
  if (ref === 'draft') {
    const stored = app.runtime.store.getFlow(flowId);
    if (!stored) throw new AppError('FLOW_NOT_FOUND', `flow "${flowId}" does not exist`);
    return stored.flow;
  }
  if (ref.startsWith('draft:')) {
    const version = Number(ref.slice('draft:'.length));
    const saved = app.runtime.store.getFlowVersion(flowId, version);
    if (!saved) {
      if (!app.runtime.store.getFlow(flowId)) throw new AppError('FLOW_NOT_FOUND', `flow "${flowId}" does not exist`);
      throw new AppError('VERSION_NOT_FOUND', `flow "${flowId}" has no saved draft version ${version}`);
    }
    return saved.flow;
  }
  return app.runtime.published.get(flowId, Number(ref)).flow;
}

/**
 * The flows a diff side calls, normalized like the side itself: a published version's frozen bundle, or for a draft
 * side what publishing it would freeze now (the current drafts of the flows it calls, directly or not).
 */
function bundleAt(app: FastifyInstance, flowId: string, ref: string, flow: FlowFile): BundleSide {
  const { lookup } = app.runtime.registry;
  const side = new Map<string, { flowVersion: number; flow: FlowFile }>();
  if (isDraft(ref)) {
    for (const { call, loaded } of collectFlowCalls(flow, (id) => app.runtime.store.getFlow(id), lookup)) {
      if (loaded)
        side.set(call.calledFlowId, { flowVersion: loaded.version, flow: normalizeFlow(loaded.flow, lookup) });
    }
    return side;
  }
  const published = app.runtime.published.get(flowId, Number(ref));
  for (const { flowId: calledFlowId, flowVersion } of published.bundle) {
    const frozen = published.frozen.frozen(calledFlowId);
    if (frozen) side.set(calledFlowId, { flowVersion, flow: normalizeFlow(frozen.flow, lookup) });
  }
  return side;
}

/**
 * Publishing: freeze the draft as an immutable numbered version, list and read versions, diff any two (or against
 * the draft), roll back by republishing an older version, unpublish.
 */
export const publish: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/flows/:id/publish',
    {
      schema: {
        tags,
        summary: 'Publish the draft (or republish an older version with fromVersion)',
        description:
          'Freezes the flow as the next published version; callers of the endpoint get it from now on. ' +
          'Settings (CORS origins, run time limit, extra overridable params) default to the previous version’s.',
        params: FlowParams,
        body: PublishBody,
        response: { 201: PublishResponse, ...errorResponses },
      },
      preValidation: emptyBody,
    },
    async (request, reply) => {
      const published = app.runtime.published.publish(request.params.id, request.body ?? {});
      reply.header('location', `/api/flows/${published.flowId}/published/${published.version}`);
      return reply.status(201).send(publishAnswer(app, published));
    },
  );

  app.post(
    '/flows/:id/published/:version/rollback',
    {
      schema: {
        tags,
        summary: 'Roll back: republish an older version as the newest',
        params: VersionParams,
        body: RollbackBody,
        response: { 201: PublishResponse, ...errorResponses },
      },
      preValidation: emptyBody,
    },
    async (request, reply) => {
      const { id, version } = request.params;
      const published = app.runtime.published.publish(id, { fromVersion: version, note: request.body?.note });
      return reply.status(201).send(publishAnswer(app, published));
    },
  );

  app.get(
    '/flows/:id/published',
    {
      schema: {
        tags,
        summary: 'Published versions, newest first',
        params: FlowParams,
        response: { 200: VersionsResponse, ...errorResponses },
      },
    },
    async (request): Promise<PublishedVersionsAnswer> => {
      const { id } = request.params;
      const versions = app.runtime.published.list(id);
      if (versions.length === 0 && !app.runtime.store.getFlow(id)) {
        throw new AppError('FLOW_NOT_FOUND', `flow "${id}" does not exist`);
      }
      return {
        flowId: id,
        latest: versions[0]?.version ?? null,
        endpoint: runEndpoint(id),
        versions,
        runTimeoutCeilingMs: app.runtime.published.runTimeoutCeilingMs,
      };
    },
  );

  app.get(
    '/flows/:id/published/:version',
    {
      schema: {
        tags,
        summary: 'One published version, with its frozen flow',
        params: VersionParams,
        response: { 200: VersionResponse, ...errorResponses },
      },
    },
    async (request) => versionAnswer(app.runtime.published.get(request.params.id, request.params.version)) as never,
  );

  app.delete(
    '/flows/:id/published',
    {
      schema: {
        tags,
        summary: 'Unpublish: every published version is removed and the endpoints answer 404',
        params: FlowParams,
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      if (!app.runtime.published.unpublish(request.params.id)) {
        throw new AppError('FLOW_NOT_FOUND', `flow "${request.params.id}" is not published`);
      }
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/flows/:id/diff',
    {
      schema: {
        tags,
        summary: 'What changed between two versions',
        description:
          '`from` and `to` are a published version (`3`), the draft (`draft`) or a saved draft version (`draft:7`). ' +
          'Defaults: from the newest published version to the draft.',
        params: FlowParams,
        querystring: DiffQuery,
        response: { 200: DiffResponse, ...errorResponses },
      },
    },
    async (request) => {
      const { id } = request.params;
      const latest = app.runtime.published.latest(id);
      const from = request.query.from ?? (latest ? String(latest.version) : 'draft');
      const to = request.query.to ?? 'draft';
      const before = flowAt(app, id, from);
      const after = flowAt(app, id, to);
      const diff = diffFlows(before, after);
      // A called flow frozen at another version changes what the flow does, though none of its own nodes changed.
      const bundle = diffBundles(bundleAt(app, id, from, before), bundleAt(app, id, to, after));
      if (bundle.length > 0) {
        diff.fields.push(...bundle);
        diff.isSameBehaviour = false;
        diff.isEmpty = false;
      }
      // Two published versions also differ in their settings (origins, time limit, overridable params): listed with
      // the top-level fields as `settings.<name>`, and they change what callers get.
      if (!isDraft(from) && !isDraft(to)) {
        const settings = diffValues(
          { ...app.runtime.published.get(id, Number(from)).settings },
          { ...app.runtime.published.get(id, Number(to)).settings },
        ).map((change) => ({ ...change, name: `settings.${change.name}` }));
        if (settings.length > 0) {
          diff.fields.push(...settings);
          diff.isSameBehaviour = false;
          diff.isEmpty = false;
        }
      }
      const answer: FlowDiffAnswer = { flowId: id, from, to, ...diff };
      return answer;
    },
  );
};
