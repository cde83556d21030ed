import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { type HttpConfig, VERSION } from '../config.js';
import type { Runtime } from '../kernel.js';
import { traces } from '../live/traces.js';
import { adminAuthMode } from '../publishing/auth.js';
import { adminTokenHook } from './auth.js';
import { collections } from './collections/index.js';
import { datasets } from './datasets/index.js';
import { docs } from './docs/index.js';
import { sendError, sendNotFound } from './errors.js';
import { experiments } from './experiments/index.js';
import { fineTuning } from './finetune/index.js';
import { flows } from './flows/index.js';
import { health } from './health/index.js';
import { useJsonBodyParser } from './json-body.js';
import { keys } from './keys/index.js';
import { metrics } from './metrics/index.js';
import { nodes } from './nodes/index.js';
import { publish } from './publish/index.js';
import { runs } from './runs/index.js';
import { lazySerializers } from './serializers.js';
import { settings } from './settings/index.js';
import { v1 } from './v1/index.js';
import { widget } from './widget/index.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The kernel this app serves: routes read everything through it (`app.runtime.runs`, `app.runtime.store`...). */
    runtime: Runtime;
  }
}

/** The largest request body accepted (413 BODY_TOO_LARGE beyond). */
export const BODY_LIMIT = 1024 * 1024;

// biome-ignore lint/suspicious/noExplicitAny: plugins take their own option types
type Plugin = FastifyPluginAsync<any>;

/** HTTP features, one encapsulated plugin each, registered under `/api` with the HTTP config's `templatesDir`. */
export const FEATURE_PLUGINS: Plugin[] = [
  health,
  nodes,
  flows,
  runs,
  publish,
  keys,
  v1,
  settings,
  docs,
  collections,
  datasets,
  experiments,
  metrics,
  fineTuning,
];

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
 * Multipart bodies are not checked here (see below).
 */
const validatorCompiler: typeof TypeBoxValidatorCompiler = (route) => {
  // A multipart body streams to its handler, which checks the parts itself: its schema only documents the form.
  if (route.httpPart === 'body' && route.contentType === 'multipart/form-data') return (value: unknown) => ({ value });
  return route.httpPart !== 'body' && isAllStrings(route.schema)
    ? TypeBoxValidatorCompiler({ ...route, httpPart: 'body' })
    : TypeBoxValidatorCompiler(route);
};

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

/**
 * The HTTP shell over a runtime: socket.io traces, the `/api` features and the editor. Never listens. The app owns the
 * runtime from here on: closing the app closes it (live runs are cancelled first, so their streams end), and so does
 * a refused configuration (a non-loopback host without an admin token).
 */
export async function buildApp(runtime: Runtime, config: HttpConfig): Promise<App> {
  // The runtime's log, so the app and the kernel write one log; none at all (not even per-request children) without.
  const loggerInstance: FastifyBaseLogger | undefined = runtime.config.logger === false ? undefined : runtime.log;
  const app = Fastify({
    loggerInstance,
    bodyLimit: BODY_LIMIT,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true },
    schemaController: { compilersFactory: { buildSerializer: lazySerializers() } },
    // Errors Fastify meets before a route (a URL that is not valid percent-encoding, e.g. /api/flows/%E9) get the
    // same error shape as every other answer.
    frameworkErrors: (error, request, reply) => sendError(error, request, reply),
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.decorate('runtime', runtime);
  // Before the server stops: live runs end (cancelled, their final rows written), so their SSE streams close.
  app.addHook('preClose', async () => {
    // Experiments first: they are let go with their cells pending (a cancelled run would be an error cell).
    await runtime.experiments.close();
    await runtime.runs.cancelAll();
  });
  app.addHook('onClose', async () => {
    await runtime.close();
  });
  // TypeBox checks every part and converts only querystring, params and headers: bodies are never coerced.
  app.setValidatorCompiler(validatorCompiler);
  app.setErrorHandler(sendError);
  // Bodies are JSON (or multipart uploads, registered where they are taken): anything else is a 415, not a string
  // that then fails the schema as "body must be object".
  app.removeContentTypeParser('text/plain');
  useJsonBodyParser(app);

  try {
    // The editor API needs the admin token whenever one is set; a non-loopback host without one is refused here.
    if (adminAuthMode(config.host, config.adminToken) === 'token' && config.adminToken) {
      app.addHook('onRequest', adminTokenHook(config.adminToken));
    }
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
          { name: 'datasets' },
          { name: 'experiments' },
        ],
      },
    });
    await app.register(traces, { adminToken: config.adminToken });
    for (const feature of FEATURE_PLUGINS) {
      await app.register(feature, { prefix: '/api', templatesDir: config.templatesDir });
    }
    await app.register(widget);
  } catch (err) {
    // A refused configuration: close the runtime (the store and its writer thread, a Chroma server), so nothing is
    // left running or writing in the data folder.
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
