import type Database from 'better-sqlite3';
import type { MemoryTable } from './types.js';

/** The `chat_memory` table (migration 6; also created here, so the table works on a bare database). */
export const CHAT_MEMORY_SCHEMA = `
  CREATE TABLE IF NOT EXISTS chat_memory (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sessionId TEXT NOT NULL,
    namespace TEXT NOT NULL,
    message TEXT NOT NULL,
    createdAt TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS chat_memory_by_session ON chat_memory (sessionId, namespace, id);
`;

/** The `chat_memory` table in SQLite: chat messages (JSON) per session and namespace, for the memory node. */
export class SqliteMemoryTable implements MemoryTable {
  readonly #select: Database.Statement;
  readonly #insert: Database.Statement;
  readonly #prune: Database.Statement;
  readonly #clear: Database.Statement;
  readonly #appendMany: (sessionId: string, namespace: string, messages: readonly string[], keep: number) => void;

  constructor(db: Database.Database) {
    db.exec(CHAT_MEMORY_SCHEMA);
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

  async read(sessionId: string, namespace: string, limit: number): Promise<string[]> {
    return (this.#select.all(sessionId, namespace, limit) as { message: string }[]).map((row) => row.message);
  }

  async append(sessionId: string, namespace: string, messages: readonly string[], keep: number): Promise<void> {
    this.#appendMany(sessionId, namespace, messages, keep);
  }

  async clear(sessionId: string): Promise<void> {
    this.#clear.run(sessionId);
  }
}
