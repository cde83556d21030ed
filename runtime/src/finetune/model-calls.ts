import type { ChatMessage, FlowFile, ToolRef, TraceEvent } from '@flowloom/nodes';
import type { ExportRun } from '../store/types.js';
import type { SupervisedExample, TrainingMessage, TrainingTool } from './format.js';

/** One model call of a run, as its node sent and received it. */
export interface ModelCall {
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

/** A chat message as a training message: the fields OpenAI's format knows, text content where one is needed. */
export function toTraining(message: ChatMessage): TrainingMessage {
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
 * it offered (its `tools` input). In the order they ended.
 */
export function modelCalls(run: ExportRun, flow: FlowFile | undefined): ModelCall[] {
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
export function supervised(call: ModelCall): SupervisedExample {
  const messages: TrainingMessage[] = [
    ...call.prompt.map((m) => (m.role === 'assistant' ? { ...m, weight: 0 as const } : m)),
    ...call.produced.map((m) => (m.role === 'assistant' ? { ...m, weight: 1 as const } : m)),
  ];
  return { messages, ...(call.tools.length > 0 && { tools: call.tools }) };
}

/** The final answer of a call: its last assistant message with text, as DPO wants it. */
export function finalAnswer(call: ModelCall): TrainingMessage | undefined {
  const last = [...call.produced].reverse().find((m) => m.role === 'assistant' && typeof m.content === 'string');
  return last && { role: 'assistant', content: last.content };
}
