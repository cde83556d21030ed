import { countTokens } from './directives.js';

/** The kind of examples in a fine-tuning file: chat examples (`supervised`) or preference pairs (`dpo`). */
export type TrainingFormat = 'supervised' | 'dpo';

/** What a valid training file holds. */
export interface TrainingSummary {
  /** `mixed` when both kinds of line occur (no job method accepts that). */
  format: TrainingFormat | 'mixed';
  examples: number;
  /** Whitespace word count of every message's content and tool call. */
  tokens: number;
}

/** The first problem in a file, with its 1-based line. */
export interface TrainingProblem {
  line: number;
  message: string;
}

const ROLES = ['system', 'developer', 'user', 'assistant', 'tool'];
const MESSAGE_KEYS = new Set(['role', 'content', 'name', 'weight', 'tool_calls', 'tool_call_id']);
const SUPERVISED_KEYS = new Set(['messages', 'tools', 'parallel_tool_calls']);
const DPO_KEYS = new Set(['input', 'preferred_output', 'non_preferred_output']);
const DPO_INPUT_KEYS = new Set(['messages', 'tools', 'parallel_tool_calls']);

/**
 * Checks a fine-tuning JSONL file as OpenAI's chat format describes it: one JSON object a line, either
 * `{messages, tools?, parallel_tool_calls?}` with at least one assistant message, or
 * `{input: {messages, tools?}, preferred_output, non_preferred_output}` whose outputs are assistant messages.
 * Messages have a known role, text content (parts of type `text`; `image_url` for users), `weight` 0 or 1 on
 * assistant messages only, well-formed `tool_calls`, and `tool_call_id` on tool messages; unknown keys are refused.
 * A final line break is allowed; blank lines elsewhere are not.
 */
export function checkTrainingFile(text: string): { summary: TrainingSummary } | { problem: TrainingProblem } {
  const lines = text.replace(/\r?\n$/, '').split(/\r?\n/);
  if (text.trim() === '') return { problem: { line: 1, message: 'the file holds no examples' } };
  const formats = new Set<TrainingFormat>();
  let tokens = 0;
  for (const [index, line] of lines.entries()) {
    const fail = (message: string) => ({ problem: { line: index + 1, message } });
    let example: unknown;
    try {
      example = JSON.parse(line);
    } catch (err) {
      return fail(`not valid JSON (${(err as Error).message})`);
    }
    if (!isObject(example)) return fail('expected a JSON object');
    const format: TrainingFormat = 'messages' in example ? 'supervised' : 'dpo';
    const problem = format === 'supervised' ? checkSupervised(example) : checkPreference(example);
    if (problem) return fail(problem);
    formats.add(format);
    tokens += countExampleTokens(example);
  }
  const format = formats.size > 1 ? 'mixed' : formats.has('dpo') ? 'dpo' : 'supervised';
  return { summary: { format, examples: lines.length, tokens } };
}

function checkSupervised(example: Record<string, unknown>): string | undefined {
  const unknown = unknownKey(example, SUPERVISED_KEYS);
  if (unknown) return unknown;
  const problem = checkMessages(example.messages, 'messages') ?? checkTools(example.tools);
  if (problem) return problem;
  if (!(example.messages as Record<string, unknown>[]).some((message) => message.role === 'assistant')) {
    return 'messages has no assistant message to learn from';
  }
  return undefined;
}

function checkPreference(example: Record<string, unknown>): string | undefined {
  if (!('input' in example)) {
    return 'an example needs `messages` (supervised) or `input`, `preferred_output` and `non_preferred_output` (dpo)';
  }
  const unknown = unknownKey(example, DPO_KEYS);
  if (unknown) return unknown;
  const input = example.input;
  if (!isObject(input)) return 'input must be an object with messages';
  const problem = unknownKey(input, DPO_INPUT_KEYS, 'input.') ?? checkMessages(input.messages, 'input.messages');
  if (problem) return problem;
  for (const key of ['preferred_output', 'non_preferred_output']) {
    const output = example[key];
    const outputProblem = checkMessages(output, key);
    if (outputProblem) return outputProblem;
    if ((output as Record<string, unknown>[]).some((message) => message.role !== 'assistant')) {
      return `${key} may hold only assistant messages`;
    }
  }
  return checkTools(input.tools, 'input.tools');
}

