import { AppError, type ChatMessage, type FlowFile, type ToolRef, type TraceEvent } from '@flowloom/nodes';
import type { ExportQuery, ExportRun, Store } from '../store/types.js';
import {
  assertValidExample,
  type PreferenceExample,
  type SupervisedExample,
  type TrainingExample,
  type TrainingMessage,
  type TrainingTool,
} from './format.js';
import { exampleTokens } from './tokens.js';

/** `openai-sft`: supervised chat examples; `openai-dpo`: preference pairs. */
export type ExportFormat = 'openai-sft' | 'openai-dpo';

export interface ExportRequest extends ExportQuery {
  format: ExportFormat;
  /** Only runs whose mean feedback score is at least this (runs without feedback are left out when set). */
  minScore?: number;
}

/** What an export holds: the JSONL text (one checked example a line) and its counts. */
export interface ExportResult {
  jsonl: string;
  examples: number;
  /** Tokens of every example under its model's encoding (js-tiktoken). */
  tokens: number;
  /** The most tokens in one example (OpenAI refuses examples past a model's context). */
  maxExampleTokens: number;
  runs: number;
}

/** One model call of a run, as its node sent and received it. */
interface ModelCall {
  runId: string;
  nodeId: string;
  model: string;
  /** Every message sent, the system prompt first. */
  prompt: TrainingMessage[];
  /** What the node's model calls produced: tool calls, tool results, the final answer. */
  produced: TrainingMessage[];
  tools: TrainingTool[];
  feedbackMean: number | null;
}

/** The span id in an event's JSON (ids are `s_` and base-36 digits: no escaping). */
const SPAN_ID = /"spanId":"([^"]+)"/;

function isMessage(value: unknown): value is ChatMessage {
  return typeof value === 'object' && value !== null && typeof (value as ChatMessage).role === 'string';
}

function toTraining(message: ChatMessage): TrainingMessage {
  const out: TrainingMessage = { role: message.role, content: message.content ?? null };
  if (message.tool_calls && message.tool_calls.length > 0) {
    out.tool_calls = message.tool_calls.map((call) => ({
      id: call.id,
      type: 'function' as const,
      function: { name: call.function.name, arguments: call.function.arguments },
    }));
  }
  if (message.tool_call_id !== undefined) out.tool_call_id = message.tool_call_id;
  if (message.role !== 'assistant' && message.content === null) out.content = '';
  return out;
}

function toolOf(value: unknown): TrainingTool | undefined {
  const ref = value as Partial<ToolRef> | null;
  if (!ref || typeof ref.name !== 'string') return undefined;
  return {
    type: 'function',
    function: {
      name: ref.name,
      ...(typeof ref.description === 'string' && ref.description !== '' && { description: ref.description }),
      ...(ref.parameters && { parameters: ref.parameters }),
    },
  };
}

/**
 * The model calls of a run: each `llm` or `function-call` node execution (a node.completed naming a `model`), with
 * the exact messages it sent (the node's `system` param from the flow version that ran, the messages input, the
 * prompt) and what it produced (from its `messages` output: tool calls and their results included), and the tools
 * it offered (its `tools` input).
 */
function modelCalls(run: ExportRun, flow: FlowFile | undefined): ModelCall[] {
  // Most events are of nodes that call no model: only the model calls' events are parsed (a run's events are the
  // bulk of an export's time). The started events are kept as text by span id until their node turns out to be one.
  const started = new Map<string, string>();
  const calls: ModelCall[] = [];
  for (const json of run.events) {
    const spanId = SPAN_ID.exec(json)?.[1];
    if (spanId === undefined) continue;
    if (json.includes('"type":"node.started"')) {
      started.set(spanId, json);
      continue;
    }
    if (!json.includes('"model":')) continue;
    const event = JSON.parse(json) as TraceEvent;
    if (event.type !== 'node.completed' || !event.data.model || !event.nodeId) continue;
    const output = event.data.outputs?.messages;
    const startedJson = started.get(spanId);
    if (!Array.isArray(output) || startedJson === undefined) continue;
    const begin = JSON.parse(startedJson) as Extract<TraceEvent, { type: 'node.started' }>;
    const inputs = begin.data.inputs ?? {};
    const history = Array.isArray(inputs.messages) ? inputs.messages.filter(isMessage) : [];
    const prompt = typeof inputs.prompt === 'string' ? inputs.prompt : undefined;
    const system = flow?.nodes.find((node) => node.id === event.nodeId)?.params?.system;
    const sent: ChatMessage[] = [
      ...(typeof system === 'string' && system !== '' ? [{ role: 'system' as const, content: system }] : []),
      ...history,
      ...(prompt === undefined ? [] : [{ role: 'user' as const, content: prompt }]),
    ];
    // The node's messages output is what it sent (without system messages) followed by what its calls produced.
    const echoed = history.filter((m) => m.role !== 'system').length + (prompt === undefined ? 0 : 1);
    const produced = output.slice(echoed).filter(isMessage);
    if (!produced.some((m) => m.role === 'assistant')) continue;
    calls.push({
      runId: run.runId,
      nodeId: event.nodeId,
      model: event.data.model,
      prompt: sent.map(toTraining),
      produced: produced.map(toTraining),
      tools: (Array.isArray(inputs.tools) ? inputs.tools : []).map(toolOf).filter((t) => t !== undefined),
      feedbackMean: run.feedbackMean,
    });
  }
  return calls;
}

