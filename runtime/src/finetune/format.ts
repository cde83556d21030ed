import { AppError } from '@flowloom/nodes';

// OpenAI's fine-tuning JSONL (chat models): a supervised example is `{messages, tools?, parallel_tool_calls?}`, a
// preference pair (DPO) `{input: {messages, tools?}, preferred_output, non_preferred_output}`.

/** A message of a training example: the chat message shape, with `weight` (0 or 1) on assistant messages. */
export interface TrainingMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  content: string | null;
  tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
  name?: string;
  weight?: 0 | 1;
}

export interface TrainingTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
}

export interface SupervisedExample {
  messages: TrainingMessage[];
  tools?: TrainingTool[];
}

export interface PreferenceExample {
  input: { messages: TrainingMessage[]; tools?: TrainingTool[] };
  preferred_output: TrainingMessage[];
  non_preferred_output: TrainingMessage[];
}

export type TrainingExample = SupervisedExample | PreferenceExample;

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);
const MESSAGE_FIELDS = new Set(['role', 'content', 'tool_calls', 'tool_call_id', 'name', 'weight']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The first problem of a message list (`path` names it), or undefined. */
function messagesProblem(messages: unknown, path: string): string | undefined {
  if (!Array.isArray(messages) || messages.length === 0) return `${path} must be a non-empty array`;
  const callIds = new Set<string>();
  for (const [i, message] of messages.entries()) {
    const at = `${path}[${i}]`;
    if (!isRecord(message)) return `${at} must be an object`;
    const extra = Object.keys(message).find((key) => !MESSAGE_FIELDS.has(key));
    if (extra) return `${at} has an unknown field "${extra}"`;
    const { role, content } = message;
    if (typeof role !== 'string' || !ROLES.has(role)) return `${at}.role must be system, user, assistant or tool`;
    const calls = message.tool_calls;
    if (calls !== undefined) {
      if (role !== 'assistant') return `${at}.tool_calls is for assistant messages only`;
      if (!Array.isArray(calls) || calls.length === 0) return `${at}.tool_calls must be a non-empty array`;
      for (const [c, call] of calls.entries()) {
        const fn = isRecord(call) ? call.function : undefined;
        if (
          !isRecord(call) ||
          typeof call.id !== 'string' ||
          call.type !== 'function' ||
          !isRecord(fn) ||
          typeof fn.name !== 'string' ||
          typeof fn.arguments !== 'string'
        ) {
          return `${at}.tool_calls[${c}] must be {id, type: "function", function: {name, arguments}}`;
        }
        callIds.add(call.id);
      }
    }
    if (typeof content !== 'string' && !(calls !== undefined && (content === null || content === undefined))) {
      return `${at}.content must be a string`;
    }
    if (role === 'tool') {
      if (typeof message.tool_call_id !== 'string') return `${at}.tool_call_id must be a string`;
      if (!callIds.has(message.tool_call_id)) return `${at}.tool_call_id names no earlier tool call`;
    } else if (message.tool_call_id !== undefined) return `${at}.tool_call_id is for tool messages only`;
    if (message.weight !== undefined && (role !== 'assistant' || (message.weight !== 0 && message.weight !== 1))) {
      return `${at}.weight must be 0 or 1, on an assistant message`;
    }
  }
  return undefined;
}

function toolsProblem(tools: unknown, path: string): string | undefined {
  if (tools === undefined) return undefined;
  if (!Array.isArray(tools)) return `${path} must be an array`;
  for (const [i, tool] of tools.entries()) {
    if (!isRecord(tool) || tool.type !== 'function' || !isRecord(tool.function)) {
      return `${path}[${i}] must be {type: "function", function: {name, description?, parameters?}}`;
    }
    if (typeof tool.function.name !== 'string' || !/^[a-zA-Z0-9_-]{1,64}$/.test(tool.function.name)) {
      return `${path}[${i}].function.name must be 1 to 64 letters, digits, _ or -`;
    }
  }
  return undefined;
}

/**
 * The first way an example breaks OpenAI's fine-tuning format, or undefined when it fits: messages with known
 * roles and fields, text content (null only beside tool calls), tool calls answered by tool messages naming them,
 * `weight` 0 or 1 on assistant messages only, function tools; a supervised example has an assistant message with
 * weight 1 (or none) to learn from; a preference pair's outputs are single assistant messages.
 */
export function exampleProblem(example: unknown): string | undefined {
  if (!isRecord(example)) return 'an example must be a JSON object';
  if ('messages' in example) {
    const extra = Object.keys(example).find((key) => key !== 'messages' && key !== 'tools');
    if (extra) return `unknown field "${extra}"`;
    const problem = messagesProblem(example.messages, 'messages') ?? toolsProblem(example.tools, 'tools');
    if (problem) return problem;
    const learned = (example.messages as TrainingMessage[]).some((m) => m.role === 'assistant' && m.weight !== 0);
    return learned ? undefined : 'messages has no assistant message to learn from (weight 1)';
  }
  const extra = Object.keys(example).find(
    (key) => !['input', 'preferred_output', 'non_preferred_output'].includes(key),
  );
  if (extra) return `unknown field "${extra}"`;
  if (!isRecord(example.input)) return 'input must be an object with messages';
  const problem =
    messagesProblem(example.input.messages, 'input.messages') ?? toolsProblem(example.input.tools, 'input.tools');
  if (problem) return problem;
  for (const key of ['preferred_output', 'non_preferred_output']) {
    const output = example[key];
    const outputProblem = messagesProblem(output, key);
    if (outputProblem) return outputProblem;
    if ((output as TrainingMessage[]).length !== 1 || (output as TrainingMessage[])[0]?.role !== 'assistant') {
      return `${key} must be one assistant message`;
    }
  }
  return undefined;
}

/** Checks an example before it is written: INTERNAL naming the run and the problem when it does not fit. */
export function assertValidExample(example: TrainingExample, source: string): void {
  const problem = exampleProblem(example);
  if (problem) {
    throw new AppError('INTERNAL', `the fine-tuning example from ${source} does not fit OpenAI's format: ${problem}`);
  }
}
