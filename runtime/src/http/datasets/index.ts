import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { errorResponses } from '../errors.js';
import {
  AddItemsBody,
  AddItemsResponse,
  CreateDatasetBody,
  DatasetParams,
  DatasetSchema,
  DatasetsResponse,
  ExportQuery,
  FromRunsBody,
  ImportBody,
  ImportResponse,
  ItemParams,
  ItemResponse,
  ItemsQuery,
  ItemsResponse,
  UpdateDatasetBody,
  UpdateItemBody,
} from './schemas.js';

const tags = ['datasets'];
/** Imports carry whole files: up to 20 MiB (413 BODY_TOO_LARGE beyond), like uploads. */
const IMPORT_BODY_LIMIT = 20 * 1024 * 1024;

/** Datasets and their items (docs/contracts.md §7). */
export const datasets: FastifyPluginAsyncTypebox = async (app) => {
  const service = () => app.runtime.datasets;

  app.get(
    '/datasets',
    { schema: { tags, summary: 'Datasets, newest first', response: { 200: DatasetsResponse, ...errorResponses } } },
    async () => ({ datasets: await service().list() }),
  );

  app.post(
    '/datasets',
    {
      schema: {
        tags,
        summary: 'Create a dataset',
        description: 'Answers 201 with the dataset; 409 CONFLICT when `id` is taken. Without `id`, one is made up.',
        body: CreateDatasetBody,
        response: { 201: DatasetSchema, ...errorResponses },
      },
    },
    async (request, reply) => reply.status(201).send(await service().create(request.body)),
  );

  app.get(
    '/datasets/:id',
    {
      schema: {
        tags,
        summary: 'One dataset',
        params: DatasetParams,
        response: { 200: DatasetSchema, ...errorResponses },
      },
    },
    async (request) => service().get(request.params.id),
  );

  app.patch(
    '/datasets/:id',
    {
      schema: {
        tags,
        summary: 'Rename or describe a dataset',
        description: 'Bumps its revision. `description: null` clears it.',
        params: DatasetParams,
        body: UpdateDatasetBody,
        response: { 200: DatasetSchema, ...errorResponses },
      },
    },
    async (request) => service().update(request.params.id, request.body),
  );

  app.delete(
    '/datasets/:id',
    {
      schema: {
        tags,
        summary: 'Delete a dataset and its items',
        description: 'Answers 204. Experiments that ran on it keep their copies of its items.',
        params: DatasetParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await service().remove(request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/datasets/:id/items',
    {
      schema: {
        tags,
        summary: 'Items of a dataset, in the order they were added',
        params: DatasetParams,
        querystring: ItemsQuery,
        response: { 200: ItemsResponse, ...errorResponses },
      },
    },
    async (request) => service().listItems(request.params.id, request.query),
  );

  app.post(
    '/datasets/:id/items',
    {
      schema: {
        tags,
        summary: 'Add items',
        description:
          'All or none, in one revision: 201 `{dataset, items}`. 409 CONFLICT listing the ids the dataset has already.',
        params: DatasetParams,
        body: AddItemsBody,
        response: { 201: AddItemsResponse, ...errorResponses },
      },
    },
    async (request, reply) => reply.status(201).send(await service().addItems(request.params.id, request.body.items)),
  );

  app.post(
    '/datasets/:id/items/from-runs',
    {
      schema: {
        tags,
        summary: 'Add items from runs',
        description:
          "Each run's inputs (or, with `nodeId`, that node's span's inputs) with its outputs or the newest correction " +
          'given on it as `expected`: 201 `{dataset, items}`. All or none: 404 for an unknown run, 400 naming ' +
          '`body.runIds.N` for a run without what is asked.',
        params: DatasetParams,
        body: FromRunsBody,
        response: { 201: AddItemsResponse, ...errorResponses },
      },
    },
    async (request, reply) => reply.status(201).send(await service().addFromRuns(request.params.id, request.body)),
  );

  app.patch(
    '/datasets/:id/items/:itemId',
    {
      schema: {
        tags,
        summary: 'Edit an item',
        description: 'Fields left out stay; `null` clears `expected`, `metadata` or `split`. Bumps the revision.',
        params: ItemParams,
        body: UpdateItemBody,
        response: { 200: ItemResponse, ...errorResponses },
      },
    },
    async (request) => ({ item: await service().updateItem(request.params.id, request.params.itemId, request.body) }),
  );

  app.delete(
    '/datasets/:id/items/:itemId',
    {
      schema: {
        tags,
        summary: 'Delete an item',
        description: 'Answers 204; bumps the revision.',
        params: ItemParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await service().removeItem(request.params.id, request.params.itemId);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/datasets/:id/import',
    {
      bodyLimit: IMPORT_BODY_LIMIT,
      schema: {
        tags,
        summary: 'Import items from a CSV or JSONL file',
        description:
          'Body `{format, content, mapping?, split?}`. All or nothing: 201 `{dataset, added}`, or a 400 whose ' +
          '`details` name each bad line and column (`{line, column, message}`), and nothing is added.',
        params: DatasetParams,
        body: ImportBody,
        response: { 201: ImportResponse, ...errorResponses },
      },
    },
    async (request, reply) => reply.status(201).send(await service().importFile(request.params.id, request.body)),
  );

  app.get(
    '/datasets/:id/export',
    {
      schema: {
        tags,
        summary: 'A dataset as a JSONL or CSV file, or as OpenAI fine-tuning JSONL',
        description:
          '`jsonl` and `csv` hold the items and import back. `openai-sft`: one `{messages}` example per item with an ' +
          'expected output (the input as the user turn(s): a `messages` input as it is, else the only input when it ' +
          'is text, else the JSON of the inputs; the expected output as the assistant turn), each line checked ' +
          'against the format; counts in headers `x-flowloom-examples`, `x-flowloom-tokens` (the tokenizer of ' +
          '`model`, default gpt-4o-mini), `x-flowloom-max-example-tokens`, `x-flowloom-skipped` (items without an ' +
          'expected output). An item whose messages do not fit is a 400 naming `items.<itemId>.input.messages`. ' +
          '`openai-dpo`: `{input, preferred_output, non_preferred_output}` pairs from items made from runs ' +
          '(`sourceRunId`, `sourceNodeId`) whose expected output differs from what the run or node answered: the ' +
          'messages and tools that model call sent, `expected` preferred to the answer; the same headers, ' +
          '`x-flowloom-skipped` counting the items that make no pair (tokens by `model`, else each call’s model).',
        params: DatasetParams,
        querystring: ExportQuery,
        response: { 200: Type.String({ description: 'The file' }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { format = 'jsonl', split, model } = request.query;
      const file = await service().export(request.params.id, format, split, model);
      reply.type(file.contentType).header('content-disposition', `attachment; filename="${file.filename}"`);
      for (const [name, value] of Object.entries(file.headers ?? {})) reply.header(name, value);
      return reply.send(file.body);
    },
  );
};
