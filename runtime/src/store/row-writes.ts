import { eventJson, type TraceEvent } from '@flowloom/nodes';
import type Database from 'better-sqlite3';
import type { RunEnd, RunStart } from './types.js';

/**
 * One group commit's worth of run data, in plain strings and numbers (JSON already encoded) so it can be posted to
 * the writer thread as is. Every write is idempotent (INSERT OR IGNORE, UPDATE by key): a batch whose commit is not
 * known to have happened can be written again. Both backends queue run data in this shape.
 */
export interface WriteBatch {
  /** Increasing per store; the writer thread acknowledges batches by it. */
  seq: number;
  runs: RunRowParams[];
  /**
   * The events, one line each: `runId \t seq \t attempt \t type \t json`. One string, because posting one string to
   * the writer thread is a copy, while posting one small array per event costs more than encoding the events.
   */
  events: string;
  /** How many lines `events` holds. */
  eventCount: number;
  finishes: FinishParams[];
  /** `published_runs` rows (which version, key and face served a run). */
  publishedRuns: PublishedRunParams[];
  /**
   * `run_jobs` rows (what a queued run executes), Postgres only: there a job is committed with the run row it belongs
   * to. SQLite writes its jobs at once, outside its batches, and leaves this empty.
   */
  runJobs: RunJobParams[];
}

export interface RunRowParams {
  runId: string;
  flowId: string;
  flowVersion: number | null;
  status: string;
  inputs: string;
  startedAt: string;
  pid: number;
  /** The owner lock's id of the process that wrote the row (crash recovery asks its lock: see owner-lock.ts). */
  owner: string | null;
  sessionId: string | null;
  parentRunId: string | null;
  depth: number;
  attempt: number;
  source: string | null;
  origin: string | null;
}

export interface FinishParams {
  runId: string;
  /** Written only while the run's row is at this attempt or an earlier one (fencing). */
  attempt: number;
  status: string;
  outputs: string | null;
  error: string | null;
  usage: string | null;
  cost: number | null;
  endedAt: string;
  durationMs: number;
  ttftMs: number | null;
}

export interface PublishedRunParams {
  runId: string;
  flowId: string;
  version: number;
  keyId: string;
  endpoint: string;
}

export interface RunJobParams {
  runId: string;
  job: string;
}

export function emptyBatch(seq: number): WriteBatch {
  return { seq, runs: [], events: '', eventCount: 0, finishes: [], publishedRuns: [], runJobs: [] };
}

export function isEmptyBatch(batch: WriteBatch): boolean {
  const { runs, eventCount, finishes, publishedRuns, runJobs } = batch;
  return runs.length + eventCount + finishes.length + publishedRuns.length + runJobs.length === 0;
}

/** Adds a run's first row to a batch, owned by `owner` (the writing store's owner lock id). */
export function addRun(batch: WriteBatch, run: RunStart, owner: string | null = null): void {
  batch.runs.push({
    runId: run.runId,
    flowId: run.flowId,
    flowVersion: run.flowVersion,
    status: run.status,
    inputs: JSON.stringify(run.inputs ?? {}),
    startedAt: run.startedAt,
    pid: process.pid,
    owner,
    sessionId: run.sessionId ?? null,
    parentRunId: run.parentRunId ?? null,
    depth: run.depth ?? 0,
    attempt: run.attempt ?? (run.status === 'queued' ? 0 : 1),
    source: run.source ?? null,
    origin: run.origin ? JSON.stringify(run.origin) : null,
  });
}

/** Adds a run's final state to a batch. */
export function addFinish(batch: WriteBatch, runId: string, attempt: number, end: RunEnd): void {
  batch.finishes.push({
    runId,
    attempt,
    status: end.status,
    outputs: end.outputs === undefined ? null : JSON.stringify(end.outputs),
    error: end.error === undefined ? null : JSON.stringify(end.error),
    usage: end.usage === undefined ? null : JSON.stringify(end.usage),
    cost: end.costUsd ?? null,
    endedAt: end.endedAt,
    durationMs: Math.round(end.durationMs),
    ttftMs: end.ttftMs ?? null,
  });
}

/** Adds an event to a batch (JSON encoded now, or already as it was emitted: later changes to its objects do not matter). */
export function addEvent(batch: WriteBatch, event: TraceEvent, attempt: number): void {
  // JSON never holds a raw newline or tab, and run ids and event types hold none either.
  batch.events += `${event.runId}\t${event.seq}\t${attempt}\t${event.type}\t${eventJson(event)}\n`;
  batch.eventCount++;
}

/** Calls `fn` with each event line of a batch, split into its fields. */
export function forEachEvent(
  lines: string,
  fn: (runId: string, seq: number, attempt: number, type: string, json: string) => void,
): void {
  let start = 0;
  for (let end = lines.indexOf('\n'); end !== -1; start = end + 1, end = lines.indexOf('\n', start)) {
    const tab1 = lines.indexOf('\t', start);
    const tab2 = lines.indexOf('\t', tab1 + 1);
    const tab3 = lines.indexOf('\t', tab2 + 1);
    const tab4 = lines.indexOf('\t', tab3 + 1);
    fn(
      lines.slice(start, tab1),
      Number(lines.slice(tab1 + 1, tab2)),
      Number(lines.slice(tab2 + 1, tab3)),
      lines.slice(tab3 + 1, tab4),
      lines.slice(tab4 + 1, end),
    );
  }
}

