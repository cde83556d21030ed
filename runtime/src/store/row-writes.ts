import type Database from 'better-sqlite3';

/**
 * One group commit's worth of run data, in plain strings and numbers (JSON already encoded) so it can be posted to
 * the writer thread as is. Every write is idempotent (INSERT OR IGNORE, UPDATE by key): a batch whose commit is not
 * known to have happened can be written again.
 */
export interface WriteBatch {
  /** Increasing per store; the writer thread acknowledges batches by it. */
  seq: number;
  runs: RunRowParams[];
  /**
   * The events, one line each: `runId \t seq \t type \t json`. One string, because posting one string to the
   * writer thread is a copy, while posting one small array per event costs more than encoding the events.
   */
  events: string;
  /** How many lines `events` holds. */
  eventCount: number;
  finishes: FinishParams[];
  /** Other services' rows (e.g. `published_runs`): an INSERT OR IGNORE / UPDATE statement and its parameters. */
  rows: [sql: string, params: unknown[]][];
}

export interface RunRowParams {
  runId: string;
  flowId: string;
  flowVersion: number | null;
  status: string;
  inputs: string;
  startedAt: string;
  pid: number;
  sessionId: string | null;
  parentRunId: string | null;
  depth: number;
}

export interface FinishParams {
  runId: string;
  status: string;
  outputs: string | null;
  error: string | null;
  usage: string | null;
  cost: number | null;
  endedAt: string;
  durationMs: number;
}

export function emptyBatch(seq: number): WriteBatch {
  return { seq, runs: [], events: '', eventCount: 0, finishes: [], rows: [] };
}

export function isEmptyBatch(batch: WriteBatch): boolean {
  return batch.runs.length + batch.eventCount + batch.finishes.length + batch.rows.length === 0;
}

/** Adds an event to a batch (JSON encoded now: later changes to its objects do not matter). */
export function addEvent(batch: WriteBatch, event: { runId: string; seq: number; type: string }): void {
  // JSON never holds a raw newline or tab, and run ids and event types hold none either.
  batch.events += `${event.runId}\t${event.seq}\t${event.type}\t${JSON.stringify(event)}\n`;
  batch.eventCount++;
}

/** Pragmas every connection to the store's database uses. */
/** The writer thread's start, as it tells it in the second slot of its signal (see WriterData). */
export const STARTED = 1;
export const FAILED_TO_START = 2;

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
  readonly #statements = new Map<string, Database.Statement>();

  constructor(db: Database.Database) {
    this.#db = db;
    this.#insertRun =
      db.prepare(`INSERT OR IGNORE INTO runs (runId, flowId, flowVersion, status, inputs, startedAt, pid, sessionId, parentRunId, depth)
      VALUES (@runId, @flowId, @flowVersion, @status, @inputs, @startedAt, @pid, @sessionId, @parentRunId, @depth)`);
    // An upsert: when a batch is written again (its first commit not known to have happened), the row may be there,
    // still running, and the final state must still land.
    this.#insertFinishedRun = db.prepare(`INSERT INTO runs (runId, flowId, flowVersion, status, inputs,
      outputs, error, usage, cost, startedAt, endedAt, durationMs, pid, sessionId, parentRunId, depth)
      VALUES (@runId, @flowId, @flowVersion, @status, @inputs, @outputs, @error, @usage, @cost, @startedAt, @endedAt,
      @durationMs, @pid, @sessionId, @parentRunId, @depth)
      ON CONFLICT (runId) DO UPDATE SET status = excluded.status, outputs = excluded.outputs, error = excluded.error,
      usage = excluded.usage, cost = excluded.cost, endedAt = excluded.endedAt, durationMs = excluded.durationMs`);
    this.#insertEvent = db.prepare('INSERT OR IGNORE INTO run_events (runId, seq, type, json) VALUES (?, ?, ?, ?)');
    this.#finishRun =
      db.prepare(`UPDATE runs SET status = @status, outputs = @outputs, error = @error, usage = @usage, cost = @cost,
      endedAt = @endedAt, durationMs = @durationMs WHERE runId = @runId`);
  }

  /**
   * Writes every batch, in order, in one transaction: all of them or (on a throw: database locked, disk full) none.
   * A run that started and finished within these batches (most short runs) is inserted finished: one row write
   * instead of an insert and an update.
   */
  write(batches: readonly WriteBatch[]): void {
    const finishes = new Map<string, FinishParams>();
    for (const batch of batches) for (const finish of batch.finishes) finishes.set(finish.runId, finish);
    this.#db.transaction(() => {
      for (const batch of batches) {
        for (const run of batch.runs) {
          const finish = finishes.get(run.runId);
          if (finish) {
            this.#insertFinishedRun.run({ ...run, ...finish });
            finishes.delete(run.runId);
          } else this.#insertRun.run(run);
        }
        this.#writeEvents(batch.events);
        for (const [sql, params] of batch.rows) this.#statement(sql).run(params);
      }
      // Runs whose row was written by an earlier commit.
      for (const finish of finishes.values()) this.#finishRun.run(finish);
    })();
  }

  #writeEvents(lines: string): void {
    let start = 0;
    for (let end = lines.indexOf('\n'); end !== -1; start = end + 1, end = lines.indexOf('\n', start)) {
      const tab1 = lines.indexOf('\t', start);
      const tab2 = lines.indexOf('\t', tab1 + 1);
      const tab3 = lines.indexOf('\t', tab2 + 1);
      this.#insertEvent.run(
        lines.slice(start, tab1),
        Number(lines.slice(tab1 + 1, tab2)),
        lines.slice(tab2 + 1, tab3),
        lines.slice(tab3 + 1, end),
      );
    }
  }

  #statement(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}
