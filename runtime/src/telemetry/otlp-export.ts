import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { type OtlpConfig, VERSION } from '../config.js';
import type { RunHandle } from '../engine/index.js';
import { spawnServiceWorker } from '../platform/worker-module.js';
import type { RunService, RunStartInfo } from '../runs/run-service.js';
import { type CompactRun, compactEvent, otelSpanId, traceIdOf } from './compact-run.js';

/** A running trace export: `close` ends what is open, sends what is queued (within a time cap) and stops. */
export interface TraceExport {
  close(): Promise<void>;
}

/** How often, at most, a failing export is logged (the collector being down must not flood the log). */
export const EXPORT_ERROR_LOG_INTERVAL_MS = 60_000;

/** How long closing waits for the worker to send what it has. */
const CLOSE_TIMEOUT_MS = 3_000;

/** How long the start waits for the worker to load the SDK (runs are queued for it meanwhile either way). */
const READY_TIMEOUT_MS = 10_000;

/**
 * Logs export failures at most once per interval: the first at once, later ones counted and reported with the next
 * line (and at debug level each). Runs never see them.
 */
export class ThrottledErrorLog {
  #lastAt = Number.NEGATIVE_INFINITY;
  #suppressed = 0;

  constructor(
    private readonly log: Pick<Logger, 'warn' | 'debug'>,
    private readonly intervalMs = EXPORT_ERROR_LOG_INTERVAL_MS,
    private readonly now = () => Date.now(),
  ) {}

  report(message: string, spans: number): void {
    const at = this.now();
    if (at - this.#lastAt < this.intervalMs) {
      this.#suppressed++;
      this.log.debug({ spans }, 'OpenTelemetry export failed again (reported at warn level once a minute)');
      return;
    }
    const suppressed = this.#suppressed;
    this.#lastAt = at;
    this.#suppressed = 0;
    this.log.warn(
      { err: message, spans, ...(suppressed > 0 && { failedExportsSinceLastLine: suppressed }) },
      `OpenTelemetry export failed (${message}); runs are unaffected, their spans are dropped (logged at most once a minute)`,
    );
  }
}

/**
 * Exports every run of `runs` as an OTLP trace (docs/contracts.md §8). The main thread only notes each run's place in
 * its trace as it starts and hands its compact events to a worker thread as it ends, a batch per tick; the worker
 * builds the spans and sends them with the OpenTelemetry SDK (`span-worker.ts`), which is loaded only then: a runtime
 * without an endpoint never loads it.
 */
export async function startTraceExport(runs: RunService, config: OtlpConfig, log: Logger): Promise<TraceExport> {
  const errors = new ThrottledErrorLog(log);
  const worker: Worker = spawnServiceWorker(import.meta.url, 'span-worker', {
    workerData: { config, version: VERSION },
  });
  let closed: (() => void) | undefined;
  let ready: (() => void) | undefined;
  worker.on('message', (message: { error?: string; spans?: number; closed?: boolean; ready?: boolean }) => {
    if (message.error !== undefined) errors.report(message.error, message.spans ?? 0);
    if (message.ready) ready?.();
    if (message.closed) closed?.();
  });
  worker.on('error', (err) => {
    log.error({ err }, 'the OpenTelemetry export worker failed; runs are not exported');
    ready?.();
    closed?.();
  });
  // Runs are not held open by the worker.
  worker.unref();

  /** Live runs: their trace id and, for nested runs, the span that started them. */
  const live = new Map<string, { traceId: string }>();
  let pending: CompactRun[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    // As JSON text: posting one string is a copy, while a structured clone of many small objects costs the main
    // thread several times more.
    worker.postMessage({ runs: JSON.stringify(pending) });
    pending = [];
  };

  const watch = (handle: RunHandle, info: RunStartInfo) => {
    const caller = info.parentRunId === undefined ? undefined : live.get(info.parentRunId);
    const traceId = caller?.traceId ?? traceIdOf(handle.runId);
    live.set(handle.runId, { traceId });
    let unsubscribe: (() => void) | undefined;
    unsubscribe = handle.trace.subscribe((event) => {
      // A paused run is exported once it ends: resumed, it starts again (`onRun`) on the same trace, whose replay
      // passes the earlier pauses (not the last event then).
      if (event.type === 'run.paused' && handle.trace.events.at(-1) === event) {
        unsubscribe?.();
        live.delete(handle.runId);
        return;
      }
      if (event.type !== 'run.completed' && event.type !== 'run.failed' && event.type !== 'run.cancelled') return;
      unsubscribe?.();
      live.delete(handle.runId);
      pending.push({
        runId: handle.runId,
        flowId: handle.flowId,
        flowVersion: info.flowVersion,
        ...(info.parentRunId !== undefined && { parentRunId: info.parentRunId }),
        traceId,
        ...(caller &&
          info.parentRunId !== undefined && {
            parent: otelSpanId(info.parentRunId, info.parentSpanId ?? ''),
          }),
        nodes: info.flow.nodes.map((node) => [node.id, node.type]),
        events: handle.trace.events.filter((e) => e.type !== 'node.delta').map(compactEvent),
      });
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
  };
  const unsubscribe = runs.onRun(watch);
  // The SDK loads in the worker meanwhile; a start that waits for it exports its first runs at once.
  let readyTimer: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve) => {
    ready = resolve;
    readyTimer = setTimeout(resolve, READY_TIMEOUT_MS);
  });
  clearTimeout(readyTimer);
  log.info({ url: config.url, protocol: config.protocol }, 'exporting runs as OpenTelemetry traces');
  return {
    async close() {
      unsubscribe();
      flush();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => {
          closed = resolve;
          worker.postMessage({ close: true });
        }),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
        }),
      ]);
      clearTimeout(timer);
      await worker.terminate();
    },
  };
}
