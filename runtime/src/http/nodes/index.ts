import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../errors.js';
import { NodesResponse } from './schemas.js';

/** `GET /api/nodes`: the node catalog the editor draws everything from. */
export const nodes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/nodes',
    { schema: { tags: ['nodes'], summary: 'The node catalog', response: { 200: NodesResponse, ...errorResponses } } },
    async () => ({ nodes: app.runtime.registry.catalog() as never }),
  );
};
