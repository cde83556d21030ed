import { AppError } from '@flowloom/nodes';
import type Database from 'better-sqlite3';

/** A row of `published_versions`: a frozen flow (`json`) and its settings (`settings`, JSON). */
export interface PublishedRow {
  flowId: string;
  version: number;
  json: string;
  flowVersion: number | null;
  rollbackOf: number | null;
  note: string | null;
  settings: string;
  publishedAt: string;
}

/** Which version, key and face served a run. */
export interface PublishedRunRow {
  runId: string;
  flowId: string;
  version: number;
  keyId: string;
  endpoint: 'run' | 'chat';
}

/** Written with the store's group commit, so idempotent (a commit not known to have happened is tried again). */
const RECORD_RUN =
  'INSERT OR IGNORE INTO published_runs (runId, flowId, version, keyId, endpoint) VALUES (?, ?, ?, ?, ?)';

/** `published_versions` and `published_runs`; the published service holds the rules. */
export class PublishedTable {
  readonly #db: Database.Database;
  readonly #enqueue: (sql: string, params: unknown[]) => void;
  readonly #sql;

  /** `enqueue` queues a row for the store's next group commit. */
  constructor(db: Database.Database, enqueue: (sql: string, params: unknown[]) => void) {
    this.#db = db;
    this.#enqueue = enqueue;
    this.#sql = {
      insert:
        db.prepare(`INSERT INTO published_versions (flowId, version, json, flowVersion, rollbackOf, note, settings, publishedAt)
        VALUES (@flowId, @version, @json, @flowVersion, @rollbackOf, @note, @settings, @publishedAt)`),
      get: db.prepare('SELECT * FROM published_versions WHERE flowId = ? AND version = ?'),
      latest: db.prepare('SELECT * FROM published_versions WHERE flowId = ? ORDER BY version DESC LIMIT 1'),
      list: db.prepare(
        'SELECT flowId, version, flowVersion, rollbackOf, note, settings, publishedAt FROM published_versions WHERE flowId = ? ORDER BY version DESC',
      ),
      flows: db.prepare('SELECT DISTINCT flowId FROM published_versions ORDER BY flowId'),
      remove: db.prepare('DELETE FROM published_versions WHERE flowId = ?'),
    };
  }

  /**
   * Inserts the next version of a flow. Inside the transaction, so a concurrent publish of the same flow gets the
   * next number or CONFLICT.
   */
  insertNext(row: PublishedRow): void {
    this.#db
      .transaction(() => {
        const last = this.latest(row.flowId);
        if ((last?.version ?? 0) !== row.version - 1) {
          throw new AppError('CONFLICT', `flow "${row.flowId}" was published meanwhile (now version ${last?.version})`);
        }
        this.#sql.insert.run(row);
      })
      .immediate();
  }

  get(flowId: string, version: number): PublishedRow | undefined {
    return this.#sql.get.get(flowId, version) as PublishedRow | undefined;
  }

  latest(flowId: string): PublishedRow | undefined {
    return this.#sql.latest.get(flowId) as PublishedRow | undefined;
  }

  /** Every version of a flow without its frozen flow, newest first. */
  list(flowId: string): Omit<PublishedRow, 'json'>[] {
    return this.#sql.list.all(flowId) as Omit<PublishedRow, 'json'>[];
  }

  /** Ids of every flow with at least one published version. */
  flowIds(): string[] {
    return (this.#sql.flows.all() as { flowId: string }[]).map((row) => row.flowId);
  }

  /** Deletes every version of a flow; answers how many there were. */
  remove(flowId: string): number {
    return this.#sql.remove.run(flowId).changes;
  }

  /** Queues the run's `published_runs` row: it is committed together with the run's own row and events. */
  recordRun(run: PublishedRunRow): void {
    this.#enqueue(RECORD_RUN, [run.runId, run.flowId, run.version, run.keyId, run.endpoint]);
  }
}
