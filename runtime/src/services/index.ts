import { AppError, type LlmService, NodeRegistry, type NodeServices } from '@flowloom/nodes';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import { RunService } from './run-service.js';
import { Store } from './store.js';

/** A component's state in `GET /api/health`. */
export interface ComponentHealth {
  status: 'ok' | 'disabled' | 'unavailable' | 'starting';
  [key: string]: unknown;
}

/** Slots other service plugins fill (e.g. the Chroma plugin sets `vectorStore`). */
export interface HealthHooks {
  vectorStore: () => ComponentHealth | Promise<ComponentHealth>;
}

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    store: Store;
    /** Node kinds (the catalog). */
    registry: NodeRegistry;
    llm: LlmService;
    /**
     * Services every run gets. Plugins registered after `services` add theirs here (e.g. `vectors`, `embeddings`);
     * `flows` is added per run by the run service.
     */
    nodeServices: NodeServices;
    runs: RunService;
    healthHooks: HealthHooks;
  }
}

/** Used until an OpenAI-compatible provider is configured: every model call says how to configure one. */
function notConfiguredLlm(): LlmService {
  return {
    async chat() {
      throw new AppError(
        'PROVIDER_NOT_CONFIGURED',
        'No model provider is configured: set OPENAI_API_KEY, or OPENAI_BASE_URL for any OpenAI-compatible server (e.g. a local model server).',
      );
    },
  };
}

async function createLlm(config: Config): Promise<LlmService> {
  if (config.llm) return config.llm;
  // openai.ts is written alongside; until it exists the runtime still starts and model calls fail clearly.
  const specifier = './openai.js';
  const module = (await import(specifier).catch(() => undefined)) as
    | { createLlmService?: (options: { apiKey?: string; baseURL?: string }) => LlmService }
    | undefined;
  return module?.createLlmService ? module.createLlmService(config.openai) : notConfiguredLlm();
}

/**
 * The runtime's shared decorators: config, store (SQLite), node registry, model service, node services and the run
 * service. Live runs are cancelled before the server closes, and the store is closed last.
 */
export const services = fp(
  async (app: FastifyInstance, config: Config) => {
    const store = Store.open(config.dataDir);
    const registry = new NodeRegistry();
    const llm = await createLlm(config);
    const nodeServices: NodeServices = { llm };
    app.decorate('config', config);
    app.decorate('store', store);
    app.decorate('registry', registry);
    app.decorate('llm', llm);
    app.decorate('nodeServices', nodeServices);
    app.decorate('runs', new RunService({ store, registry, services: nodeServices }));
    app.decorate('healthHooks', { vectorStore: () => ({ status: 'disabled' }) } satisfies HealthHooks);
    app.addHook('preClose', async () => {
      await app.runs.cancelAll();
    });
    app.addHook('onClose', async () => {
      store.close();
    });
  },
  { name: 'flowloom-services' },
);
