import { AppError, type ChatMessage, type MemoryService } from '@flowloom/nodes';
import type { MemoryTable } from '../store/types.js';

/** Limits of stored chat history. */
export interface MemoryConfig {
  /** Messages kept per session and namespace; older ones are pruned on append. */
  maxMessagesPerSession?: number;
}

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

/** Chat history per session in the store (`chat_memory`), for the memory node. */
export class ChatMemory implements MemoryService {
  readonly #table: MemoryTable;
  readonly #keep: number;

  constructor(table: MemoryTable, config: MemoryConfig = {}) {
    this.#table = table;
    this.#keep = config.maxMessagesPerSession ?? 10_000;
  }

  async read(sessionId: string, options: { namespace: string; limit: number }): Promise<ChatMessage[]> {
    checkKey('sessionId', sessionId);
    checkKey('namespace', options.namespace);
    const limit = Math.max(0, Math.floor(options.limit));
    if (limit === 0) return [];
    const messages = await this.#table.read(sessionId, options.namespace, limit);
    return messages.map((message) => JSON.parse(message) as ChatMessage);
  }

  async append(sessionId: string, messages: ChatMessage[], options: { namespace: string }): Promise<void> {
    checkKey('sessionId', sessionId);
    checkKey('namespace', options.namespace);
    for (const message of messages) {
      if (!message || typeof message !== 'object' || !ROLES.has(message.role)) {
        throw new AppError('NODE_INPUT_INVALID', 'each message needs a role of system, user, assistant or tool');
      }
    }
    if (messages.length > 0) {
      const encoded = messages.map((message) => JSON.stringify(message));
      await this.#table.append(sessionId, options.namespace, encoded, this.#keep);
    }
  }

  /** Forgets a session's history in every namespace. */
  async clear(sessionId: string): Promise<void> {
    await this.#table.clear(sessionId);
  }
}

/** The memory service on the store's `chat_memory` table (`store.memory`). */
export function createMemoryService(table: MemoryTable, config: MemoryConfig = {}): ChatMemory {
  return new ChatMemory(table, config);
}
