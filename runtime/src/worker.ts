import type { Config } from './config.js';
import { createRuntime, type Runtime } from './kernel.js';
import { exitOnSignals, SHUTDOWN_LIMIT_MS } from './shutdown.js';

/**
 * The worker shell (FLOWLOOM_ROLE=worker, `flowloom worker`): the kernel without HTTP, executing queued runs. SIGTERM
 * or SIGINT: it takes no new runs, lets its runs finish for FLOWLOOM_WORKER_GRACE_MS, hands the rest back to the
 * queue, closes and exits 0. A second signal exits at once.
 */
export async function startWorker(config: Config): Promise<Runtime> {
  const runtime = await createRuntime({ ...config, role: 'worker' });
  exitOnSignals(
    () => {
      runtime.log.info(`finishing or handing back ${runtime.queue?.worker?.activeRuns.length ?? 0} runs`);
      return runtime.close();
    },
    runtime.log,
    (config.queue?.graceMs ?? 0) + SHUTDOWN_LIMIT_MS,
  );
  runtime.log.info(
    `worker ready: ${config.queue?.concurrency ?? 0} runs at once, store ${runtime.store.location}, queue prefix ${config.queue?.prefix}`,
  );
  return runtime;
}
