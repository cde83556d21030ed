import { setMaxListeners } from 'node:events';
import { AppError, type ErrorBody, type FlowFile, toErrorBody, type Values } from '@flowloom/nodes';
import { type EvalServices, type Evaluator, evaluate } from '../evals/index.js';
import type { FrozenBundle } from '../publishing/frozen-bundle.js';
import type { PublishedService } from '../publishing/versions.js';
import type { RunService } from '../runs/run-service.js';
import type { ExperimentCell, ExperimentItem, ExperimentStatus, Store } from '../store/types.js';
import type { Progress, Target } from './types.js';

/** Finished cells wait at most this long to be written (one transaction for all of them). */
const WRITE_DELAY_MS = 50;
/** ... or are written at once when this many wait. */
const WRITE_AT = 200;
/** Progress reaches watchers at most this often (and always at the end). */
export const PROGRESS_INTERVAL_MS = 100;

/** A target ready to run: the flow and how its runs are made, or why it cannot run. */
type ResolvedTarget =
  | { flow: FlowFile; flowVersion: number | null; bundle?: FrozenBundle; timeoutMs?: number }
  | { error: ErrorBody };

/** What a runner needs from the runtime. */
export interface RunnerContext {
  store: Store;
  runs: RunService;
  published: PublishedService;
  evalServices: EvalServices;
  onProgress(experimentId: string, progress: Progress): void;
  onError(err: unknown): void;
}

/** The value a cell keeps of a run's outputs: the only one as it is, several as the object. */
function outputOf(outputs: Values | undefined): unknown {
  const names = Object.keys(outputs ?? {});
  return names.length === 1 ? outputs?.[names[0] as string] : (outputs ?? {});
}

/**
 * Runs the pending cells of one experiment, `concurrency` at a time, in item order (so targets progress together):
 * each cell an ordinary run of its target, scored by the evaluators. A run that fails, or an evaluator that cannot
 * score (a judge whose model fails), makes the cell an error and the experiment goes on. Finished cells are written
 * in small batches; a cell cut short by a stop stays pending (a restart runs it again, never a finished one).
 */
export class ExperimentRunner {
  readonly id: string;
  readonly #context: RunnerContext;
  readonly #targets: readonly Target[];
  readonly #evaluators: readonly Evaluator[];
  readonly #concurrency: number;
  readonly #controller = new AbortController();
  #stopReason: 'cancel' | 'shutdown' | undefined;
  readonly #progress: Progress;
  #writes: ExperimentCell[] = [];
  #writeTimer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();
  #lastProgressAt = 0;
  #progressTimer: NodeJS.Timeout | undefined;
  /** Settles with the status the experiment ended with (`running` when it was stopped for a shutdown). */
  done: Promise<ExperimentStatus> = Promise.resolve('running');

