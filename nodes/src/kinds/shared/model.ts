import { AppError, type ChatMessage, type ParamSpec } from '../../spec/index.js';

/**
 * Which model provider answers (Settings: OpenAI or any OpenAI-compatible server), by id; empty is the default one:
 * the environment's (OPENAI_API_KEY / OPENAI_BASE_URL), else the one set in the editor first.
 */
export const providerParam = {
  name: 'provider',
  kind: 'provider',
  default: '',
  description: 'The model provider (set in Settings); empty uses the default one.',
} as const satisfies ParamSpec;

/** The `provider` field of a chat request: only when one is named, so requests without it stay as they were. */
export function providerOf(provider: string | undefined): { provider?: string } {
  return provider ? { provider } : {};
}

/** The model choice, shared by every kind that calls a chat model. */
export const modelParam = {
  name: 'model',
  kind: 'model',
  default: 'gpt-4o-mini',
  required: true,
  overridable: true,
  description: 'Model name as the OpenAI-compatible server knows it.',
} as const satisfies ParamSpec;

export const temperatureParam = {
  name: 'temperature',
  kind: 'number',
  default: 0.7,
  min: 0,
  max: 2,
  overridable: true,
  description: 'Sampling temperature: 0 is most deterministic.',
} as const satisfies ParamSpec;

export const maxTokensParam = {
  name: 'maxTokens',
  kind: 'number',
  min: 1,
  max: 1_000_000,
  integer: true,
  description: 'Upper bound on generated tokens; empty leaves it to the model.',
} as const satisfies ParamSpec;

export const systemParam = {
  name: 'system',
  kind: 'text',
  default: '',
  description: 'System message sent before the conversation.',
} as const satisfies ParamSpec;

/**
 * The conversation a chat-model kind sends: its system message, the `messages` input, then the `prompt` input as the
 * last user message. Throws NODE_INPUT_INVALID when there is nothing but a system message to send.
 */
export function chatMessages(
  kind: string,
  system: string | undefined,
  inputs: { messages?: readonly ChatMessage[]; prompt?: string },
): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (system) messages.push({ role: 'system', content: system });
  if (inputs.messages) messages.push(...inputs.messages);
  if (inputs.prompt !== undefined) messages.push({ role: 'user', content: inputs.prompt });
  if (messages.length === 0 || messages.every((m) => m.role === 'system')) {
    throw new AppError('NODE_INPUT_INVALID', `${kind} needs a prompt or messages input`);
  }
  return messages;
}
