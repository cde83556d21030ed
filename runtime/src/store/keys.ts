import type Database from 'better-sqlite3';

/** A row of `api_keys`: the secret only as `sha256(salt ‖ secret)`. */
export interface KeyRow {
  id: string;
  name: string;
  /** JSON array of flow ids (empty: every flow). */
  flows: string;
  rateLimit: number | null;
  salt: Buffer;
  hash: Buffer;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** The `api_keys` table (API keys of published endpoints); the key service holds the rules. */
export class KeyTable {
  readonly #db: Database.Database;
  readonly #sql;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#sql = {
      insert: db.prepare(
        'INSERT INTO api_keys (id, name, flows, rateLimit, salt, hash, createdAt) VALUES (@id, @name, @flows, @rateLimit, @salt, @hash, @createdAt)',
      ),
      get: db.prepare('SELECT * FROM api_keys WHERE id = ?'),
      list: db.prepare('SELECT * FROM api_keys ORDER BY createdAt DESC, id'),
      revoke: db.prepare('UPDATE api_keys SET revokedAt = ? WHERE id = ? AND revokedAt IS NULL'),
      touch: db.prepare('UPDATE api_keys SET lastUsedAt = ? WHERE id = ?'),
      dataVersion: db.prepare('PRAGMA data_version').pluck(),
    };
  }

  insert(row: Omit<KeyRow, 'lastUsedAt' | 'revokedAt'>): void {
    this.#sql.insert.run(row);
  }

  get(id: string): KeyRow | undefined {
    return this.#sql.get.get(id) as KeyRow | undefined;
  }

  /** Newest first. */
  list(): KeyRow[] {
    return this.#sql.list.all() as KeyRow[];
  }

  /** Sets `revokedAt` unless the key is revoked already (the first time stays). */
  revoke(id: string, at: string): void {
    this.#sql.revoke.run(at, id);
  }

  /** Writes last-used times in one transaction. False when the database is closed already (nothing written). */
  touch(times: readonly (readonly [id: string, at: string])[]): boolean {
    if (!this.#db.open) return false;
    this.#db.transaction(() => {
      for (const [id, at] of times) this.#sql.touch.run(at, id);
    })();
    return true;
  }

  /** Changes when another connection commits (`PRAGMA data_version`): cached rows may be stale then. */
  dataVersion(): number {
    return this.#sql.dataVersion.get() as number;
  }
}
