import type { FastifyInstance } from 'fastify';

const MODELS = ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini', 'text-embedding-3-small', 'text-embedding-3-large'];

const baseModel = (id: string) => ({ id, object: 'model' as const, created: 1700000000, owned_by: 'flowloom-fake' });

/** Serves `/v1/models`. Listings are not recorded. */
export function registerModels(app: FastifyInstance) {
  app.get('/v1/models', async () => ({ object: 'list', data: MODELS.map(baseModel) }));

  app.get<{ Params: { id: string } }>('/v1/models/:id', async (request) => baseModel(request.params.id));
}
