import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import { createMemoryService } from '../memory/memory.js';
import { createHttpClient } from '../net/http-client.js';
import { createSandbox } from '../sandbox/sandbox.js';

/**
 * The node services of issue #3 (tools, control flow, data): the QuickJS sandbox (code, tool-code, regex
 * conditions), outgoing HTTP with the SSRF guard (http, tool-http) and chat memory in the store's SQLite database
 * (memory). Registered after `services`, whose `nodeServices` object every run reads.
 */
export const toolServices = fp(
  async (app: FastifyInstance, config: Config) => {
    const sandbox = createSandbox(config.sandbox);
    app.nodeServices.sandbox = sandbox;
    app.addHook('onClose', () => sandbox.close());
    app.nodeServices.http = createHttpClient(config.http);
    app.nodeServices.memory = createMemoryService(app.store.memory);
  },
  { name: 'flowloom-tool-services', dependencies: ['flowloom-services'] },
);
