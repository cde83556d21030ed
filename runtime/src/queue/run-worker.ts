import { type Job, WaitingError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RedisKeys } from './keys.js';
import type { RedisConnections } from './redis.js';
import { type Channels, QUEUE_NAME, type RunJobData, type RunQueue } from './run-queue.js';

/** What a worker needs of the run service (runs/run-service.ts `execute`), without importing it. */
export interface RunExecutor {
  execute(
    runId: string,
    control: { cancel?: () => void; handBack?: () => void },
    job?: string,
  ): Promise<'ended' | 'handed-back' | 'gone'>;
}

/** An unfinished run as the sweeper sees it. */
export interface UnfinishedRun {
  runId: string;
  startedAt: string;
  parentRunId?: string;
}

/** What the sweeper reads and does through the store (the kernel wires it). */
export interface SweepStore {
  /** Runs `queued` or `running`. */
  unfinished(): Promise<UnfinishedRun[]>;
  /** Whether a run has ended (a child run whose parent ended is interrupted). */
  hasEnded(runId: string): Promise<boolean>;
  /** Ends a run that nothing will finish (a nested run whose parent is gone): failed, RUN_INTERRUPTED. */
  interrupt(runId: string): Promise<void>;
}

export interface RunWorkerOptions {
  connections: RedisConnections;
  keys: RedisKeys;
  queue: RunQueue;
  channels: Channels;
  executor: RunExecutor;
  sweep: SweepStore;
  concurrency: number;
  lockMs: number;
  graceMs: number;
  /** Logs what goes wrong in the background. */
  log: (message: string, err?: unknown) => void;
}

/**
 * Executes queued runs (BullMQ worker on the `runs` queue), up to `concurrency` at once. A job whose worker died is
 * moved back to waiting by BullMQ's stalled check after its lock (`lockMs`) runs out, and another worker resumes it
 * (`execute` claims a new attempt). Cancels asked through any API process reach the run here (pub/sub). A sweeper
 * (one at a time across workers) queues again the runs left `queued`/`running` whose job is gone. `close` (SIGTERM)
 * takes no new runs, lets the current ones finish for `graceMs`, then hands the rest back to the queue.
 */
export class RunWorker {
  readonly #options: RunWorkerOptions;
  readonly #worker: Worker<RunJobData>;
  readonly #bull: Redis;
  readonly #active = new Map<string, { cancel?: () => void; handBack?: () => void }>();
  readonly #sweeper: NodeJS.Timeout;
  #closing: Promise<void> | undefined;

  constructor(options: RunWorkerOptions) {
    this.#options = options;
    this.#bull = options.connections.open({ maxRetriesPerRequest: null });
    this.#worker = new Worker<RunJobData>(QUEUE_NAME, (job, token) => this.#process(job, token), {
      connection: this.#bull,
      prefix: options.keys.bull,
      concurrency: options.concurrency,
      lockDuration: options.lockMs,
      stalledInterval: Math.max(500, Math.round(options.lockMs / 2)),
      // A run may be resumed many times (each worker that held it died): never give up on it for that.
      maxStalledCount: 1000,
      autorun: true,
    });
    this.#worker.on('error', (err) => options.log('the run worker failed in the background', err));
    void options.channels.on('cancel', (runId) => this.#active.get(runId)?.cancel?.()).catch(() => {});
    const sweepEvery = Math.max(1000, options.lockMs);
    this.#sweeper = setInterval(() => {
      this.sweep().catch((err: unknown) => options.log('sweeping unfinished runs failed', err));
    }, sweepEvery);
    this.#sweeper.unref();
  }

  /** Runs executing in this process now. */
  get activeRuns(): string[] {
    return [...this.#active.keys()];
  }

  async #process(job: Job<RunJobData>, token: string | undefined): Promise<void> {
    const { runId, job: stored } = job.data;
    const control: { cancel?: () => void; handBack?: () => void } = {};
    this.#active.set(runId, control);
    let outcome: 'ended' | 'handed-back' | 'gone';
    try {
      outcome = await this.#options.executor.execute(runId, control, stored);
    } finally {
      this.#active.delete(runId);
    }
    if (outcome === 'handed-back') {
      // Back to waiting at once, for another worker: the run resumes there from its unfinished nodes.
      await job.moveToWait(token);
      throw new WaitingError();
    }
  }

  /**
   * Queues again every run left `queued` or `running` (older than the lock time, so one being queued right now is left
   * alone) whose job is not waiting, active or delayed. A nested run has no job of its own: it is interrupted once its
   * parent has ended. One sweep at a time across workers (a Redis lock).
   */
  async sweep(): Promise<number> {
    const { connections, keys, queue, sweep, lockMs } = this.#options;
    const isLocked = await connections.command.set(keys.sweepLock, String(process.pid), 'PX', lockMs, 'NX');
    if (isLocked !== 'OK') return 0;
    let requeued = 0;
    const before = Date.now() - lockMs;
    for (const run of await sweep.unfinished()) {
      if (Date.parse(run.startedAt) > before) continue;
      if (run.parentRunId !== undefined) {
        if (await sweep.hasEnded(run.parentRunId)) await sweep.interrupt(run.runId);
        continue;
      }
      const state = await queue.state(run.runId);
      if (state === 'waiting' || state === 'active' || state === 'delayed' || state === 'prioritized') continue;
      await queue.removeFinished(run.runId);
      await queue.enqueue(run.runId);
      requeued++;
    }
    return requeued;
  }

  /** Takes no new runs; after `graceMs` hands the runs still going back to the queue; resolves once none is left. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#sweeper);
      const closed = this.#worker.close();
      const grace = setTimeout(() => {
        for (const control of this.#active.values()) control.handBack?.();
      }, this.#options.graceMs);
      grace.unref();
      try {
        await closed;
      } finally {
        clearTimeout(grace);
      }
    })();
    return this.#closing;
  }

  /** Stops at once without handing anything back (tests of a crash use SIGKILL instead). */
  async forceClose(): Promise<void> {
    clearInterval(this.#sweeper);
    await this.#worker.close(true);
  }
}
