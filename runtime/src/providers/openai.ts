import {
  AppError,
  type ChatMessage,
  type ChatOptions,
  type ChatRequest,
  type ChatResult,
  type LlmService,
  type ToolCall,
  type Usage,
} from '@flowloom/nodes';
import OpenAI, { APIError } from 'openai';
import type {
  ChatCompletionCreateParamsBase,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import { DEFAULT_MAX_ANSWER_BYTES, guardedFetch, providerCause, quote, type StreamProbe } from './answer-guard.js';
import { costOf } from './prices.js';

/** Where the models are: OpenAI itself (an API key) or any OpenAI-compatible server (a base URL). */
export interface OpenAIConfig {
  apiKey?: string;
  baseURL?: string;
  defaultHeaders?: Record<string, string>;
  /** The largest answer taken, streamed or not (FLOWLOOM_MAX_ANSWER_BYTES; default 4 MiB). */
  maxAnswerBytes?: number;
}

export interface EmbedOptions {
  signal: AbortSignal;
  /** Default `text-embedding-3-small`. */
  model?: string;
}

export interface EmbedResult {
  vectors: number[][];
  usage: Usage;
  model: string;
  costUsd: number;
}

/** The chat models of LlmService plus embeddings, both through one `openai` client. */
export interface OpenAIService extends LlmService {
  /** False when neither an API key nor a base URL is set: every call then throws PROVIDER_NOT_CONFIGURED. */
  readonly isConfigured: boolean;
  embed(texts: string[], options: EmbedOptions): Promise<EmbedResult>;
  /** The model ids the server lists (`GET /models`), sorted. */
  models(options: { signal: AbortSignal }): Promise<string[]>;
}

export const DEFAULT_EMBEDDING_MODEL = 'text-embedding-3-small';
const OPENAI_URL = 'https://api.openai.com/v1';

const NOT_CONFIGURED =
  'No model provider is configured: set OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL (any OpenAI-compatible server, ' +
  'e.g. a local model server) and restart Flowloom.';

/**
 * Builds the model service on the official `openai` SDK. The client is created once; `maxRetries: 0` because the
 * engine owns retry (it sees `retryable` on the AppErrors thrown here). An abort stops the HTTP request at once and
 * rethrows the signal's reason.
 */
export function createLlmService(config: OpenAIConfig): OpenAIService {
  if (!config.apiKey && !config.baseURL) {
    const fail = async (): Promise<never> => {
      throw new AppError('PROVIDER_NOT_CONFIGURED', NOT_CONFIGURED);
    };
    return { isConfigured: false, chat: fail, embed: fail, models: fail };
  }
  const isOpenAI = !config.baseURL;
  const probes = new WeakMap<Response, StreamProbe>();
  const client = new OpenAI({
    // Explicit values everywhere: the SDK would otherwise read OPENAI_* from process.env behind our back.
    apiKey: config.apiKey ?? 'not-needed',
    baseURL: config.baseURL ?? OPENAI_URL,
    organization: null,
    project: null,
    defaultHeaders: config.defaultHeaders,
    maxRetries: 0,
    // What a provider answers is checked before the SDK reads it (garbage with status 200, size).
    fetch: guardedFetch(config.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES, probes),
    // The SDK would print unparsable stream events to the console; they become errors here instead.
    logLevel: 'off',
  });

  async function chat(request: ChatRequest, options: ChatOptions): Promise<ChatResult> {
    const { signal, onDelta } = options;
    const params: ChatCompletionCreateParamsBase = {
      model: request.model,
      messages: request.messages as ChatCompletionMessageParam[],
    };
    if (request.temperature !== undefined) params.temperature = request.temperature;
    if (request.maxTokens !== undefined) {
      // OpenAI's newer models only take max_completion_tokens; compatible servers mostly know max_tokens.
      if (isOpenAI) params.max_completion_tokens = request.maxTokens;
      else params.max_tokens = request.maxTokens;
    }
    if (request.tools && request.tools.length > 0) params.tools = request.tools.map(toTool);
    if (request.responseFormat) {
      params.response_format = request.responseFormat as unknown as ChatCompletionCreateParamsBase['response_format'];
    }
    try {
      return onDelta ? await streamed(params, signal, onDelta) : await plain(params, signal);
    } catch (err) {
      throw toProviderError(err, signal);
    }
  }

  async function plain(params: ChatCompletionCreateParamsBase, signal: AbortSignal): Promise<ChatResult> {
    const completion = await client.chat.completions.create({ ...params, stream: false }, { signal });
    const choices: unknown = (completion as { choices?: unknown }).choices;
    if (!Array.isArray(choices)) throw notACompletion('answer', completion);
    const choice = choices[0] as OpenAI.Chat.Completions.ChatCompletion.Choice | undefined;
    if (!choice) throw new AppError('PROVIDER_ERROR', 'The model provider answered with no choices');
    if (!isObject(choice) || !isObject(choice.message)) throw notACompletion('answer', completion);
    const message: ChatMessage = { role: 'assistant', content: choice.message.content ?? null };
    const toolCalls = choice.message.tool_calls?.filter((call) => call.type === 'function');
    if (toolCalls && toolCalls.length > 0) {
      message.tool_calls = toolCalls.map((call) => ({
        id: call.id,
        type: 'function',
        function: { name: call.function.name, arguments: call.function.arguments },
      }));
    }
    const usage = toUsage(completion.usage);
    const model = completion.model || params.model;
    return { message, usage, model, costUsd: costOf(model, usage), finishReason: choice.finish_reason ?? 'stop' };
  }

  async function streamed(
    params: ChatCompletionCreateParamsBase,
    signal: AbortSignal,
    onDelta: (text: string) => void,
  ): Promise<ChatResult> {
    const { data: stream, response } = await client.chat.completions
      .create({ ...params, stream: true, stream_options: { include_usage: true } }, { signal })
      .withResponse();
    const probe = probes.get(response);
    let chunks = 0;
    let hasFinish = false;
    let content = '';
    let hasContent = false;
    let finishReason = 'stop';
    let model = params.model;
    let usage: Usage = { promptTokens: 0, completionTokens: 0 };
    const toolCalls: ToolCall[] = [];
    try {
      for await (const chunk of stream) {
        if (!isObject(chunk) || !Array.isArray((chunk as { choices?: unknown }).choices)) {
          throw notACompletion('stream event', chunk);
        }
        chunks++;
        if (chunk.usage) usage = toUsage(chunk.usage);
        if (chunk.model) model = chunk.model;
        const choice = chunk.choices[0];
        if (!choice) continue;
        const delta = choice.delta;
        if (delta.content) {
          content += delta.content;
          hasContent = true;
          onDelta(delta.content);
        }
        if (delta.tool_calls) {
          for (const part of delta.tool_calls) {
            let call = toolCalls[part.index];
            if (!call) {
              call = { id: '', type: 'function', function: { name: '', arguments: '' } };
              toolCalls[part.index] = call;
            }
            if (part.id) call.id = part.id;
            const name = part.function?.name;
            // OpenAI sends the name once; some compatible servers repeat it on every chunk.
            if (name && call.function.name !== name) call.function.name += name;
            if (part.function?.arguments) call.function.arguments += part.function.arguments;
          }
        }
        if (choice.finish_reason) {
          finishReason = choice.finish_reason;
          hasFinish = true;
        }
      }
    } catch (err) {
      if (err instanceof SyntaxError && !signal.aborted) {
        throw new AppError(
          'PROVIDER_ERROR',
          `The model provider's stream holds an event that is not JSON (${err.message}): ${quote(probe?.sample ?? '')}`,
          { cause: err },
        );
      }
      throw err;
    }
    // The SDK ends the iteration quietly when the signal aborts.
    if (signal.aborted) throw signal.reason;
    // An answer is whole once it said why it finished, or sent the end marker: anything else was cut off.
    if (chunks === 0 || !(hasFinish || probe?.hasDone)) {
      const seen = probe && probe.bytes > 0 ? `${probe.bytes} bytes: ${quote(probe.sample)}` : 'an empty body';
      const why =
        chunks === 0
          ? `a stream with no chat completion chunks (${seen})`
          : `a stream that ended without a finish_reason or data: [DONE] after ${chunks} chunks: the answer is truncated`;
      throw new AppError('PROVIDER_ERROR', `The model provider answered with ${why}`);
    }
    const message: ChatMessage = { role: 'assistant', content: hasContent || toolCalls.length === 0 ? content : null };
    const calls = toolCalls.filter(Boolean);
    if (calls.length > 0) message.tool_calls = calls;
    return { message, usage, model, costUsd: costOf(model, usage), finishReason };
  }

  async function embed(texts: string[], options: EmbedOptions): Promise<EmbedResult> {
    const model = options.model ?? DEFAULT_EMBEDDING_MODEL;
    const { signal } = options;
    try {
      // 'float': not every compatible server speaks the SDK's default base64 encoding.
      const answer = await client.embeddings.create({ model, input: texts, encoding_format: 'float' }, { signal });
      if (!Array.isArray((answer as { data?: unknown }).data)) throw notACompletion('embeddings answer', answer);
      const vectors = new Array<number[]>(texts.length);
      for (const item of answer.data) vectors[item.index] = item.embedding;
      const usage: Usage = { promptTokens: answer.usage?.prompt_tokens ?? 0, completionTokens: 0 };
      return { vectors, usage, model, costUsd: costOf(model, usage) };
    } catch (err) {
      throw toProviderError(err, signal);
    }
  }

  async function models(options: { signal: AbortSignal }): Promise<string[]> {
    try {
      const ids: string[] = [];
      for await (const model of client.models.list({ signal: options.signal })) {
        if (typeof model?.id !== 'string') throw notACompletion('models answer', model);
        ids.push(model.id);
        // A server that lists without end is not a list of models.
        if (ids.length >= 5000) break;
      }
      return ids.sort();
    } catch (err) {
      throw toProviderError(err, options.signal);
    }
  }

  return { isConfigured: true, chat, embed, models };
}

/** Embeddings only, e.g. for the RAG helpers: `(model, texts, signal)` on the same SDK wiring and error mapping. */
export function createOpenAIEmbeddings(config: OpenAIConfig) {
  const service = createLlmService(config);
  return (model: string, texts: string[], signal: AbortSignal) => service.embed(texts, { signal, model });
}

function toTool(tool: { name: string; description: string; parameters: Record<string, unknown> }): ChatCompletionTool {
  return {
    type: 'function',
    function: { name: tool.name, description: tool.description, parameters: tool.parameters },
  };
}

function toUsage(usage: { prompt_tokens?: number; completion_tokens?: number } | null | undefined): Usage {
  return { promptTokens: usage?.prompt_tokens ?? 0, completionTokens: usage?.completion_tokens ?? 0 };
}

/**
 * Maps whatever the SDK threw to what the engine understands: the abort reason on abort; 429 → rate limited and
 * 408/409/5xx/connection failures → unavailable (both retryable); other 4xx → PROVIDER_ERROR with the provider's
 * message. AppErrors pass through.
 */
export function toProviderError(err: unknown, signal?: AbortSignal): unknown {
  if (signal?.aborted) return signal.reason;
  const cause = providerCause(err);
  if (cause) return cause;
  if (err instanceof APIError && err.status !== undefined) {
    const status = err.status;
    const providerMessage = errorMessage(err);
    const retryAfterMs = retryAfter(err.headers);
    const details = [
      retryAfterMs === undefined ? { providerStatus: status } : { providerStatus: status, retryAfterMs },
    ];
    if (status === 429) {
      return new AppError('PROVIDER_RATE_LIMITED', `The model provider is rate limiting requests: ${providerMessage}`, {
        status: 429,
        details,
        cause: err,
        retryable: true,
      });
    }
    if (status >= 500 || status === 408 || status === 409) {
      return new AppError('PROVIDER_UNAVAILABLE', `The model provider failed (${status}): ${providerMessage}`, {
        status: 502,
        details,
        cause: err,
        retryable: true,
      });
    }
    return new AppError('PROVIDER_ERROR', `The model provider refused the request (${status}): ${providerMessage}`, {
      status: 502,
      details,
      cause: err,
    });
  }
  // No HTTP status: the connection failed (refused, reset, cut mid-stream, DNS, SDK timeout).
  const reason = err instanceof Error ? connectionReason(err) : String(err);
  return new AppError('PROVIDER_UNAVAILABLE', `Could not reach the model provider: ${reason}`, {
    status: 502,
    cause: err,
    retryable: true,
  });
}

function errorMessage(err: APIError): string {
  const body = err.error as { message?: unknown } | undefined;
  return typeof body?.message === 'string' && body.message !== '' ? body.message : err.message;
}

function retryAfter(headers: Headers | undefined): number | undefined {
  const ms = Number(headers?.get('retry-after-ms') ?? Number.NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const seconds = Number(headers?.get('retry-after') ?? Number.NaN);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

/** The innermost useful message of a connection error chain (`fetch failed` → `ECONNREFUSED ...`). */
function connectionReason(err: Error): string {
  let current: unknown = err;
  let message = err.message;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    message =
      typeof code === 'string' && !current.message.includes(code) ? `${current.message} (${code})` : current.message;
    current = current.cause;
  }
  return message;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** PROVIDER_ERROR for JSON that is not what the endpoint answers, quoting it. */
function notACompletion(what: string, value: unknown): AppError {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return new AppError(
    'PROVIDER_ERROR',
    `The model provider's ${what} is not what the OpenAI API answers: ${quote(text)}`,
  );
}
