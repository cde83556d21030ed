import type { Config } from './config.js';
import { createRuntime, type Runtime } from './kernel.js';

/**
 * The worker shell (FLOWLOOM_ROLE=worker, `flowloom worker`): the kernel without HTTP, executing queued runs. SIGTERM
 * or SIGINT: it takes no new runs, lets its runs finish for FLOWLOOM_WORKER_GRACE_MS, hands the rest back to the
 * queue, closes and exits 0. A second signal exits at once.
 */
export async function startWorker(config: Config): Promise<Runtime> {
  const runtime = await createRuntime({ ...config, role: 'worker' });
  let isClosing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (isClosing) process.exit(1);
    isClosing = true;
    runtime.log.info(`${signal}: finishing or handing back ${runtime.queue?.worker?.activeRuns.length ?? 0} runs`);
    runtime.close().then(
      () => process.exit(0),
      (err: unknown) => {
        runtime.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  runtime.log.info(
    `worker ready: ${config.queue?.concurrency ?? 0} runs at once, store ${runtime.store.location}, queue prefix ${config.queue?.prefix}`,
  );
  return runtime;
}
