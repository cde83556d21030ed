import { AppError, type ChatMessage, type MemoryService } from '@flowloom/nodes';
import type Database from 'better-sqlite3';

/** Limits of stored chat history. */
export interface MemoryConfig {
  /** Messages kept per session and namespace; older ones are pruned on append. */
  maxMessagesPerSession?: number;
}

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

const ROLES = new Set(['system', 'user', 'assistant', 'tool']);
const MAX_KEY_LENGTH = 200;

function checkKey(kind: string, value: string): void {
  if (typeof value !== 'string' || value === '' || value.length > MAX_KEY_LENGTH) {
    throw new AppError(
      'NODE_INPUT_INVALID',
      `${kind} must be a non-empty string of at most ${MAX_KEY_LENGTH} characters`,
    );
  }
}

/** Chat history per session in SQLite (the store's database), for the memory node. */
export class SqliteMemory implements MemoryService {
  readonly #select: Database.Statement;
  readonly #insert: Database.Statement;
  readonly #prune: Database.Statement;
  readonly #clear: Database.Statement;
  readonly #appendMany: (sessionId: string, namespace: string, messages: ChatMessage[]) => void;

  constructor(db: Database.Database, config: MemoryConfig = {}) {
    db.exec(SCHEMA);
    const keep = config.maxMessagesPerSession ?? 10_000;
    this.#select = db.prepare(
      `SELECT message FROM (SELECT id, message FROM chat_memory WHERE sessionId = ? AND namespace = ? ORDER BY id DESC LIMIT ?)
       ORDER BY id ASC`,
    );
    this.#insert = db.prepare('INSERT INTO chat_memory (sessionId, namespace, message, createdAt) VALUES (?, ?, ?, ?)');
    this.#prune = db.prepare(
      `DELETE FROM chat_memory WHERE sessionId = ? AND namespace = ? AND id <= (
         SELECT id FROM chat_memory WHERE sessionId = ? AND namespace = ? ORDER BY id DESC LIMIT 1 OFFSET ${keep})`,
    );
    this.#clear = db.prepare('DELETE FROM chat_memory WHERE sessionId = ?');
    this.#appendMany = db.transaction((sessionId: string, namespace: string, messages: ChatMessage[]) => {
      const at = new Date().toISOString();
      for (const message of messages) this.#insert.run(sessionId, namespace, JSON.stringify(message), at);
      this.#prune.run(sessionId, namespace, sessionId, namespace);
    });
  }

  async read(sessionId: string, options: { namespace: string; limit: number }): Promise<ChatMessage[]> {
    checkKey('sessionId', sessionId);
    checkKey('namespace', options.namespace);
    const limit = Math.max(0, Math.floor(options.limit));
    if (limit === 0) return [];
    const rows = this.#select.all(sessionId, options.namespace, limit) as { message: string }[];
    return rows.map((row) => JSON.parse(row.message) as ChatMessage);
  }

  async append(sessionId: string, messages: ChatMessage[], options: { namespace: string }): Promise<void> {
    checkKey('sessionId', sessionId);
    checkKey('namespace', options.namespace);
    for (const message of messages) {
      if (!message || typeof message !== 'object' || !ROLES.has(message.role)) {
        throw new AppError('NODE_INPUT_INVALID', 'each message needs a role of system, user, assistant or tool');
      }
    }
    if (messages.length > 0) this.#appendMany(sessionId, options.namespace, messages);
  }

  /** Forgets a session's history in every namespace. */
  async clear(sessionId: string): Promise<void> {
    this.#clear.run(sessionId);
  }
}

/** The memory service on an open SQLite database (e.g. `store.db`). */
export function createMemoryService(db: Database.Database, config: MemoryConfig = {}): SqliteMemory {
  return new SqliteMemory(db, config);
}
