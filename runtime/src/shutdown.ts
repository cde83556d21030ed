import type { Logger } from 'pino';

/** How long a shutdown may take beyond what it waits for on purpose (a worker's grace period) before the exit. */
export const SHUTDOWN_LIMIT_MS = 15_000;

/**
 * SIGTERM / SIGINT close the process with `close` and exit 0 (1 if closing failed). A second signal exits at once, and
 * so does a close that takes longer than `limitMs`: a process asked to stop must stop (an orchestrator or a test waits
 * for it), so it says what was still open and exits 1 rather than hang.
 */
export function exitOnSignals(close: () => Promise<unknown>, log: Logger, limitMs = SHUTDOWN_LIMIT_MS): void {
  let isClosing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (isClosing) process.exit(1);
    isClosing = true;
    log.info(`${signal}: shutting down`);
    const limit = setTimeout(() => {
      log.error(
        { open: process.getActiveResourcesInfo() },
        `shutdown took longer than ${limitMs} ms: exiting with what is still open`,
      );
      process.exit(1);
    }, limitMs);
    limit.unref();
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}
