import { AppError } from '@flowloom/nodes';
import type Database from 'better-sqlite3';
import type { PublishedTable } from './types.js';

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

/** The CONFLICT of a publish that lost the race for a version number. */
export function publishConflict(flowId: string, latest: number | undefined): AppError {
  return new AppError('CONFLICT', `flow "${flowId}" was published meanwhile (now version ${latest})`);
}

/** `published_versions` and `published_runs` in SQLite; the published service holds the rules. */
export class SqlitePublishedTable implements PublishedTable {
  readonly #db: Database.Database;
  readonly #record: (run: PublishedRunRow) => void;
  readonly #sql;

  /** `record` queues a `published_runs` row for the store's next group commit. */
  constructor(db: Database.Database, record: (run: PublishedRunRow) => void) {
    this.#db = db;
    this.#record = record;
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

  /** Inside an IMMEDIATE transaction, so a concurrent publish of the same flow gets the next number or CONFLICT. */
  async insertNext(row: PublishedRow): Promise<void> {
    this.#db
      .transaction(() => {
        const last = this.#latest(row.flowId);
        if ((last?.version ?? 0) !== row.version - 1) throw publishConflict(row.flowId, last?.version);
        this.#sql.insert.run(row);
      })
      .immediate();
  }

  async get(flowId: string, version: number): Promise<PublishedRow | undefined> {
    return this.#sql.get.get(flowId, version) as PublishedRow | undefined;
  }

  async latest(flowId: string): Promise<PublishedRow | undefined> {
    return this.#latest(flowId);
  }

  #latest(flowId: string): PublishedRow | undefined {
    return this.#sql.latest.get(flowId) as PublishedRow | undefined;
  }

  async list(flowId: string): Promise<Omit<PublishedRow, 'json'>[]> {
    return this.#sql.list.all(flowId) as Omit<PublishedRow, 'json'>[];
  }

  async flowIds(): Promise<string[]> {
    return (this.#sql.flows.all() as { flowId: string }[]).map((row) => row.flowId);
  }

  async remove(flowId: string): Promise<number> {
    return this.#sql.remove.run(flowId).changes;
  }

  recordRun(run: PublishedRunRow): void {
    this.#record(run);
  }
}
