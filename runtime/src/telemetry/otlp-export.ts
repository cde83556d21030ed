import type { Logger } from 'pino';
import type { OtlpConfig } from '../config.js';
import type { RunService } from '../runs/run-service.js';

/** A running trace export: `close` ends what is open, sends what is queued (within a time cap) and stops. */
export interface TraceExport {
  close(): Promise<void>;
}

/** How often, at most, a failing export is logged (the collector being down must not flood the log). */
export const EXPORT_ERROR_LOG_INTERVAL_MS = 60_000;

/**
 * Logs export failures at most once per interval: the first at once, later ones counted and reported with the next
 * line. Runs never see them.
 */
export class ThrottledErrorLog {
  #lastAt = Number.NEGATIVE_INFINITY;
  #suppressed = 0;

  constructor(
    private readonly log: Pick<Logger, 'warn' | 'debug'>,
    private readonly intervalMs = EXPORT_ERROR_LOG_INTERVAL_MS,
    private readonly now = () => Date.now(),
  ) {}

  report(err: unknown, spans: number): void {
    const at = this.now();
    if (at - this.#lastAt < this.intervalMs) {
      this.#suppressed++;
      this.log.debug({ spans }, 'OpenTelemetry export failed again (reported at warn level once a minute)');
      return;
    }
    const suppressed = this.#suppressed;
    this.#lastAt = at;
    this.#suppressed = 0;
    const message = err instanceof Error ? err.message || err.name : String(err);
    this.log.warn(
      { err: message, spans, ...(suppressed > 0 && { failedExportsSinceLastLine: suppressed }) },
      `OpenTelemetry export failed (${message}); runs are unaffected, their spans are dropped (logged at most once a minute)`,
    );
  }
}

/**
 * Starts exporting every run of `runs` as an OTLP trace. The OpenTelemetry SDK is imported here, on first use, so a
 * runtime without an endpoint never loads it (zero cost when off).
 */
export async function startTraceExport(runs: RunService, config: OtlpConfig, log: Logger): Promise<TraceExport> {
  const { RunSpanExporter } = await import('./run-spans.js');
  const exporter = new RunSpanExporter(config, new ThrottledErrorLog(log));
  const unsubscribe = runs.onRun((handle, info) => exporter.watch(handle, info));
  log.info({ url: config.url, protocol: config.protocol }, 'exporting runs as OpenTelemetry traces');
  return {
    async close() {
      unsubscribe();
      await exporter.close();
    },
  };
}
