import type { ChatMessage } from '@flowloom/nodes/spec';
import { create } from 'zustand';

export interface Turn {
  id: number;
  role: 'user' | 'assistant';
  text: string;
  isError?: boolean;
  meta?: string;
  /** The tools the answering run called (assistant turns), by name. */
  tools?: string[];
  /** The run that answered (assistant turns): feedback and "add to dataset" are about it. */
  runId?: string;
}

/** One flow's chat: its turns, its memory session, and the message waiting for its answer (with the run it began). */
export interface Conversation {
  turns: Turn[];
  sessionId: string;
  awaited: { runId: string | null } | null;
}

/** A fresh chat session id: each conversation has its own chat memory. */
export function newSessionId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(9));
  return `chat-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/**
 * The conversation so far as OpenAI chat messages, for a flow's history input: each question that got an answer, then
 * that answer. A question whose run failed is left out with its error, as if it had not been asked.
 */
export function historyMessages(turns: readonly Turn[]): ChatMessage[] {
  const messages: ChatMessage[] = [];
  turns.forEach((turn, i) => {
    const answer = turns[i + 1];
    if (turn.role !== 'user' || answer?.role !== 'assistant' || answer.isError) return;
    messages.push({ role: 'user', content: turn.text }, { role: 'assistant', content: answer.text });
  });
  return messages;
}

let turnId = 0;

interface Chats {
  /** Conversations by flow id, kept while the page lives: leaving the chat tab (or the flow) and coming back keeps it. */
  byFlow: Record<string, Conversation>;
  /** The flow's conversation, started (with a new session) if it has none. */
  ensure(flowId: string): Conversation;
  update(flowId: string, change: (conversation: Conversation) => Partial<Conversation>): void;
  addTurn(flowId: string, turn: Omit<Turn, 'id'>): void;
}

export const useChats = create<Chats>((set, get) => ({
  byFlow: {},
  ensure(flowId) {
    const existing = get().byFlow[flowId];
    if (existing) return existing;
    const created: Conversation = { turns: [], sessionId: newSessionId(), awaited: null };
    set((s) => ({ byFlow: { ...s.byFlow, [flowId]: created } }));
    return created;
  },
  update(flowId, change) {
    const current = get().ensure(flowId);
    set((s) => ({ byFlow: { ...s.byFlow, [flowId]: { ...current, ...change(current) } } }));
  },
  addTurn(flowId, turn) {
    get().update(flowId, (c) => ({ turns: [...c.turns, { ...turn, id: ++turnId }] }));
  },
}));