function checkMessages(messages: unknown, path: string): string | undefined {
  if (!Array.isArray(messages) || messages.length === 0) return `${path} must be a non-empty array`;
  for (const [index, message] of messages.entries()) {
    const at = `${path}[${index}]`;
    if (!isObject(message)) return `${at} must be an object`;
    const unknown = unknownKey(message, MESSAGE_KEYS, `${at}.`);
    if (unknown) return unknown;
    const role = message.role;
    if (typeof role !== 'string' || !ROLES.includes(role)) return `${at}.role must be one of ${ROLES.join(', ')}`;
    const hasToolCalls = message.tool_calls !== undefined;
    if (hasToolCalls && role !== 'assistant') return `${at}.tool_calls is allowed on assistant messages only`;
    if (hasToolCalls) {
      const problem = checkToolCalls(message.tool_calls, `${at}.tool_calls`);
      if (problem) return problem;
    }
    const contentProblem = checkContent(message.content, role, hasToolCalls, `${at}.content`);
    if (contentProblem) return contentProblem;
    if (message.weight !== undefined && (role !== 'assistant' || (message.weight !== 0 && message.weight !== 1))) {
      return `${at}.weight must be 0 or 1, on assistant messages only`;
    }
    if (role === 'tool' && typeof message.tool_call_id !== 'string') return `${at}.tool_call_id must be a string`;
    if (role !== 'tool' && message.tool_call_id !== undefined) return `${at}.tool_call_id is for tool messages only`;
    if (message.name !== undefined && typeof message.name !== 'string') return `${at}.name must be a string`;
  }
  return undefined;
}

function checkContent(content: unknown, role: string, hasToolCalls: boolean, at: string): string | undefined {
  if (typeof content === 'string') return undefined;
  if ((content === null || content === undefined) && hasToolCalls) return undefined;
  if (!Array.isArray(content)) return `${at} must be a string or an array of content parts`;
  for (const [index, part] of content.entries()) {
    const isText = isObject(part) && part.type === 'text' && typeof part.text === 'string';
    const isImage = isObject(part) && part.type === 'image_url' && isObject(part.image_url) && role === 'user';
    if (!isText && !isImage)
      return `${at}[${index}] must be a text part${role === 'user' ? ' or an image_url part' : ''}`;
  }
  return undefined;
}

function checkToolCalls(calls: unknown, path: string): string | undefined {
  if (!Array.isArray(calls) || calls.length === 0) return `${path} must be a non-empty array`;
  for (const [index, call] of calls.entries()) {
    const fn = isObject(call) ? call.function : undefined;
    if (
      !isObject(call) ||
      typeof call.id !== 'string' ||
      call.type !== 'function' ||
      !isObject(fn) ||
      typeof fn.name !== 'string' ||
      typeof fn.arguments !== 'string'
    ) {
      return `${path}[${index}] must be {id, type: "function", function: {name, arguments: string}}`;
    }
  }
  return undefined;
}

function checkTools(tools: unknown, path = 'tools'): string | undefined {
  if (tools === undefined) return undefined;
  if (!Array.isArray(tools)) return `${path} must be an array`;
  for (const [index, tool] of tools.entries()) {
    if (
      !isObject(tool) ||
      tool.type !== 'function' ||
      !isObject(tool.function) ||
      typeof tool.function.name !== 'string'
    ) {
      return `${path}[${index}] must be {type: "function", function: {name, description?, parameters?}}`;
    }
  }
  return undefined;
}

function unknownKey(value: Record<string, unknown>, known: Set<string>, prefix = ''): string | undefined {
  const key = Object.keys(value).find((name) => !known.has(name));
  return key === undefined ? undefined : `unknown key ${prefix}${key}`;
}

function countExampleTokens(example: unknown): number {
  if (typeof example === 'string') return countTokens(example);
  if (Array.isArray(example)) return example.reduce((sum: number, item) => sum + countExampleTokens(item), 0);
  if (!isObject(example)) return 0;
  let sum = 0;
  for (const [key, value] of Object.entries(example)) {
    if (key === 'role' || key === 'type' || key === 'id' || key === 'tool_call_id' || key === 'tools') continue;
    sum += countExampleTokens(value);
  }
  return sum;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
