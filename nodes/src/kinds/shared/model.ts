import type { ParamSpec } from '../../spec/index.js';

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
