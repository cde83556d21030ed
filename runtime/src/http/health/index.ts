import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../errors.js';
import { HealthResponse } from './schemas.js';

/** `GET /api/health`: the runtime's version and the state of its storage and vector store. */
export const health: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/health',
    { schema: { tags: ['health'], summary: 'Runtime health', response: { 200: HealthResponse, ...errorResponses } } },
    async () => app.runtime.health(),
  );
};
