import type { ChatMessage, Document, ToolRef, Usage, Values } from './spec/index.js';

/** A chat completion request, provider-neutral (OpenAI wire semantics). */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  maxTokens?: number;
  tools?: ToolRef[];
  /** OpenAI `response_format`, e.g. `{ type: 'json_schema', json_schema: {...} }`. */
  responseFormat?: Record<string, unknown>;
}

export interface ChatResult {
  message: ChatMessage;
  usage: Usage;
  model: string;
  costUsd: number;
  finishReason: string;
}

export interface ChatOptions {
  signal: AbortSignal;
  /** When set, the call streams and each text chunk is passed here as it arrives. */
  onDelta?: (text: string) => void;
}

/** Chat models behind any OpenAI-compatible server. */
export interface LlmService {
  chat(request: ChatRequest, options: ChatOptions): Promise<ChatResult>;
}

/** Text embeddings: a configured provider, or the built-in local embedder. */
export interface EmbeddingService {
  embed(
    texts: string[],
    options: { signal: AbortSignal; embedder?: string },
  ): Promise<{ vectors: number[][]; embedder: string; usage?: Usage }>;
}

export interface VectorQuery {
  collection: string;
  text: string;
  topK: number;
  where?: Record<string, unknown>;
  minScore?: number;
}

/** A vector store (Chroma). */
export interface VectorService {
  upsert(
    collection: string,
    documents: Document[],
    options: { signal: AbortSignal; embedder?: string },
  ): Promise<{ upserted: number }>;
  query(query: VectorQuery, options: { signal: AbortSignal }): Promise<Document[]>;
}

/** Runs another flow (subflow, map, tool-flow). */
export interface FlowRunner {
  run(flowId: string, inputs: Values, options: { signal: AbortSignal; parentSpanId?: string }): Promise<Values>;
}

/**
 * Everything a node may reach outside itself. The runtime builds these; kind files never import
 * `openai`, `chromadb` or `node:*`. Optional services are absent where the runtime has not configured them.
 */
export interface NodeServices {
  llm: LlmService;
  embeddings?: EmbeddingService;
  vectors?: VectorService;
  flows?: FlowRunner;
  /** Further services registered by the runtime (sandbox, http, memory, …), looked up by name. */
  [name: string]: unknown;
}
