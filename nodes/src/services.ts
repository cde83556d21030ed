import type { NodeContext } from './define.js';
import type { ChatMessage, Document, ToolRef, Usage, Values } from './spec/index.js';

/** A chat completion request, provider-neutral (OpenAI wire semantics). */
export interface ChatRequest {
  /** The model provider by id (`GET /api/settings/providers`); absent or empty: the default provider. */
  provider?: string;
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
  /** `local` or `openai:<model>`; unset: the embedder the collection was built with. Another → EMBEDDER_MISMATCH. */
  embedder?: string;
}

/** A vector store (Chroma). */
export interface VectorService {
  upsert(
    collection: string,
    documents: Document[],
    options: { signal: AbortSignal; embedder?: string },
  ): Promise<{ upserted: number; embedder?: string; usage?: Usage }>;
  query(query: VectorQuery, options: { signal: AbortSignal }): Promise<Document[]>;
}

/** How the `ingest` node cuts documents into chunks. Sizes count characters. */
export interface SplitOptions {
  splitter: 'recursive' | 'markdown';
  chunkSize: number;
  chunkOverlap: number;
}

/** Loading and splitting documents for ingestion. */
export interface DocumentService {
  /** A file uploaded through the API, by id, as one document (text plus `source`, `type`, `fileId` metadata). */
  load(fileId: string, options: { signal: AbortSignal }): Promise<Document>;
  /**
   * Splits a document into chunks. Each chunk's id is a hash of its source and text (so ingesting the same
   * document twice stores it once) and its metadata adds `source`, `chunk` and, for markdown, `headingPath`.
   */
  split(document: Document, options: SplitOptions): Document[];
}

/** Runs another flow (subflow, map, tool-flow). */
export interface FlowRunner {
  run(flowId: string, inputs: Values, options: FlowRunOptions): Promise<Values>;
  /** A saved flow's inputs and outputs (tool-flow derives its parameters from them). Throws FLOW_NOT_FOUND. */
  describe?(flowId: string): Promise<FlowDescription>;
}

/** Options of a nested flow run. */
export interface FlowRunOptions {
  signal: AbortSignal;
  parentSpanId?: string;
  /** Nesting depth of the new run (the caller's `ctx.request.depth` + 1); the runner refuses it past its limit. */
  depth?: number;
  /** Request values passed on to the nested run (e.g. `sessionId`). */
  request?: { sessionId?: string; [key: string]: unknown };
  /** Receives the nested run's model usage, so the calling node counts it. */
  onUsage?: (usage: Usage, costUsd: number) => void;
}

/** The public face of a saved flow: what it takes and what it gives. */
export interface FlowDescription {
  id: string;
  name: string;
  description?: string;
  inputs: { name: string; dataType: string; required: boolean; description?: string; default?: unknown }[];
  outputs: { name: string }[];
}

/** Calls tool nodes on behalf of a node (function-call): the engine runs the tool node's `invoke` as a child span. */
export interface ToolService {
  invoke(ref: ToolRef, args: Record<string, unknown>, caller: NodeContext): Promise<unknown>;
}

/** Options of one sandboxed script run. */
export interface SandboxRunOptions {
  signal: AbortSignal;
  /** Wall-clock limit; past it the script is interrupted (SANDBOX_TIMEOUT). */
  timeoutMs?: number;
  /** Heap limit; past it the script fails (SANDBOX_MEMORY). */
  memoryBytes?: number;
  /** Receives each `console.log` line of the script. */
  onLog?: (line: string) => void;
  /**
   * Whom the script runs for (the run service sets its root run's id): scripts of different keys share the sandbox
   * fairly, so one run's long scripts cannot hold every worker. Unset: a key of its own.
   */
  key?: string;
}

/**
 * Untrusted JavaScript in an isolated engine (QuickJS): no file system, network, process or modules.
 * `code` is the body of an async function whose parameters are the keys of `args` (JSON values); its return value
 * comes back as JSON. Fails with SANDBOX_ERROR (with the line), SANDBOX_TIMEOUT or SANDBOX_MEMORY.
 */
export interface SandboxService {
  run(code: string, args: Record<string, unknown>, options: SandboxRunOptions): Promise<unknown>;
}

/** An outgoing HTTP request (http, tool-http). */
export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
  /** Largest response body accepted, in bytes. */
  maxBytes?: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The final URL, after redirects. */
  url: string;
}

/**
 * HTTP with an SSRF guard: private, loopback and link-local addresses are refused after DNS resolution
 * (HTTP_ADDRESS_BLOCKED) unless the operator allows them. Network failures are HTTP_REQUEST_FAILED.
 */
export interface HttpService {
  request(request: HttpRequest, options: { signal: AbortSignal }): Promise<HttpResponse>;
}

/** Chat history per session (memory node). */
export interface MemoryService {
  /** The last `limit` messages of a session, oldest first. */
  read(sessionId: string, options: { namespace: string; limit: number }): Promise<ChatMessage[]>;
  append(sessionId: string, messages: ChatMessage[], options: { namespace: string }): Promise<void>;
}

/**
 * Everything a node may reach outside itself. The runtime builds these; kind files never import
 * `openai`, `chromadb` or `node:*`. Optional services are absent where the runtime has not configured them.
 */
export interface NodeServices {
  llm: LlmService;
  embeddings?: EmbeddingService;
  vectors?: VectorService;
  documents?: DocumentService;
  flows?: FlowRunner;
  /** Given by the engine per run. */
  tools?: ToolService;
  sandbox?: SandboxService;
  http?: HttpService;
  memory?: MemoryService;
  /** Further services registered by the runtime (sandbox, http, memory, …), looked up by name. */
  [name: string]: unknown;
}
