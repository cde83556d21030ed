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
  events: EventRowParams[];
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

export type EventRowParams = [runId: string, seq: number, type: string, json: string];

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
  return { seq, runs: [], events: [], finishes: [], rows: [] };
}

export function isEmptyBatch(batch: WriteBatch): boolean {
  return batch.runs.length + batch.events.length + batch.finishes.length + batch.rows.length === 0;
}

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
  readonly #insertEvent: Database.Statement;
  readonly #finishRun: Database.Statement;
  readonly #statements = new Map<string, Database.Statement>();

  constructor(db: Database.Database) {
    this.#db = db;
    this.#insertRun =
      db.prepare(`INSERT OR IGNORE INTO runs (runId, flowId, flowVersion, status, inputs, startedAt, pid, sessionId, parentRunId, depth)
      VALUES (@runId, @flowId, @flowVersion, @status, @inputs, @startedAt, @pid, @sessionId, @parentRunId, @depth)`);
    this.#insertEvent = db.prepare('INSERT OR IGNORE INTO run_events (runId, seq, type, json) VALUES (?, ?, ?, ?)');
    this.#finishRun =
      db.prepare(`UPDATE runs SET status = @status, outputs = @outputs, error = @error, usage = @usage, cost = @cost,
      endedAt = @endedAt, durationMs = @durationMs WHERE runId = @runId`);
  }

  /**
   * Writes every batch, in order, in one transaction: all of them or (on a throw: database locked, disk full) none.
   * Within a batch run rows go first and final states last, so a run started and finished in the same batch ends up
   * finished.
   */
  write(batches: readonly WriteBatch[]): void {
    this.#db.transaction(() => {
      for (const batch of batches) {
        for (const run of batch.runs) this.#insertRun.run(run);
        for (const event of batch.events) this.#insertEvent.run(event);
        for (const finish of batch.finishes) this.#finishRun.run(finish);
        for (const [sql, params] of batch.rows) this.#statement(sql).run(params);
      }
    })();
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
