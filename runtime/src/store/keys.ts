import type Database from 'better-sqlite3';
import type { KeyTable } from './types.js';

/** A row of `api_keys`: the secret only as `sha256(salt ‖ secret)`. */
export interface KeyRow {
  id: string;
  name: string;
  /** JSON array of flow ids (empty: every flow). */
  flows: string;
  rateLimit: number | null;
  /** `secret` (servers) or `browser` (one flow, from its origins only: published in web pages). */
  kind: 'secret' | 'browser';
  /** JSON array of the origins a browser key works from (empty for secret keys). */
  origins: string;
  salt: Buffer;
  hash: Buffer;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** The `api_keys` table in SQLite (API keys of published endpoints); the key service holds the rules. */
export class SqliteKeyTable implements KeyTable {
  readonly #db: Database.Database;
  readonly #sql;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#sql = {
      insert: db.prepare(
        'INSERT INTO api_keys (id, name, flows, rateLimit, kind, origins, salt, hash, createdAt) VALUES (@id, @name, @flows, @rateLimit, @kind, @origins, @salt, @hash, @createdAt)',
      ),
      get: db.prepare('SELECT * FROM api_keys WHERE id = ?'),
      list: db.prepare('SELECT * FROM api_keys ORDER BY createdAt DESC, id'),
      revoke: db.prepare('UPDATE api_keys SET revokedAt = ? WHERE id = ? AND revokedAt IS NULL'),
      touch: db.prepare('UPDATE api_keys SET lastUsedAt = ? WHERE id = ?'),
      revision: db.prepare('SELECT revision FROM api_keys_revision').pluck(),
    };
  }

  async insert(row: Omit<KeyRow, 'lastUsedAt' | 'revokedAt'>): Promise<void> {
    this.#sql.insert.run(row);
  }

  async get(id: string): Promise<KeyRow | undefined> {
    return this.#sql.get.get(id) as KeyRow | undefined;
  }

  async list(): Promise<KeyRow[]> {
    return this.#sql.list.all() as KeyRow[];
  }

  async revoke(id: string, at: string): Promise<void> {
    this.#sql.revoke.run(at, id);
  }

  async touch(times: readonly (readonly [id: string, at: string])[]): Promise<boolean> {
    if (!this.#db.open) return false;
    this.#db.transaction(() => {
      for (const [id, at] of times) this.#sql.touch.run(at, id);
    })();
    return true;
  }

  /** The keys' revision (migration 14): changes when any connection changes a key, not on its last use. */
  async changeToken(): Promise<number> {
    return this.#sql.revision.get() as number;
  }
}
