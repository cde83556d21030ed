import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AppError,
  chatShape,
  depthProblems,
  FLOW_SCHEMA,
  type FlowFile,
  type FlowInputsAnswer,
  flowInputs,
  flowOutputs,
  migrateFlow,
  normalizeFlow,
  type ValidateAnswer,
  validateFlow,
} from '@flowloom/nodes';
import { Type } from 'typebox';
import { errorResponses } from '../errors.js';
import {
  AnyBody,
  FlowBody,
  FlowParams,
  FlowResponse,
  FlowsResponse,
  FlowVersionParams,
  InputsResponse,
  PutHeaders,
  TemplatesResponse,
  ValidateResponse,
  VersionsResponse,
} from './schemas.js';
import { readTemplates } from './templates.js';

const tags = ['flows'];

function parseIfMatch(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(?:W\/)?"?(\d+)"?$/.exec(value.trim());
  if (!match) {
    throw new AppError('VALIDATION_FAILED', 'headers.if-match must be a flow version number', {
      details: [{ field: 'headers.if-match', message: 'must be a flow version number, e.g. "3"' }],
    });
  }
  return Number(match[1]);
}

/**
 * Flows CRUD with version history, validation, the flow JSON Schema and templates. Drafts may have graph problems
 * (work in progress); only schema-valid flows are stored.
 */
