import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { VERSION } from '../../config.js';
import type { ComponentHealth } from '../../services/index.js';
import { errorResponses } from '../errors.js';
import { HealthResponse } from './schemas.js';

/** `GET /api/health`: the runtime's version and the state of its storage and vector store. */
export const health: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/health',
    { schema: { tags: ['health'], summary: 'Runtime health', response: { 200: HealthResponse, ...errorResponses } } },
    async () => {
      let storage: ComponentHealth;
      try {
        if (!app.store.isHealthy()) throw new Error('the store does not answer');
        storage = { status: 'ok', kind: 'sqlite' };
      } catch {
        storage = { status: 'unavailable', kind: 'sqlite' };
      }
      let vectorStore: ComponentHealth;
      try {
        vectorStore = await app.healthHooks.vectorStore();
      } catch {
        vectorStore = { status: 'unavailable' };
      }
      const isOk = storage.status === 'ok' && vectorStore.status !== 'unavailable' && vectorStore.status !== 'down';
      return { status: isOk ? 'ok' : 'degraded', version: VERSION, storage, vectorStore } as const;
    },
  );
};
