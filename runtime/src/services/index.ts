import { type LlmService, NodeRegistry, type NodeServices } from '@flowloom/nodes';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import { createLlmService } from './openai.js';
import { RunService } from './run-service.js';
import { Store } from './store.js';

/** A component's state in `GET /api/health`. */
export interface ComponentHealth {
  status: 'ok' | 'disabled' | 'unavailable' | 'starting' | 'down' | 'idle';
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

function createLlm(config: Config): LlmService {
  return config.llm ?? createLlmService(config.openai);
}

/**
 * The runtime's shared decorators: config, store (SQLite), node registry, model service, node services and the run
 * service. Live runs are cancelled before the server closes, and the store is closed last.
 */
export const services = fp(
  async (app: FastifyInstance, config: Config) => {
    const registry = new NodeRegistry();
    const store = Store.open(config.dataDir, {
      registry,
      onError: (err) =>
        app.log.error({ err }, 'writing run rows and events failed; they stay queued for the next write'),
    });
    const llm = createLlm(config);
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
