import type Database from 'better-sqlite3';
import type { RunJobTable, SettingsTable } from './types.js';

/** The `settings` table in SQLite: one JSON value per name (e.g. `provider`), with the time it was last set. */
export class SqliteSettingsTable implements SettingsTable {
  readonly #db: Database.Database;
  readonly #sql;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#sql = {
      get: db.prepare('SELECT value, updatedAt FROM settings WHERE name = ?'),
      put: db.prepare(
        'INSERT INTO settings (name, value, updatedAt) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value, updatedAt = excluded.updatedAt',
      ),
    };
  }

  async get(name: string): Promise<{ value: string; updatedAt: string } | undefined> {
    return this.#sql.get.get(name) as { value: string; updatedAt: string } | undefined;
  }

  async put(name: string, value: string, updatedAt: string): Promise<void> {
    this.#sql.put.run(name, value, updatedAt);
  }

  async change(name: string, fn: (value: string | undefined) => string, updatedAt: string): Promise<void> {
    this.#db
      .transaction(() => {
        const row = this.#sql.get.get(name) as { value: string } | undefined;
        this.#sql.put.run(name, fn(row?.value), updatedAt);
      })
      .immediate();
  }
}

/** The `run_jobs` table in SQLite. */
export class SqliteRunJobTable implements RunJobTable {
  readonly #sql;

  constructor(db: Database.Database) {
    this.#sql = {
      get: db.prepare('SELECT job FROM run_jobs WHERE runId = ?'),
      put: db.prepare('INSERT INTO run_jobs (runId, job) VALUES (?, ?) ON CONFLICT(runId) DO NOTHING'),
    };
  }

  async put(runId: string, job: string): Promise<void> {
    this.#sql.put.run(runId, job);
  }

  async get(runId: string): Promise<string | undefined> {
    return (this.#sql.get.get(runId) as { job: string } | undefined)?.job;
  }
}
