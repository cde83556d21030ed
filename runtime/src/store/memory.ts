import type Database from 'better-sqlite3';

// Its own table, created if missing, so the store's numbered migrations stay untouched.
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS chat_memory (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sessionId TEXT NOT NULL,
    namespace TEXT NOT NULL,
    message TEXT NOT NULL,
    createdAt TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS chat_memory_by_session ON chat_memory (sessionId, namespace, id);
`;

/** The `chat_memory` table: chat messages (JSON) per session and namespace, for the memory node. */
export class MemoryTable {
  readonly #select: Database.Statement;
  readonly #insert: Database.Statement;
  readonly #prune: Database.Statement;
  readonly #clear: Database.Statement;
  readonly #appendMany: (sessionId: string, namespace: string, messages: readonly string[], keep: number) => void;

  constructor(db: Database.Database) {
    db.exec(SCHEMA);
    this.#select = db.prepare(
      `SELECT message FROM (SELECT id, message FROM chat_memory WHERE sessionId = ? AND namespace = ? ORDER BY id DESC LIMIT ?)
       ORDER BY id ASC`,
    );
    this.#insert = db.prepare('INSERT INTO chat_memory (sessionId, namespace, message, createdAt) VALUES (?, ?, ?, ?)');
    this.#prune = db.prepare(
      `DELETE FROM chat_memory WHERE sessionId = ? AND namespace = ? AND id <= (
         SELECT id FROM chat_memory WHERE sessionId = ? AND namespace = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`,
    );
    this.#clear = db.prepare('DELETE FROM chat_memory WHERE sessionId = ?');
    this.#appendMany = db.transaction((sessionId: string, namespace: string, messages: readonly string[], keep) => {
      const at = new Date().toISOString();
      for (const message of messages) this.#insert.run(sessionId, namespace, message, at);
      this.#prune.run(sessionId, namespace, sessionId, namespace, keep);
    });
  }

  /** The latest `limit` messages of a session's namespace, oldest first. */
  read(sessionId: string, namespace: string, limit: number): string[] {
    return (this.#select.all(sessionId, namespace, limit) as { message: string }[]).map((row) => row.message);
  }

  /** Appends messages in one transaction, then drops all but the latest `keep` of the session's namespace. */
  append(sessionId: string, namespace: string, messages: readonly string[], keep: number): void {
    this.#appendMany(sessionId, namespace, messages, keep);
  }

  /** Forgets a session in every namespace. */
  clear(sessionId: string): void {
    this.#clear.run(sessionId);
  }
}
