import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RedisKeys } from './keys.js';
import type { RedisConnections } from './redis.js';

/** The BullMQ queue of runs. */
export const QUEUE_NAME = 'runs';

/**
 * What a job in the queue holds: the run id, and the run's job (JSON, as stored in `run_jobs`) so a worker need not
 * read it from the store; a job queued again by the sweeper has the id only (the worker reads the stored job).
 */
export interface RunJobData {
  runId: string;
  job?: string;
}

/** A run started through an API process, as announced to the others. */
export interface StartedRun {
  runId: string;
  flowId: string;
  /** The announcing process's `RunQueue.id`: a process skips its own announcements (absent from older processes). */
  by?: string;
}

/** The runs a `started` message announces (an array, or one run's object); entries that are not runs are skipped. */
function startedRuns(message: string): StartedRun[] {
  const parsed = JSON.parse(message) as unknown;
  const isRun = (entry: unknown): entry is StartedRun =>
    typeof (entry as StartedRun | null)?.runId === 'string' && typeof (entry as StartedRun).flowId === 'string';
  return (Array.isArray(parsed) ? parsed : [parsed]).filter(isRun);
}

/** A run's job as the queue sees it (`unknown`: there is none). */
export type JobState = 'waiting' | 'active' | 'delayed' | 'completed' | 'failed' | 'prioritized' | 'unknown';

/**
 * The API side of the queue: enqueue a run (job id = run id, so submitting it again is the same job), ask for a
 * cancel (a flag the claiming worker reads, and a message the worker running it acts on), announce runs to the other
 * API processes, and read job states (sweeper, tests).
 */
export class RunQueue {
  readonly queue: Queue<RunJobData>;
  /** This process's id in its announcements. */
  readonly id = randomBytes(8).toString('hex');
  readonly #connections: RedisConnections;
  readonly #keys: RedisKeys;
  readonly #bull: Redis;
  #announcing: { runs: StartedRun[]; sent: Promise<void> } | undefined;

  constructor(connections: RedisConnections, keys: RedisKeys) {
    this.#connections = connections;
    this.#keys = keys;
    this.#bull = connections.open({ maxRetriesPerRequest: null });
    this.queue = new Queue<RunJobData>(QUEUE_NAME, { connection: this.#bull, prefix: keys.bull });
    this.queue.on('error', () => {});
  }

  /** Adds the run's job unless it exists (same id): idempotent. Throws QUEUE_UNAVAILABLE while Redis is down. */
  async enqueue(runId: string, job?: string): Promise<void> {
    this.#connections.assertAvailable();
    await this.queue.add(
      'run',
      { runId, ...(job !== undefined && { job }) },
      { jobId: runId, attempts: 1, removeOnComplete: true, removeOnFail: { count: 1000 } },
    );
  }

  async state(runId: string): Promise<JobState> {
    return (await this.queue.getJobState(runId)) as JobState;
  }

  /** Removes a finished (completed or failed) job so the same id can be queued again. */
  async removeFinished(runId: string): Promise<void> {
    const job = await this.queue.getJob(runId);
    if (job && ((await job.isCompleted()) || (await job.isFailed()))) await job.remove();
  }

  /** Waiting, active and delayed jobs (tests and health). */
  async counts(): Promise<{ waiting: number; active: number; delayed: number }> {
    const counts = await this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    return {
      waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
    };
  }

  /** Asks for a run to be cancelled wherever it runs: a flag for a worker that claims it later, and a message now. */
  async requestCancel(runId: string): Promise<void> {
    this.#connections.assertAvailable();
    const redis = this.#connections.command;
    await redis.set(this.#keys.cancel(runId), '1', 'PX', 24 * 60 * 60 * 1000);
    await redis.publish(this.#keys.channel('cancel'), runId);
  }

  /**
   * Tells every API process that a run started (flow subscriptions there watch it too). The runs announced in one turn
   * of the event loop go in one message: a JSON array, or the run's object alone when it is the only one, as processes
   * before the arrays sent it and still read it (during a rolling upgrade they miss only the runs sent in arrays).
   */
  announce(runId: string, flowId: string): Promise<void> {
    if (!this.#announcing) {
      const runs: StartedRun[] = [];
      const sent = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
        this.#announcing = undefined;
        const message = JSON.stringify(runs.length === 1 ? runs[0] : runs);
        await this.#connections.command.publish(this.#keys.channel('started'), message);
      });
      this.#announcing = { runs, sent };
    }
    this.#announcing.runs.push({ runId, flowId, by: this.id });
    return this.#announcing.sent;
  }

  async close(): Promise<void> {
    await this.queue.close().catch(() => {});
  }
}

/**
 * One subscriber connection for the deployment's channels (cancel, started, keys, ended): handlers by channel. Redis
 * re-subscribes by itself after a reconnect (ioredis `autoResubscribe`).
 */
export class Channels {
  readonly #subscriber: Redis;
  readonly #keys: RedisKeys;
  readonly #handlers = new Map<string, Set<(message: string) => void>>();

  constructor(connections: RedisConnections, keys: RedisKeys) {
    this.#keys = keys;
    this.#subscriber = connections.open({ maxRetriesPerRequest: null });
    this.#subscriber.on('message', (channel: string, message: string) => {
      for (const handler of this.#handlers.get(channel) ?? []) {
        try {
          handler(message);
        } catch {
          // One handler's failure must not keep the message from the others.
        }
      }
    });
  }

  /** Calls `handler` with every message on a channel from now on. */
  async on(name: 'cancel' | 'started' | 'keys' | 'ended', handler: (message: string) => void): Promise<void> {
    const channel = this.#keys.channel(name);
    let handlers = this.#handlers.get(channel);
    if (!handlers) {
      handlers = new Set();
      this.#handlers.set(channel, handlers);
      await this.#subscriber.subscribe(channel);
    }
    handlers.add(handler);
  }

  /** Calls `handler` with every run announced as started (RunQueue `announce`) from now on. */
  onStarted(handler: (run: StartedRun) => void): Promise<void> {
    return this.on('started', (message) => {
      for (const run of startedRuns(message)) {
        try {
          handler(run);
        } catch {
          // One run's failure must not keep the others of the message from the handler.
        }
      }
    });
  }
}
