import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AppError,
  type ErrorBody,
  type ErrorCode,
  type FlowFile,
  isAppError,
  toErrorBody,
  type Values,
} from '@flowloom/nodes';
import { newRunId } from '../engine/index.js';
import { type EvalServices, type Evaluator, evaluate } from '../evals/index.js';
import type { FrozenBundle } from '../publishing/frozen-bundle.js';
import type { PublishedService } from '../publishing/versions.js';
import type { RunService } from '../runs/run-service.js';
import type {
  CellKey,
  ExperimentCell,
  ExperimentItem,
  ExperimentStatus,
  PendingCell,
  RunRecord,
  Store,
} from '../store/types.js';
import type { Progress, Target } from './types.js';

/** Finished cells wait at most this long to be written (one transaction for all of them). */
const WRITE_DELAY_MS = 50;
/** ... or are written at once when this many wait. */
const WRITE_AT = 200;
/** Progress reaches watchers at most this often (and always at the end). */
export const PROGRESS_INTERVAL_MS = 100;
/** Pending cells read from the store at a time. */
const PAGE = 256;
/** A cell that met a passing failure waits this long before it runs again, doubling with each failure in a row. */
const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 15_000;
/**
 * Failures that say nothing of the cell: the store was unreachable, or its run was cancelled by someone else (or cut
 * off by a stop). The cell stays pending and runs again later; it never becomes an error for them.
 */
const PASSING = new Set<ErrorCode>(['STORE_UNAVAILABLE', 'RUN_CANCELLED', 'RUN_INTERRUPTED']);

/** A target ready to run: the flow and how its runs are made, or why it cannot run. */
type ResolvedTarget =
  | { flow: FlowFile; flowVersion: number | null; bundle?: FrozenBundle; timeoutMs?: number }
  | { error: ErrorBody };

/** What became of a cell: its outcome, `retry` (a passing failure: it stays pending) or `stopped` (by `stop`). */
type CellOutcome = ExperimentCell | 'retry' | 'stopped';

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

/** True for a failure that says nothing of the cell (see PASSING). */
function isPassing(err: unknown): boolean {
  return isAppError(err) && PASSING.has(err.code);
}

/** A run's end that says nothing of the cell: cancelled (not by its timeout), interrupted, or the store was down. */
function isPassingEnd(run: RunRecord): boolean {
  if (run.status === 'cancelled') return (run.error?.code ?? 'RUN_CANCELLED') === 'RUN_CANCELLED';
  return run.status === 'failed' && run.error !== undefined && PASSING.has(run.error.code);
}

/** A key of a cell, for the write queue. */
function keyText(cell: CellKey): string {
  return `${cell.seq}:${cell.target}:${cell.repetition}`;
}

/** A queued write, and for a start the promise its worker waits on. */
interface QueuedWrite {
  cell: ExperimentCell;
  written?: { resolve(): void; reject(err: unknown): void };
}

