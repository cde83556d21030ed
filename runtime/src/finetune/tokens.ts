import { Tiktoken } from 'js-tiktoken/lite';
import cl100k from 'js-tiktoken/ranks/cl100k_base';
import o200k from 'js-tiktoken/ranks/o200k_base';
import type { TrainingExample, TrainingMessage } from './format.js';

// Token counts with OpenAI's own encodings (js-tiktoken: the ranks ship in the package, nothing is downloaded).

let encoders: { o200k: Tiktoken; cl100k: Tiktoken } | undefined;

/** The encoding of a model: o200k_base for the GPT-4o, GPT-4.1, GPT-5 and o-series families, cl100k_base before. */
export function encodingFor(model: string): 'o200k' | 'cl100k' {
  const base = model.startsWith('ft:') ? (model.split(':')[1] ?? '') : model;
  return /^(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o\d|chatgpt-4o)/.test(base) ? 'o200k' : 'cl100k';
}

function encoder(model: string): Tiktoken {
  encoders ??= { o200k: new Tiktoken(o200k), cl100k: new Tiktoken(cl100k) };
  return encoders[encodingFor(model)];
}

/** Tokens of one text under a model's encoding. */
export function countTokens(text: string, model: string): number {
  return encoder(model).encode(text).length;
}

function messageTokens(message: TrainingMessage, model: string): number {
  // OpenAI's accounting for chat messages: 3 tokens of framing per message, plus its text and tool calls.
  let tokens = 3 + countTokens(message.content ?? '', model);
  for (const call of message.tool_calls ?? []) {
    tokens += countTokens(call.function.name, model) + countTokens(call.function.arguments, model);
  }
  return tokens;
}

/** Tokens an example trains on and is prompted with: its messages (and outputs), 3 more for the reply's priming. */
export function exampleTokens(example: TrainingExample, model: string): number {
  const messages =
    'messages' in example
      ? example.messages
      : [...example.input.messages, ...example.preferred_output, ...example.non_preferred_output];
  const tools = 'messages' in example ? example.tools : example.input.tools;
  let tokens = 3;
  for (const message of messages) tokens += messageTokens(message, model);
  if (tools && tools.length > 0) tokens += countTokens(JSON.stringify(tools), model);
  return tokens;
}
