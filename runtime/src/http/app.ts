import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { type Config, VERSION } from '../config.js';
import { traces } from '../live/traces.js';
import { publishing } from '../publishing/published-runs.js';
import { vectorStore } from '../rag/vectors.js';
import { services } from '../services/index.js';
import { toolServices } from '../services/tool-services.js';
import { collections } from './collections/index.js';
import { docs } from './docs/index.js';
import { sendError, sendNotFound } from './errors.js';
import { flows } from './flows/index.js';
import { health } from './health/index.js';
import { keys } from './keys/index.js';
import { nodes } from './nodes/index.js';
import { publish } from './publish/index.js';
import { runs } from './runs/index.js';
import { settings } from './settings/index.js';
import { v1 } from './v1/index.js';
import { widget } from './widget/index.js';

/** The largest request body accepted (413 BODY_TOO_LARGE beyond). */
export const BODY_LIMIT = 1024 * 1024;

// biome-ignore lint/suspicious/noExplicitAny: plugins take their own option types
type Plugin = FastifyPluginAsync<any>;

/**
 * Shared service plugins, registered in order with the config as options (decorators via fastify-plugin). Add new
 * services (e.g. the Chroma vector store) here, after `services`, whose decorators they may use.
 */
export const SERVICE_PLUGINS: Plugin[] = [services, traces, publishing, vectorStore, toolServices];

/** HTTP features, one encapsulated plugin each, registered under `/api`. */
export const FEATURE_PLUGINS: Plugin[] = [health, nodes, flows, runs, publish, keys, v1, settings, docs, collections];

const FALLBACK_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Flowloom</title></head>
<body style="font:15px system-ui,sans-serif;margin:3rem;max-width:40rem">
<h1>Flowloom runtime</h1>
<p>The runtime is up, but the editor is not built. Run <code>npm run build</code> at the repository root, then reload.</p>
<p>API: <a href="/api/health">/api/health</a> · <a href="/api/nodes">/api/nodes</a> · <a href="/api/flows">/api/flows</a> ·
<a href="/api/docs/ui">/api/docs/ui</a></p>
</body></html>`;

export type App = FastifyInstance;

/**
 * TypeBox's validator, minus the conversion where there is nothing to convert: URL params and query strings arrive as
 * strings, and converting them (TypeBox's interpreted `Value.Convert`) costs more than the check itself. Parts whose
 * properties are all strings are only checked; others (e.g. a numeric `:version`) are converted, then checked.
 */
const validatorCompiler: typeof TypeBoxValidatorCompiler = (route) =>
  route.httpPart !== 'body' && isAllStrings(route.schema)
    ? TypeBoxValidatorCompiler({ ...route, httpPart: 'body' })
    : TypeBoxValidatorCompiler(route);

function isAllStrings(schema: unknown): boolean {
  const { properties, patternProperties, additionalProperties } = schema as {
    properties?: Record<string, { type?: unknown }>;
    patternProperties?: unknown;
    additionalProperties?: unknown;
  };
  // Extra keys described by a schema of their own might need converting: leave those to TypeBox.
  if (patternProperties !== undefined || typeof additionalProperties === 'object') return false;
  return properties !== undefined && Object.values(properties).every((property) => property.type === 'string');
}

/** Builds the runtime: services, socket.io, the `/api` features and the editor. Never listens. */
export async function buildApp(config: Config): Promise<App> {
  const app = Fastify({
    logger: config.logger,
    bodyLimit: BODY_LIMIT,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true },
  }).withTypeProvider<TypeBoxTypeProvider>();
  // TypeBox checks every part and converts only querystring, params and headers: bodies are never coerced.
  app.setValidatorCompiler(validatorCompiler);
  app.setErrorHandler(sendError);
  // Bodies are JSON (or multipart uploads, registered where they are taken): anything else is a 415, not a string
  // that then fails the schema as "body must be object".
  app.removeContentTypeParser('text/plain');

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Flowloom runtime API',
        version: VERSION,
        description: 'See docs/api.md. Errors: {error: {code, message, details?}}.',
      },
      tags: [
        { name: 'health' },
        { name: 'nodes' },
        { name: 'flows' },
        { name: 'runs' },
        { name: 'publish' },
        { name: 'keys' },
        { name: 'published' },
        { name: 'settings' },
      ],
    },
  });
  try {
    for (const plugin of SERVICE_PLUGINS) await app.register(plugin, config);
    for (const feature of FEATURE_PLUGINS) await app.register(feature, { prefix: '/api' });
    await app.register(widget);
  } catch (err) {
    // A refused configuration (e.g. no admin token on a public host): close what the plugins before it opened (the
    // store and its writer thread, a Chroma server), so nothing is left running or writing in the data folder.
    await app.close().catch(() => undefined);
    throw err;
  }

  const editorIndex = join(config.editorDir, 'index.html');
  const hasEditor = existsSync(editorIndex);
  if (hasEditor) {
    await app.register(fastifyStatic, { root: config.editorDir, prefix: '/', wildcard: false });
  } else {
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/html; charset=utf-8').send(FALLBACK_PAGE),
    );
  }
  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? '/';
    const isPage =
      (request.method === 'GET' || request.method === 'HEAD') &&
      !path.startsWith('/api') &&
      !path.startsWith('/socket.io');
    // SPA fallback: editor routes (e.g. /flows/support-rag) load index.html; files with an extension really 404.
    if (isPage && hasEditor && !/\.[a-z0-9]+$/i.test(path)) return reply.sendFile('index.html');
    if (isPage && !hasEditor) return reply.type('text/html; charset=utf-8').send(FALLBACK_PAGE);
    return sendNotFound(request, reply);
  });
  return app;
}
