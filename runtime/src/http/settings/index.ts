import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../errors.js';
import { ProviderBody, ProviderResponse } from './schemas.js';

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
};
