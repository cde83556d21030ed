import type { NodeContext } from '../../define.js';
import type { ChatRequest, ChatResult, NodeServices } from '../../services.js';
import type { ChatMessage, Progress, Usage, Values } from '../../spec/index.js';

/** What a fake context recorded: logs, streamed text, usage and child spans. */
export interface FakeRecord {
  logs: { message: string; data?: unknown; progress?: Progress; spanId: string }[];
  deltas: string[];
  usage: Usage[];
  spans: { name: string; inputs: Values; outputs?: Values; error?: unknown; spanId: string; parentSpanId: string }[];
}

export interface FakeContextOptions {
  services?: Partial<NodeServices>;
  request?: NodeContext['request'];
  nodeId?: string;
  signal?: AbortSignal;
}

/**
 * A NodeContext for unit tests of kinds (STYLE §10): records what the kind did; `span` runs its function with a
 * child context that records into the same place. Not used by the runtime.
 */
export function fakeContext(options: FakeContextOptions = {}): { ctx: NodeContext; record: FakeRecord } {
  const record: FakeRecord = { logs: [], deltas: [], usage: [], spans: [] };
  let counter = 0;
  const services = {
    llm: { chat: async () => Promise.reject(new Error('no llm in this test')) },
    ...options.services,
  } as NodeServices;
  const signal = options.signal ?? new AbortController().signal;
  const make = (spanId: string): NodeContext => ({
    runId: 'r_test',
    flowId: 'test-flow',
    nodeId: options.nodeId ?? 'node',
    spanId,
    signal,
    services,
    request: options.request ?? {},
    delta: (text) => record.deltas.push(text),
    log: (message, data, progress) => record.logs.push({ message, data, progress, spanId }),
    addUsage: (usage) => record.usage.push(usage),
    span: async (name, inputs, fn) => {
      const entry: FakeRecord['spans'][number] = { name, inputs, spanId: `s_${++counter}`, parentSpanId: spanId };
      record.spans.push(entry);
      try {
        entry.outputs = await fn(make(entry.spanId));
        return entry.outputs as never;
      } catch (err) {
        entry.error = err;
        throw err;
      }
    },
  });
  return { ctx: make('s_0'), record };
}

/** A scripted chat model: answers the queued results in order and records each request. */
export function scriptedLlm(answers: Partial<ChatResult['message']>[]): {
  chat: (
    request: ChatRequest,
    options: { signal: AbortSignal; onDelta?: (text: string) => void },
  ) => Promise<ChatResult>;
  requests: { request: ChatRequest; signal: AbortSignal }[];
} {
  const requests: { request: ChatRequest; signal: AbortSignal }[] = [];
  return {
    requests,
    async chat(request, options) {
      // A snapshot: the caller keeps appending to its messages array.
      requests.push({ request: { ...request, messages: [...request.messages] }, signal: options.signal });
      const answer = answers.shift();
      if (!answer) throw new Error('the scripted model has no answer left');
      const message: ChatMessage = { role: 'assistant', content: null, ...answer };
      if (message.content) options.onDelta?.(message.content);
      return {
        message,
        usage: { promptTokens: 10, completionTokens: 5 },
        model: request.model,
        costUsd: 0.001,
        finishReason: 'stop',
      };
    },
  };
}