/** A supervised example: the messages sent (history assistant turns weight 0), then what was produced (weight 1). */
function supervised(call: ModelCall): SupervisedExample {
  const messages: TrainingMessage[] = [
    ...call.prompt.map((m) => (m.role === 'assistant' ? { ...m, weight: 0 as const } : m)),
    ...call.produced.map((m) => (m.role === 'assistant' ? { ...m, weight: 1 as const } : m)),
  ];
  return { messages, ...(call.tools.length > 0 && { tools: call.tools }) };
}

/** The final answer of a call: its last assistant message, as DPO wants it. */
function finalAnswer(call: ModelCall): TrainingMessage | undefined {
  const last = [...call.produced].reverse().find((m) => m.role === 'assistant' && typeof m.content === 'string');
  return last && { role: 'assistant', content: last.content };
}

/**
 * Preference pairs: calls of the same node with the same messages sent, one rated up (mean feedback above 0) and
 * one rated down (below 0), paired in order (each rated call in at most one pair).
 */
function preferencePairs(calls: ModelCall[]): { example: PreferenceExample; call: ModelCall }[] {
  const groups = new Map<string, { up: ModelCall[]; down: ModelCall[] }>();
  for (const call of calls) {
    if (call.feedbackMean === null || call.feedbackMean === 0) continue;
    const key = JSON.stringify([call.nodeId, call.prompt, call.tools]);
    const group = groups.get(key) ?? { up: [], down: [] };
    (call.feedbackMean > 0 ? group.up : group.down).push(call);
    groups.set(key, group);
  }
  const pairs: { example: PreferenceExample; call: ModelCall }[] = [];
  for (const { up, down } of groups.values()) {
    for (let i = 0; i < Math.min(up.length, down.length); i++) {
      const good = up[i] as ModelCall;
      const preferred = finalAnswer(good);
      const rejected = finalAnswer(down[i] as ModelCall);
      if (!preferred || !rejected || preferred.content === rejected.content) continue;
      pairs.push({
        call: good,
        example: {
          input: { messages: good.prompt, ...(good.tools.length > 0 && { tools: good.tools }) },
          preferred_output: [preferred],
          non_preferred_output: [rejected],
        },
      });
    }
  }
  return pairs;
}

/**
 * Exports completed runs as OpenAI fine-tuning JSONL (docs/contracts.md §7 `GET /api/runs/export`): supervised
 * examples (`openai-sft`) or preference pairs (`openai-dpo`), from every `llm` and `function-call` node (or `nodeId`)
 * of the runs that match. Every example is checked against OpenAI's format before it is written, and counted with the
 * model's tokenizer. Nothing matching is an empty file, not an error.
 */
export async function exportFineTuning(store: Store, request: ExportRequest): Promise<ExportResult> {
  if (request.since && request.until && request.since >= request.until) {
    throw new AppError('VALIDATION_FAILED', 'query.since must be before query.until', {
      details: [{ field: 'query.since', message: 'must be before query.until' }],
    });
  }
  const runs = await store.exportRuns(request);
  const flows = new Map<string, FlowFile | undefined>();
  const flowOf = async (run: ExportRun) => {
    const key = `${run.flowId}@${run.flowVersion ?? 'draft'}`;
    if (!flows.has(key)) {
      const flow =
        run.flowVersion === null
          ? (await store.getFlow(run.flowId))?.flow
          : ((await store.getFlowVersion(run.flowId, run.flowVersion))?.flow ??
            (await store.getFlow(run.flowId))?.flow);
      flows.set(key, flow);
    }
    return flows.get(key);
  };
  const calls: ModelCall[] = [];
  let used = 0;
  for (const run of runs) {
    if (request.minScore !== undefined && (run.feedbackMean === null || run.feedbackMean < request.minScore)) continue;
    const found = modelCalls(run, await flowOf(run));
    if (found.length > 0) used++;
    calls.push(...found);
  }
  const examples: { example: TrainingExample; call: ModelCall }[] =
    request.format === 'openai-sft'
      ? calls.map((call) => ({ example: supervised(call), call }))
      : preferencePairs(calls);
  const lines: string[] = [];
  let tokens = 0;
  let maxExampleTokens = 0;
  for (const { example, call } of examples) {
    assertValidExample(example, `run ${call.runId}, node ${call.nodeId}`);
    const count = exampleTokens(example, call.model);
    tokens += count;
    maxExampleTokens = Math.max(maxExampleTokens, count);
    lines.push(JSON.stringify(example));
  }
  return {
    jsonl: lines.length === 0 ? '' : `${lines.join('\n')}\n`,
    examples: lines.length,
    tokens,
    maxExampleTokens,
    runs: used,
  };
}
