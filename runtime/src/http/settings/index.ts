import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '@flowloom/nodes';
import { Type } from 'typebox';
import { errorResponses } from '../errors.js';
import {
  CreateProviderBody,
  ModelsProviderParams,
  ModelsResponse,
  NamedProvider,
  ProviderBody,
  ProviderParams,
  ProviderResponse,
  ProvidersResponse,
  UpdateProviderBody,
} from './schemas.js';

const tags = ['settings'];

/** Provider credentials set from the editor: the key is encrypted at rest and only ever answered masked. */
export const settings: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/settings/provider',
    {
      schema: {
        tags,
        summary: 'The model provider settings (key masked)',
        response: { 200: ProviderResponse, ...errorResponses },
      },
    },
    async () => app.runtime.providerSettings.view(),
  );

  app.put(
    '/settings/provider',
    {
      schema: {
        tags,
        summary: 'Set the model provider (used when OPENAI_API_KEY / OPENAI_BASE_URL are not set)',
        body: ProviderBody,
        response: { 200: ProviderResponse, ...errorResponses },
      },
    },
    async (request) => app.runtime.providerSettings.update(request.body),
  );

  app.get(
    '/settings/providers',
    {
      schema: {
        tags,
        summary: 'The model providers (keys masked) and which one answers nodes that name none',
        response: { 200: ProvidersResponse, ...errorResponses },
      },
    },
    async () => {
      const { providers, providerSettings } = app.runtime;
      const list = await providers.list();
      const legacy = await providerSettings.view();
      const isLegacy = legacy.source === 'settings' || legacy.source === 'env';
      const source: 'env' | 'settings' | 'providers' | 'none' = isLegacy
        ? legacy.source
        : list.length > 0
          ? 'providers'
          : 'none';
      const baseURL = legacy.source === 'env' ? (app.runtime.config.openai.baseURL ?? null) : legacy.baseURL;
      return {
        providers: list,
        default: {
          source,
          provider: source === 'providers' ? (list[0]?.id ?? null) : null,
          baseURL: isLegacy ? baseURL : null,
        },
      };
    },
  );

  app.post(
    '/settings/providers',
    {
      schema: {
        tags,
        summary: 'Add a model provider: OpenAI (no base URL) or an OpenAI-compatible server',
        description: 'The key is stored encrypted (AES-256-GCM) and never answered back. 409 when the id is taken.',
        body: CreateProviderBody,
        response: { 201: NamedProvider, ...errorResponses },
      },
    },
    async (request, reply) => reply.status(201).send(await app.runtime.providers.create(request.body)),
  );

  app.patch(
    '/settings/providers/:id',
    {
      schema: {
        tags,
        summary: 'Change a model provider (absent keeps a field, null clears it)',
        params: ProviderParams,
        body: UpdateProviderBody,
        response: { 200: NamedProvider, ...errorResponses },
      },
    },
    async (request) => app.runtime.providers.update(request.params.id, request.body),
  );

  app.delete(
    '/settings/providers/:id',
    {
      schema: {
        tags,
        summary: 'Remove a model provider',
        description: 'Nodes that name it then fail with PROVIDER_NOT_FOUND until they name another.',
        params: ProviderParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await app.runtime.providers.delete(request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/settings/providers/:id/models',
    {
      schema: {
        tags,
        summary: 'The models a provider lists',
        description:
          'Asks the provider (`GET <baseURL>/models`) with its key. `default`: the provider of nodes that name none. ' +
          'A provider that cannot be reached or refuses is a 502.',
        params: ModelsProviderParams,
        response: { 200: ModelsResponse, ...errorResponses },
      },
    },
    async (request) => {
      const signal = AbortSignal.timeout(15_000);
      const { id } = request.params;
      if (id === 'default') return { models: await app.runtime.defaultModels(signal) };
      const service = await app.runtime.providerServices.service(id);
      if (!service.isConfigured)
        throw new AppError('PROVIDER_NOT_CONFIGURED', `provider "${id}" has neither a base URL nor a key`);
      return { models: await service.models({ signal }) };
    },
  );
};
