/** Port data types (docs/contracts.md §2). */
export const DATA_TYPES = [
  'text',
  'number',
  'boolean',
  'json',
  'messages',
  'documents',
  'embedding',
  'tool',
  'any',
] as const;
export type DataType = (typeof DATA_TYPES)[number];

/** A retrieved or ingested piece of text. */
export interface Document {
  id: string;
  text: string;
  metadata: Record<string, unknown>;
  score?: number;
}

/** A tool call requested by a model, in OpenAI's wire shape. */
export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** One OpenAI chat message. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string | null;
  name?: string;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
}

/**
 * What a tool node outputs on its `tool` port: the schema the model sees, plus the node that answers the call.
 * The engine invokes `nodeId` when a model calls `name`.
 */
export interface ToolRef {
  name: string;
  description: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
  nodeId: string;
}

/** Port name → value. */
export type Values = Record<string, unknown>;

/** Token usage of one model call or a sum of them. */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

/** The TypeScript type carried by each port data type. */
export interface DataTypeMap {
  text: string;
  number: number;
  boolean: boolean;
  json: unknown;
  messages: ChatMessage[];
  documents: Document[];
  embedding: number[];
  tool: ToolRef;
  any: unknown;
}

/** Adds usage b into a, returning a new object. */
export function addUsage(a: Usage | undefined, b: Usage | undefined): Usage | undefined {
  if (!a) return b;
  if (!b) return a;
  return { promptTokens: a.promptTokens + b.promptTokens, completionTokens: a.completionTokens + b.completionTokens };
}
