import Fastify, { type FastifyInstance } from 'fastify';
import { registerChat } from './chat.js';
import { createContext, sendFakeError } from './context.js';
import { registerEmbeddings } from './embeddings.js';
import { createFileStore } from './files.js';
import { createFineTuning } from './fine-tuning.js';
import { registerModels } from './models.js';
import type { ChatBody, FakeOpenAI, FakeOpenAIOptions, FakeReply, FineTuningSettings } from './types.js';

/** Starts the fake on 127.0.0.1 (port 0 by default) and resolves once it listens. */
export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: 64 * 1024 * 1024, forceCloseConnections: true });
  const ctx = createContext(options);
  const files = createFileStore(ctx);
  const fineTuning = createFineTuning(ctx, files);

  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/v1/') || options.apiKey === undefined) return;
    if (request.headers.authorization === `Bearer ${options.apiKey}`) return;
    sendFakeError(ctx, reply, { status: 401 });
    return reply;
  });

  // A base URL under `/_fake/moved` answers every request with a 307 to the same path without it (a provider that
  // moved): clients that follow redirects reach the real endpoint with the same method and body.
  app.all('/_fake/moved/*', async (request, reply) => reply.redirect(request.url.slice('/_fake/moved'.length), 307));

  registerModels(app, ctx, fineTuning);
  registerChat(app, ctx, fineTuning.isServed);
  registerEmbeddings(app, ctx);
  files.register(app);
  fineTuning.register(app);

  // Control endpoints for a fake running in another process (Playwright, benchmarks).
  app.get('/_fake/state', async () => ({
    requests: ctx.requests.length,
    ...ctx.counters,
    queued: ctx.queue.length,
  }));
  app.get('/_fake/requests', async () => ({ requests: ctx.requests }));
  app.post('/_fake/reset', async () => {
    fake.reset();
    return { ok: true };
  });
  app.post('/_fake/enqueue', async (request) => {
    const body = request.body as { replies?: FakeReply[] } | FakeReply;
    const replies = 'replies' in body && Array.isArray(body.replies) ? body.replies : [body as FakeReply];
    fake.enqueue(...replies);
    return { queued: ctx.queue.length };
  });
  app.post('/_fake/latency', async (request) => {
    const body = request.body as { ms: number; model?: string };
    fake.setLatency(Number(body.ms) || 0, body.model);
    return { ok: true };
  });
  app.post('/_fake/fine-tuning', async (request) => {
    fake.setFineTuning(request.body as Partial<FineTuningSettings>);
    return { ok: true };
  });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      error: {
        message: `Unknown request URL: ${request.method} ${request.url}`,
        type: 'invalid_request_error',
        param: null,
        code: 'unknown_url',
      },
    }),
  );
  app.setErrorHandler((err: { statusCode?: number; message: string }, _request, reply) =>
    reply.code(err.statusCode && err.statusCode < 500 ? err.statusCode : 500).send({
      error: { message: err.message, type: 'invalid_request_error', param: null, code: null },
    }),
  );

  app.server.on('connection', () => {
    ctx.counters.connections++;
  });
  await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const host = options.host ?? '127.0.0.1';

  const fake: FakeOpenAI = {
    url: `http://${host}:${port}/v1`,
    port,
    requests: ctx.requests,
    get aborted() {
      return ctx.counters.aborted;
    },
    get inFlight() {
      return ctx.counters.inFlight;
    },
    get maxInFlight() {
      return ctx.counters.maxInFlight;
    },
    get connections() {
      return ctx.counters.connections;
    },
    enqueue(...replies) {
      for (const reply of replies) ctx.queue.push({ reply, errorsLeft: reply.error ? (reply.error.times ?? 1) : 0 });
    },
    setLatency: ctx.setLatency,
    setFineTuning: fineTuning.setSettings,
    chatRequests() {
      return ctx.requests.filter((r) => r.path === '/v1/chat/completions').map((r) => r.body as ChatBody);
    },
    files: () => files.list().map((file) => file.object),
    fileText: (id) => files.get(id)?.content.toString('utf8'),
    fineTuningJobs: fineTuning.jobs,
    reset() {
      ctx.resetCounters();
      files.clear();
      fineTuning.clear();
    },
    async close() {
      for (const res of ctx.openResponses) res.destroy();
      await app.close();
    },
  };
  return fake;
}