  constructor(
    context: RunnerContext,
    experiment: { id: string; targets: readonly Target[]; evaluators: readonly Evaluator[]; concurrency: number },
    progress: Progress,
  ) {
    this.#context = context;
    this.id = experiment.id;
    this.#targets = experiment.targets;
    this.#evaluators = experiment.evaluators;
    this.#concurrency = experiment.concurrency;
    this.#progress = { ...progress };
    // Every live run of the experiment listens to its signal: up to `concurrency` runs, and their judges.
    setMaxListeners(Math.max(10, experiment.concurrency * 4), this.#controller.signal);
  }

  get progress(): Progress {
    return { ...this.#progress };
  }

  /** Runs the given items' pending cells; `done` settles when they are all finished or the runner is stopped. */
  start(items: ReadonlyMap<number, ExperimentItem>, pending: readonly ExperimentCell[]): void {
    this.done = this.#run(items, pending);
  }

  /** Stops: live runs are cancelled, their cells stay pending. `cancel` ends the experiment; `shutdown` leaves it. */
  stop(reason: 'cancel' | 'shutdown'): void {
    this.#stopReason ??= reason;
    this.#controller.abort(new AppError('RUN_CANCELLED', `the experiment was stopped (${reason})`));
  }

  async #run(
    items: ReadonlyMap<number, ExperimentItem>,
    pending: readonly ExperimentCell[],
  ): Promise<ExperimentStatus> {
    const targets = await Promise.all(this.#targets.map((target) => this.#resolve(target)));
    const queue = [...pending];
    const signal = this.#controller.signal;
    const worker = async () => {
      for (let cell = queue.shift(); cell && !signal.aborted; cell = queue.shift()) {
        const item = items.get(cell.seq) as ExperimentItem;
        let finished: ExperimentCell | undefined;
        try {
          finished = await this.#runCell(cell, item, targets[cell.target] as ResolvedTarget, signal);
        } catch (err) {
          if (signal.aborted) return;
          finished = { ...cell, status: 'error', error: toErrorBody(err), isPassed: false, endedAt: now() };
        }
        if (finished) this.#record(finished);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(this.#concurrency, queue.length)) }, worker));
    await this.#flushWrites();
    this.#emitProgress(true);
    if (this.#writes.length > 0) {
      clearTimeout(this.#writeTimer);
      throw new AppError('STORE_UNAVAILABLE', `${this.#writes.length} finished cells could not be written`);
    }
    if (this.#stopReason === 'shutdown') return 'running';
    return this.#stopReason === 'cancel' ? 'cancelled' : 'completed';
  }

  async #resolve(target: Target): Promise<ResolvedTarget> {
    try {
      if (target.version === 'draft') {
        const saved = await this.#context.store.getFlowVersion(target.flowId, target.flowVersion ?? 0);
        if (!saved) {
          throw new AppError(
            'FLOW_NOT_FOUND',
            `flow "${target.flowId}" has no saved version ${target.flowVersion} any more (deleted?)`,
          );
        }
        return { flow: saved.flow, flowVersion: target.flowVersion };
      }
      const versions = this.#context.published;
      const published = await versions.get(target.flowId, target.version);
      return {
        flow: versions.applyOverrides(published, undefined),
        flowVersion: published.flowVersion,
        bundle: published.frozen,
        timeoutMs: Math.min(published.settings.timeoutMs, versions.runTimeoutCeilingMs),
      };
    } catch (err) {
      return { error: toErrorBody(err) };
    }
  }

  /** One cell: its run and the evaluators' verdicts; undefined when a stop cut it short (it stays pending). */
  async #runCell(
    cell: ExperimentCell,
    item: ExperimentItem,
    target: ResolvedTarget,
    signal: AbortSignal,
  ): Promise<ExperimentCell | undefined> {
    const base: ExperimentCell = { seq: cell.seq, target: cell.target, repetition: cell.repetition, status: 'error' };
    if ('error' in target) return { ...base, error: target.error, isPassed: false, endedAt: now() };
    const { done } = this.#context.runs.start(
      target.flow,
      {
        inputs: item.input,
        signal,
        ...(target.bundle && { bundle: target.bundle }),
        ...(target.timeoutMs !== undefined && { timeoutMs: target.timeoutMs }),
      },
      target.flowVersion,
    );
    const run = await done;
    if (signal.aborted) return undefined;
    const tokens = run.usage ? Math.round(run.usage.promptTokens + run.usage.completionTokens) : undefined;
    const measured: ExperimentCell = {
      ...base,
      runId: run.runId,
      ...(run.durationMs !== undefined && { durationMs: run.durationMs }),
      ...(tokens !== undefined && { tokens }),
      ...(run.costUsd !== undefined && { costUsd: run.costUsd }),
    };
    if (run.status !== 'completed') {
      const error = run.error ?? { code: 'RUN_CANCELLED' as const, message: `the run was ${run.status}` };
      return { ...measured, error, isPassed: false, endedAt: now() };
    }
    const scores = await evaluate(
      this.#evaluators,
      {
        input: item.input,
        outputs: run.outputs ?? {},
        ...(item.expected !== undefined && { expected: item.expected }),
        run: { runId: run.runId, durationMs: run.durationMs, costUsd: run.costUsd },
      },
      this.#context.evalServices,
      { signal },
    );
    // A judge cut short by the stop: the cell runs again later.
    if (signal.aborted) return undefined;
    const failed = Object.entries(scores).find(([, verdict]) => verdict.error);
    return {
      ...measured,
      status: failed ? 'error' : 'done',
      output: outputOf(run.outputs),
      scores,
      isPassed: !failed && Object.values(scores).every((verdict) => verdict.pass),
      ...(failed?.[1].error && {
        error: { code: failed[1].error.code, message: `${failed[0]}: ${failed[1].error.message}` },
      }),
      endedAt: now(),
    };
  }

  #record(cell: ExperimentCell): void {
    this.#progress.done++;
    if (cell.status === 'error') this.#progress.errors++;
    this.#writes.push(cell);
    if (this.#writes.length >= WRITE_AT) void this.#flushWrites();
    else this.#writeTimer ??= setTimeout(() => void this.#flushWrites(), WRITE_DELAY_MS);
    this.#emitProgress(false);
  }

  /** Writes the finished cells waiting, one batch at a time; a failed write keeps them for the next. */
  #flushWrites(): Promise<void> {
    clearTimeout(this.#writeTimer);
    this.#writeTimer = undefined;
    this.#writing = this.#writing.then(async () => {
      if (this.#writes.length === 0) return;
      const batch = this.#writes;
      this.#writes = [];
      try {
        await this.#context.store.experiments.saveCells(this.id, batch);
      } catch (err) {
        this.#writes = [...batch, ...this.#writes];
        this.#context.onError(err);
        this.#writeTimer ??= setTimeout(() => void this.#flushWrites(), 1000);
      }
    });
    return this.#writing;
  }

  /** Progress to watchers: at most every PROGRESS_INTERVAL_MS, the latest at the end of a burst, and at the end. */
  #emitProgress(isFinal: boolean): void {
    const send = () => {
      this.#progressTimer = undefined;
      this.#lastProgressAt = performance.now();
      this.#context.onProgress(this.id, this.progress);
    };
    if (isFinal) {
      clearTimeout(this.#progressTimer);
      send();
      return;
    }
    if (this.#progressTimer) return;
    const wait = PROGRESS_INTERVAL_MS - (performance.now() - this.#lastProgressAt);
    if (wait <= 0) send();
    else this.#progressTimer = setTimeout(send, wait);
  }
}

function now(): string {
  return new Date().toISOString();
}
