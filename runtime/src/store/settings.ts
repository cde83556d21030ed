import type Database from 'better-sqlite3';
import type { SettingsTable } from './types.js';

/** The `settings` table in SQLite: one JSON value per name (e.g. `provider`), with the time it was last set. */
export class SqliteSettingsTable implements SettingsTable {
  readonly #sql;

  constructor(db: Database.Database) {
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
}