export const flows: FastifyPluginAsyncTypebox<{ templatesDir: string }> = async (app, { templatesDir }) => {
  const notFound = (id: string) => new AppError('FLOW_NOT_FOUND', `flow "${id}" does not exist`);
  /** A flow as it comes in (a body, a template), its nodes upgraded to their kinds' versions. */
  const migrated = (flow: FlowFile) => migrateFlow(flow, app.runtime.registry).flow;
  /**
   * What the store keeps of a flow that comes in: migrated, then only the user's choices. A flow nested too deep to
   * store is refused with the problem `POST /api/validate` reports for it (FLOW_INVALID, 400).
   */
  const toStore = (flow: FlowFile) => {
    const deep = depthProblems(flow);
    if (deep.length > 0) {
      throw new AppError('FLOW_INVALID', `flow "${flow.id}" has 1 problem(s): ${deep[0]?.message}`, { details: deep });
    }
    return normalizeFlow(migrated(flow), app.runtime.registry.lookup);
  };

  app.get(
    '/flows',
    { schema: { tags, summary: 'List flows', response: { 200: FlowsResponse, ...errorResponses } } },
    async () => ({
      flows: await app.runtime.store.listFlows(),
    }),
  );

  app.post(
    '/flows',
    { schema: { tags, summary: 'Create a flow', body: FlowBody, response: { 201: FlowResponse, ...errorResponses } } },
    async (request, reply) => {
      const stored = await app.runtime.store.createFlow(toStore(request.body));
      reply.header('location', `/api/flows/${stored.flow.id}`).header('etag', `"${stored.version}"`);
      return reply.status(201).send(stored.flow);
    },
  );

  app.get(
    '/flows/:id',
    {
      schema: {
        tags,
        summary: 'Read a flow draft',
        params: FlowParams,
        response: { 200: FlowResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const stored = await app.runtime.store.getFlow(request.params.id);
      if (!stored) throw notFound(request.params.id);
      reply.header('etag', `"${stored.version}"`);
      return stored.flow;
    },
  );

  app.put(
    '/flows/:id',
    {
      schema: {
        tags,
        summary: 'Replace a flow draft (bumps its version)',
        description:
          'With an If-Match header or a `version` in the body, answers 409 FLOW_VERSION_CONFLICT when the stored version differs.',
        params: FlowParams,
        headers: PutHeaders,
        body: FlowBody,
        response: { 200: FlowResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (request.body.id !== id) {
        throw new AppError(
          'VALIDATION_FAILED',
          `body.id "${request.body.id}" does not match the flow id "${id}" in the path`,
          {
            details: [{ field: 'body.id', message: `must be "${id}", the id in the path` }],
          },
        );
      }
      const expected = parseIfMatch(request.headers['if-match']) ?? request.body.version;
      const stored = await app.runtime.store.updateFlow(toStore(request.body), expected);
      reply.header('etag', `"${stored.version}"`);
      return stored.flow;
    },
  );

  app.delete(
    '/flows/:id',
    {
      schema: {
        tags,
        summary: 'Delete a flow and its history',
        params: FlowParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      if (!(await app.runtime.store.deleteFlow(request.params.id))) throw notFound(request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/flows/:id/versions',
    {
      schema: {
        tags,
        summary: 'Saved versions of a flow',
        params: FlowParams,
        response: { 200: VersionsResponse, ...errorResponses },
      },
    },
    async (request) => {
      const versions = await app.runtime.store.listFlowVersions(request.params.id);
      if (versions.length === 0) throw notFound(request.params.id);
      return { versions };
    },
  );

  app.get(
    '/flows/:id/versions/:version',
    {
      schema: {
        tags,
        summary: 'One saved version',
        params: FlowVersionParams,
        response: { 200: FlowResponse, ...errorResponses },
      },
    },
    async (request) => {
      const { id, version } = request.params;
      const found = await app.runtime.store.getFlowVersion(id, version);
      if (found) return found.flow;
      if (!(await app.runtime.store.getFlow(id))) throw notFound(id);
      throw new AppError('VERSION_NOT_FOUND', `flow "${id}" has no version ${version}`);
    },
  );

  app.get(
    '/flows/:id/inputs',
    {
      schema: {
        tags,
        summary: 'Run inputs and outputs of a flow, and its chat face',
        params: FlowParams,
        response: { 200: InputsResponse, ...errorResponses },
      },
    },
    async (request): Promise<FlowInputsAnswer> => {
      const stored = await app.runtime.store.getFlow(request.params.id);
      if (!stored) throw notFound(request.params.id);
      return {
        inputs: flowInputs(stored.flow, app.runtime.registry.lookup),
        outputs: flowOutputs(stored.flow, app.runtime.registry.lookup),
        chat: chatShape(stored.flow, app.runtime.registry.lookup),
      };
    },
  );

  app.post(
    '/flows/:id/validate',
    {
      schema: {
        tags,
        summary: 'Validate the saved draft (or the flow in the body)',
        params: FlowParams,
        body: AnyBody,
        response: { 200: ValidateResponse, ...errorResponses },
      },
    },
    async (request): Promise<ValidateAnswer> => {
      const flow = request.body ?? (await app.runtime.store.getFlow(request.params.id))?.flow;
      if (flow === undefined) throw notFound(request.params.id);
      const problems = validateFlow(migrated(flow as FlowFile), app.runtime.registry.lookup);
      return { ok: problems.length === 0, problems };
    },
  );

  app.post(
    '/validate',
    {
      schema: {
        tags,
        summary: 'Validate an unsaved flow file',
        body: AnyBody,
        response: { 200: ValidateResponse, ...errorResponses },
      },
    },
    async (request): Promise<ValidateAnswer> => {
      const problems = validateFlow(migrated(request.body as FlowFile), app.runtime.registry.lookup);
      return { ok: problems.length === 0, problems };
    },
  );

  app.get('/schema/flow.json', { schema: { tags, summary: 'JSON Schema of flow files' } }, async (_request, reply) =>
    reply.type('application/schema+json').send(JSON.stringify(FLOW_SCHEMA, null, 2)),
  );

  app.get(
    '/templates',
    {
      schema: { tags, summary: 'Example flows to start from', response: { 200: TemplatesResponse, ...errorResponses } },
    },
    async () => {
      const templates = await readTemplates(templatesDir);
      return {
        templates: templates.map((flow: FlowFile) => ({
          id: flow.id,
          name: flow.name,
          ...(flow.description !== undefined && { description: flow.description }),
          ...(flow.tags !== undefined && { tags: flow.tags }),
        })),
      };
    },
  );

  app.get(
    '/templates/:id',
    {
      schema: {
        tags,
        summary: 'One template: POST it (with a new id if you like) to /api/flows to create a flow from it',
        params: FlowParams,
        response: { 200: FlowResponse, ...errorResponses },
      },
    },
    async (request) => {
      const template = (await readTemplates(templatesDir)).find((flow) => flow.id === request.params.id);
      if (!template) throw new AppError('NOT_FOUND', `no template "${request.params.id}"`);
      return migrated(template);
    },
  );
};
