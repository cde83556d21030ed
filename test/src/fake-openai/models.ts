import type { FastifyInstance } from 'fastify';
import { type FakeContext, sendOpenAIError } from './context.js';
import type { FineTuning } from './fine-tuning.js';

const MODELS = ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini', 'text-embedding-3-small', 'text-embedding-3-large'];

const baseModel = (id: string) => ({ id, object: 'model' as const, created: 1700000000, owned_by: 'flowloom-fake' });

/** Serves `/v1/models`: the base models, and the fine-tuned models that exist now. Listings are not recorded. */
export function registerModels(app: FastifyInstance, ctx: FakeContext, fineTuning: FineTuning) {
  const notFound = (id: string) => `The model '${id}' does not exist`;

  app.get('/v1/models', async () => ({
    object: 'list',
    data: [...MODELS.map(baseModel), ...fineTuning.models()],
  }));

  app.get<{ Params: { id: string } }>('/v1/models/:id', async (request, reply) => {
    const id = request.params.id;
    if (!id.startsWith('ft:')) return baseModel(id);
    return (
      fineTuning.models().find((model) => model.id === id) ??
      sendOpenAIError(reply, 404, notFound(id), { param: 'model', code: 'model_not_found' })
    );
  });

  app.delete<{ Params: { id: string } }>('/v1/models/:id', async (request, reply) => {
    ctx.track(request, reply);
    const id = request.params.id;
    if (fineTuning.deleteModel(id)) return { id, object: 'model', deleted: true };
    if (id.startsWith('ft:'))
      return sendOpenAIError(reply, 404, notFound(id), { param: 'model', code: 'model_not_found' });
    return sendOpenAIError(reply, 403, 'You do not have permission to delete this model.', { param: 'model' });
  });
}