/**
 * Runs the pending cells of one experiment, `concurrency` at a time, in item order (so targets progress together),
 * reading them from the store a page at a time: each cell an ordinary run of its target, scored by the evaluators.
 * A cell's start (`running` with its run id) is written before its run starts; its outcome is written in small
 * batches. A run that fails, or an evaluator that cannot score (a judge whose model fails), makes the cell an error
 * and the experiment goes on; a passing failure (the store unreachable, the run cancelled by someone else) leaves the
 * cell pending and it runs again after a wait that grows while such failures go on. A cell found `running` (its
 * process died) takes its run's outcome when that run ended on its own, and runs again otherwise. A cell cut short
 * by a stop goes back to pending.
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
  #writes: QueuedWrite[] = [];
  #writeTimer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();
  #lastProgressAt = 0;
  #progressTimer: NodeJS.Timeout | undefined;
  /** Pending cells read and not yet taken, where the next page starts, and whether the store has more. */
  #buffer: PendingCell[] = [];
  #after: CellKey | undefined;
  #hasMore = true;
  #reading: Promise<void> | undefined;
  /** Passing failures in a row (the wait before the next try doubles with each). */
  #failuresInARow = 0;
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

  /** Runs the experiment's cells still to run; `done` settles when they are all finished or the runner is stopped. */
  start(): void {
    this.done = this.#run();
  }

  /** Stops: live runs are cancelled, their cells go back to pending. `cancel` ends the experiment; `shutdown` leaves it. */
  stop(reason: 'cancel' | 'shutdown'): void {
    this.#stopReason ??= reason;
    this.#controller.abort(new AppError('RUN_CANCELLED', `the experiment was stopped (${reason})`));
  }

  async #run(): Promise<ExperimentStatus> {
    const targets = await Promise.all(this.#targets.map((target) => this.#resolve(target)));
    const signal = this.#controller.signal;
    const worker = async () => {
      for (let next = await this.#next(); next && !signal.aborted; next = await this.#next()) {
        await this.#settle(next, targets[next.cell.target] as ResolvedTarget, signal);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.#concurrency) }, worker));
    await this.#flushWrites();
    this.#emitProgress(true);
    if (this.#writes.length > 0) {
      clearTimeout(this.#writeTimer);
      throw new AppError('STORE_UNAVAILABLE', `${this.#writes.length} cells could not be written`);
    }
    if (this.#stopReason === 'shutdown') return 'running';
    return this.#stopReason === 'cancel' ? 'cancelled' : 'completed';
  }

  /** The next cell to run, reading the next page from the store when the last is used up; undefined at the end. */
  async #next(): Promise<PendingCell | undefined> {
    while (this.#buffer.length === 0 && this.#hasMore && !this.#controller.signal.aborted) {
      this.#reading ??= this.#readPage().finally(() => {
        this.#reading = undefined;
      });
      await this.#reading;
    }
    return this.#buffer.shift();
  }

  /** Reads a page of cells still to run; a store that cannot be reached is waited for (backing off). */
  async #readPage(): Promise<void> {
    try {
      const page = await this.#context.store.experiments.pendingCells(this.id, this.#after, PAGE);
      this.#buffer.push(...page);
      this.#hasMore = page.length === PAGE;
      const last = page.at(-1)?.cell;
      if (last) this.#after = { seq: last.seq, target: last.target, repetition: last.repetition };
    } catch (err) {
      if (!isPassing(err)) throw err;
      this.#context.onError(err);
      await this.#backOff();
    }
  }

  /** Runs one cell until it has an outcome (recorded) or the runner stops; passing failures are waited out. */
  async #settle(pending: PendingCell, target: ResolvedTarget, signal: AbortSignal): Promise<void> {
    let { cell } = pending;
    for (;;) {
      let outcome: CellOutcome;
      let started: string | undefined;
      try {
        outcome = await this.#runCell(cell, pending.item, target, signal, (runId) => {
          started = runId;
        });
      } catch (err) {
        if (signal.aborted) outcome = 'stopped';
        else if (isPassing(err)) outcome = 'retry';
        else outcome = { ...cellKey(cell), status: 'error', error: toErrorBody(err), isPassed: false, endedAt: now() };
      }
      if (outcome === 'stopped' || signal.aborted) {
        // Its run was cut short: the cell goes back to pending (a cell this runner did not start stays as it was).
        if (started !== undefined) this.#queue({ ...cellKey(cell), status: 'pending' });
        return;
      }
      if (outcome !== 'retry') {
        this.#failuresInARow = 0;
        this.#record(outcome);
        return;
      }
      // A passing failure: the cell runs again, afresh, after a wait.
      cell = { ...cellKey(cell), status: 'pending' };
      await this.#backOff();
      if (signal.aborted) {
        if (started !== undefined) this.#queue(cell);
        return;
      }
    }
  }

  /** Waits before the next try after a passing failure: longer with each in a row, cut short by a stop. */
  async #backOff(): Promise<void> {
    const wait = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** this.#failuresInARow);
    this.#failuresInARow = Math.min(this.#failuresInARow + 1, 16);
    await sleep(wait, undefined, { signal: this.#controller.signal }).catch(() => {});
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

  /**
   * One cell: its run (or, for a cell its dead process left running, that run's outcome when it ended on its own)
   * and the evaluators' verdicts. The cell's start is written before its run starts (`onStarted` is told then).
   */
  async #runCell(
    cell: ExperimentCell,
    item: ExperimentItem,
    target: ResolvedTarget,
    signal: AbortSignal,
    onStarted: (runId: string) => void,
  ): Promise<CellOutcome> {
    const key = cellKey(cell);
    if ('error' in target) return { ...key, status: 'error', error: target.error, isPassed: false, endedAt: now() };
    if (cell.status === 'running' && cell.runId !== undefined) {
      const earlier = await this.#context.store.getRun(cell.runId);
      if (earlier && earlier.status !== 'running' && earlier.status !== 'queued' && !isPassingEnd(earlier)) {
        return this.#score(key, item, earlier, signal);
      }
    }
    const runId = newRunId();
    try {
      await this.#start({ ...key, status: 'running', runId });
    } catch {
      // The store did not take the start (told through onError): nothing ran, the cell tries again later.
      return 'retry';
    }
    onStarted(runId);
    if (signal.aborted) return 'stopped';
    const { done } = this.#context.runs.start(
      target.flow,
      {
        runId,
        inputs: item.input,
        signal,
        source: 'experiment',
        ...(target.bundle && { bundle: target.bundle }),
        ...(target.timeoutMs !== undefined && { timeoutMs: target.timeoutMs }),
      },
      target.flowVersion,
    );
    const run = await done;
    if (signal.aborted) return 'stopped';
    if (isPassingEnd(run)) return 'retry';
    return this.#score(key, item, run, signal);
  }

  /** A cell's outcome from its ended run: an error for a run that failed, else the evaluators' verdicts. */
  async #score(key: CellKey, item: ExperimentItem, run: RunRecord, signal: AbortSignal): Promise<CellOutcome> {
    const tokens = run.usage ? Math.round(run.usage.promptTokens + run.usage.completionTokens) : undefined;
    const measured: ExperimentCell = {
      ...key,
      status: 'error',
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
    if (signal.aborted) return 'stopped';
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

  /** Writes a cell's start at once (with what else waits) and resolves once it is stored; rejects when it is not. */
  #start(cell: ExperimentCell): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#writes.push({ cell, written: { resolve, reject } });
      void this.#flushWrites();
    });
  }

  #record(cell: ExperimentCell): void {
    this.#progress.done++;
    if (cell.status === 'error') this.#progress.errors++;
    this.#queue(cell);
    this.#emitProgress(false);
  }

  /** Queues a cell's write for the next batch. */
  #queue(cell: ExperimentCell): void {
    this.#writes.push({ cell });
    if (this.#writes.length >= WRITE_AT) void this.#flushWrites();
    else this.#writeTimer ??= setTimeout(() => void this.#flushWrites(), WRITE_DELAY_MS);
  }

  /**
   * Writes the cells waiting, one batch at a time (the last write of a cell wins). A failed write keeps outcomes for
   * the next batch; starts are not kept (their workers are told, and try again).
   */
  #flushWrites(): Promise<void> {
    clearTimeout(this.#writeTimer);
    this.#writeTimer = undefined;
    this.#writing = this.#writing.then(async () => {
      if (this.#writes.length === 0) return;
      const batch = this.#writes;
      this.#writes = [];
      const latest = new Map<string, ExperimentCell>();
      for (const { cell } of batch) latest.set(keyText(cell), cell);
      try {
        await this.#context.store.experiments.saveCells(this.id, [...latest.values()]);
        for (const { written } of batch) written?.resolve();
      } catch (err) {
        const kept = batch.filter((write) => !write.written);
        for (const { written } of batch) written?.reject(err);
        this.#writes = [...kept, ...this.#writes];
        this.#context.onError(err);
        if (kept.length > 0) this.#writeTimer ??= setTimeout(() => void this.#flushWrites(), 1000);
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

/** A cell's key fields. */
function cellKey(cell: CellKey): CellKey {
  return { seq: cell.seq, target: cell.target, repetition: cell.repetition };
}

function now(): string {
  return new Date().toISOString();
}