/**
 * The final states of a list of batches by run id (the last one wins), so that a run that started within them can be
 * inserted finished: one row write instead of an insert and an update.
 */
export function finishesByRun(batches: readonly WriteBatch[]): Map<string, FinishParams> {
  const finishes = new Map<string, FinishParams>();
  for (const batch of batches) for (const finish of batch.finishes) finishes.set(finish.runId, finish);
  return finishes;
}

/** The writer thread's start, as it tells it in the second slot of its signal (see WriterData). */
export const STARTED = 1;
export const FAILED_TO_START = 2;

/** Pragmas every connection to the store's database uses. */
export function configureConnection(db: Database.Database, busyTimeoutMs: number): void {
  db.pragma('journal_mode = WAL');
  // NORMAL is safe in WAL mode against process crashes; only an OS crash may lose the last commits.
  db.pragma('synchronous = NORMAL');
  db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  db.pragma('foreign_keys = ON');
}

/**
 * Writes batches of run rows, events and final states with prepared statements, in one transaction per call. Used by
 * the writer thread and, when there is none, by the store itself on its own connection.
 */
export class BatchWriter {
  readonly #db: Database.Database;
  readonly #insertRun: Database.Statement;
  readonly #insertFinishedRun: Database.Statement;
  readonly #insertEvent: Database.Statement;
  readonly #finishRun: Database.Statement;
  readonly #attemptOf: Database.Statement;
  readonly #insertPublishedRun: Database.Statement;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#insertRun =
      db.prepare(`INSERT OR IGNORE INTO runs (runId, flowId, flowVersion, status, inputs, startedAt, pid, owner,
      sessionId, parentRunId, depth, attempt, source, origin)
      VALUES (@runId, @flowId, @flowVersion, @status, @inputs, @startedAt, @pid, @owner, @sessionId, @parentRunId,
      @depth, @attempt, @source, @origin)`);
    // An upsert: when a batch is written again (its first commit not known to have happened), the row may be there,
    // still running, and the final state must still land (unless the run moved on to a later attempt).
    this.#insertFinishedRun = db.prepare(`INSERT INTO runs (runId, flowId, flowVersion, status, inputs,
      outputs, error, usage, cost, startedAt, endedAt, durationMs, pid, owner, sessionId, parentRunId, depth, attempt,
      source, ttftMs, origin)
      VALUES (@runId, @flowId, @flowVersion, @status, @inputs, @outputs, @error, @usage, @cost, @startedAt, @endedAt,
      @durationMs, @pid, @owner, @sessionId, @parentRunId, @depth, @attempt, @source, @ttftMs, @origin)
      ON CONFLICT (runId) DO UPDATE SET status = excluded.status, outputs = excluded.outputs, error = excluded.error,
      usage = excluded.usage, cost = excluded.cost, endedAt = excluded.endedAt, durationMs = excluded.durationMs,
      ttftMs = excluded.ttftMs
      WHERE runs.attempt <= excluded.attempt`);
    this.#insertEvent = db.prepare('INSERT OR IGNORE INTO run_events (runId, seq, type, json) VALUES (?, ?, ?, ?)');
    this.#finishRun =
      db.prepare(`UPDATE runs SET status = @status, outputs = @outputs, error = @error, usage = @usage, cost = @cost,
      endedAt = @endedAt, durationMs = @durationMs, ttftMs = @ttftMs WHERE runId = @runId AND attempt <= @attempt`);
    this.#attemptOf = db.prepare('SELECT attempt FROM runs WHERE runId = ?').pluck();
    this.#insertPublishedRun =
      db.prepare(`INSERT OR IGNORE INTO published_runs (runId, flowId, version, keyId, endpoint)
      VALUES (@runId, @flowId, @version, @keyId, @endpoint)`);
  }

  /**
   * Writes every batch, in order, in one transaction: all of them or (on a throw: database locked, disk full) none.
   * A run that started and finished within these batches (most short runs) is inserted finished: one row write
   * instead of an insert and an update. Events and final states of an attempt older than the run row's are skipped.
   */
  write(batches: readonly WriteBatch[]): void {
    const finishes = finishesByRun(batches);
    /** Each run's attempt as the row has it in this transaction (null: no row), looked up once per run. */
    const attempts = new Map<string, number | null>();
    const insertEvent = (runId: string, seq: number, attempt: number, type: string, json: string) => {
      let current = attempts.get(runId);
      if (current === undefined) {
        current = (this.#attemptOf.get(runId) as number | undefined) ?? null;
        attempts.set(runId, current);
      }
      if (current !== null && current > attempt) return;
      this.#insertEvent.run(runId, seq, type, json);
    };
    this.#db.transaction(() => {
      for (const batch of batches) {
        for (const run of batch.runs) {
          const finish = finishes.get(run.runId);
          let isNew: boolean;
          if (finish && finish.attempt >= run.attempt) {
            isNew = this.#insertFinishedRun.run({ ...run, ...finish, attempt: run.attempt }).changes === 1;
            finishes.delete(run.runId);
          } else isNew = this.#insertRun.run(run).changes === 1;
          // A row written just now has the run's attempt; one that was there already is looked up.
          if (isNew) attempts.set(run.runId, run.attempt);
        }
        forEachEvent(batch.events, insertEvent);
        for (const row of batch.publishedRuns) this.#insertPublishedRun.run(row);
      }
      // Runs whose row was written by an earlier commit.
      for (const finish of finishes.values()) this.#finishRun.run(finish);
    })();
  }
}
