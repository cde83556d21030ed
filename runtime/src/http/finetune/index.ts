import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { exportFineTuning } from '../../finetune/export.js';
import { errorResponses } from '../errors.js';
import {
  ExportQuerySchema,
  FineTuneJobSchema,
  JobParams,
  JobsResponse,
  ModelsResponse,
  StartFineTuneBody,
} from './schemas.js';

const tags = ['fine-tuning'];

/** Fine-tuning data and jobs (docs/contracts.md §7): JSONL export of runs, jobs at the provider, their models. */
export const fineTuning: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/runs/export',
    {
      schema: {
        tags,
        summary: 'Runs as OpenAI fine-tuning JSONL',
        description:
          'Completed runs (of `flowId`, started in `[since, until)`, with a mean feedback score of at least ' +
          '`minScore`) as OpenAI fine-tuning JSONL: `openai-sft` one supervised example per `llm`/`function-call` ' +
          'node execution (or `nodeId`), the exact messages and tools it sent and received, `weight` 1 on what it ' +
          'produced; `openai-dpo` preference pairs: of the same node and input rated up and down, a correction ' +
          '(feedback on the run or the node) against the answer it corrects, or with `experimentId` the ' +
          "best-scoring target's model call against the worst's on each dataset item. Every line is " +
          'checked against the format first. Counts in headers: `x-flowloom-examples`, `x-flowloom-tokens` ' +
          '(js-tiktoken), `x-flowloom-max-example-tokens`, `x-flowloom-runs`. Nothing matching: an empty file.',
        querystring: ExportQuerySchema,
        response: {
          200: Type.String({ description: 'application/jsonl: one training example a line' }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const result = await exportFineTuning(app.runtime.store, request.query);
      return reply
        .type('application/jsonl; charset=utf-8')
        .header('content-disposition', `attachment; filename="flowloom-${request.query.format}.jsonl"`)
        .header('x-flowloom-examples', String(result.examples))
        .header('x-flowloom-tokens', String(result.tokens))
        .header('x-flowloom-max-example-tokens', String(result.maxExampleTokens))
        .header('x-flowloom-runs', String(result.runs))
        .send(result.jsonl);
    },
  );

  app.post(
    '/fine-tunes',
    {
      schema: {
        tags,
        summary: 'Start a fine-tuning job',
        description:
          'Exports the runs the filters match (as `GET /api/runs/export`, `format` default `openai-sft`), uploads ' +
          'the file (`files.create`) and starts the job (`fineTuning.jobs.create`, method supervised or dpo) at the ' +
          'configured provider → 201 with the job. 400 when nothing matches; 502 when the provider fails.',
        body: StartFineTuneBody,
        response: { 201: FineTuneJobSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const job = await app.runtime.fineTunes.start({ format: 'openai-sft', ...request.body });
      return reply.status(201).send(job);
    },
  );

  app.get(
    '/fine-tunes',
    {
      schema: {
        tags,
        summary: 'Fine-tuning jobs, newest first',
        description: 'Unfinished jobs are asked for their status at the provider first.',
        response: { 200: JobsResponse, ...errorResponses },
      },
    },
    async () => ({ jobs: await app.runtime.fineTunes.list() }),
  );

  app.get(
    '/fine-tunes/:id',
    {
      schema: {
        tags,
        summary: 'One fine-tuning job, its status from the provider',
        params: JobParams,
        response: { 200: FineTuneJobSchema, ...errorResponses },
      },
    },
    async (request) => app.runtime.fineTunes.get(request.params.id),
  );

  app.get(
    '/models',
    {
      schema: {
        tags,
        summary: 'Models fine-tuning produced, for the llm node',
        description: 'The fine-tuned models of succeeded jobs; the editor adds them to the model list of `llm` nodes.',
        response: { 200: ModelsResponse, ...errorResponses },
      },
    },
    async () => {
      const jobs = await app.runtime.fineTunes.list();
      return {
        models: jobs
          .filter((job) => job.status === 'succeeded' && job.fineTunedModel)
          .map((job) => ({ id: job.fineTunedModel as string, baseModel: job.baseModel, jobId: job.id })),
      };
    },
  );
};
