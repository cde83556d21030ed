import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../errors.js';
import {
  CompareQuery,
  CompareResponse,
  CreateExperimentBody,
  ExperimentAccepted,
  ExperimentParams,
  ExperimentSchema,
  ExperimentsResponse,
  ResultsQuery,
  ResultsResponse,
} from './schemas.js';

const tags = ['experiments'];

/** Experiments (docs/contracts.md §7): start, watch, read results, compare two targets, cancel. */
export const experiments: FastifyPluginAsyncTypebox = async (app) => {
  const service = () => app.runtime.experiments;

  app.post(
    '/experiments',
    {
      schema: {
        tags,
        summary: 'Start an experiment',
        description:
          'A dataset (or split) × targets × evaluators, every cell an ordinary run. Checked whole first: 400/404 ' +
          'naming the field (unknown evaluator, invalid regex or schema, items that do not fit a target listed by ' +
          'item id, unknown dataset, flow or version), and nothing starts. Answers 202 `{experimentId, status}` at ' +
          'once; watch it over socket.io (`subscribe {experimentId}`) or read it with GET.',
        body: CreateExperimentBody,
        response: { 202: ExperimentAccepted, ...errorResponses },
      },
    },
    async (request, reply) => reply.status(202).send(await service().create(request.body)),
  );

  app.get(
    '/experiments',
    {
      schema: {
        tags,
        summary: 'Experiments, newest first, with their progress',
        response: { 200: ExperimentsResponse, ...errorResponses },
      },
    },
    async () => ({ experiments: await service().list() }),
  );

  app.get(
    '/experiments/:id',
    {
      schema: {
        tags,
        summary: 'One experiment, its progress and each target’s summary',
        params: ExperimentParams,
        response: { 200: ExperimentSchema, ...errorResponses },
      },
    },
    async (request) => service().get(request.params.id),
  );

  app.get(
    '/experiments/:id/results',
    {
      schema: {
        tags,
        summary: 'Result rows keyed by dataset item id',
        description: 'Each item with every target’s and repetition’s cell, in the dataset’s order; `cursor` pages.',
        params: ExperimentParams,
        querystring: ResultsQuery,
        response: { 200: ResultsResponse, ...errorResponses },
      },
    },
    async (request) => service().results(request.params.id, request.query),
  );

  app.get(
    '/experiments/:id/compare',
    {
      schema: {
        tags,
        summary: 'Compare two targets item by item',
        description:
          'Per-item deltas (candidate − baseline) sorted by the largest regression, their mean and a seeded paired ' +
          'bootstrap 95 % interval. The score is one evaluator’s (`evaluator`) or the mean of all.',
        params: ExperimentParams,
        querystring: CompareQuery,
        response: { 200: CompareResponse, ...errorResponses },
      },
    },
    async (request) => service().compare(request.params.id, request.query),
  );

  app.post(
    '/experiments/:id/cancel',
    {
      schema: {
        tags,
        summary: 'Cancel an experiment',
        description: 'Live runs are cancelled; finished cells stay. 409 EXPERIMENT_NOT_RUNNING when it has ended.',
        params: ExperimentParams,
        response: { 200: ExperimentSchema, ...errorResponses },
      },
    },
    async (request) => service().cancel(request.params.id),
  );
};
