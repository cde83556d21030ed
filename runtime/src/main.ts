import { type Config, configFromEnv } from './config.js';
import { isEntryPoint } from './entry-point.js';
import { type App, buildApp } from './http/app.js';
import { createRuntime } from './kernel.js';
import { exitOnSignals } from './shutdown.js';
import { startWorker } from './worker.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * Builds the runtime, then the app over it, listens, and shuts down gracefully on SIGTERM/SIGINT: live runs are
 * cancelled (and recorded as cancelled), sockets closed, the store flushed and closed. A second signal exits at once,
 * and so does a shutdown that takes longer than 15 s (`exitOnSignals`).
 */
export async function startServer(config: Config): Promise<App> {
  const app = await buildApp(await createRuntime(config), config);
  if (!LOOPBACK.has(config.host) && !config.adminToken) {
    app.log.warn(
      `listening on ${config.host} without FLOWLOOM_ADMIN_TOKEN: anyone who can reach it can edit and run flows`,
    );
  }
  await app.listen({ port: config.port, host: config.host });
  // Experiments a process left unfinished (a crash, a restart) go on with their pending cells.
  const resumed = await app.runtime.experiments.resume();
  if (resumed.length > 0) app.log.info(`resumed experiments ${resumed.join(', ')}`);
  exitOnSignals(() => app.close(), app.runtime.log);
  return app;
}

if (isEntryPoint(import.meta.url)) {
  try {
    const config = configFromEnv(process.env);
    // FLOWLOOM_ROLE=worker: no HTTP, only queued runs (the same as `flowloom worker`).
    if (config.role === 'worker') await startWorker(config);
    else await startServer(config);
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
