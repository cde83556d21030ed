import { createRequire } from 'node:module';
import { Tiktoken, type TiktokenBPE } from 'js-tiktoken/lite';
import type { TrainingExample, TrainingMessage } from './format.js';

// Token counts with OpenAI's own encodings (js-tiktoken: the ranks ship in the package, nothing is downloaded).

/** Built on first use, each (building one reads its ranks: about a second for o200k_base). */
const encoders: { o200k?: Tiktoken; cl100k?: Tiktoken } = {};

const require = createRequire(import.meta.url);

/**
 * An encoding's ranks, loaded on first use: both hold about 10 MB of heap and take 0.15 s to load, which a server that
 * never exports fine-tuning data should not pay at start (a larger heap makes every garbage collection cost more).
 */
function ranks(encoding: 'o200k' | 'cl100k'): TiktokenBPE {
  return require(encoding === 'o200k' ? 'js-tiktoken/ranks/o200k_base' : 'js-tiktoken/ranks/cl100k_base');
}

/** The encoding of a model: o200k_base for the GPT-4o, GPT-4.1, GPT-5 and o-series families, cl100k_base before. */
export function encodingFor(model: string): 'o200k' | 'cl100k' {
  const base = model.startsWith('ft:') ? (model.split(':')[1] ?? '') : model;
  return /^(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o\d|chatgpt-4o)/.test(base) ? 'o200k' : 'cl100k';
}

function encoder(encoding: 'o200k' | 'cl100k'): Tiktoken {
  encoders[encoding] ??= new Tiktoken(ranks(encoding));
  return encoders[encoding];
}

/** Counts of texts seen lately, per encoding: system prompts and conversation openings repeat across examples. */
const cache = { o200k: new Map<string, number>(), cl100k: new Map<string, number>() };
const CACHE_SIZE = 20_000;

/** Tokens of one text under a model's encoding. */
export function countTokens(text: string, model: string): number {
  if (text === '') return 0;
  const encoding = encodingFor(model);
  const seen = cache[encoding];
  let count = seen.get(text);
  if (count === undefined) {
    count = encoder(encoding).encode(text).length;
    if (seen.size >= CACHE_SIZE) seen.clear();
    seen.set(text, count);
  }
  return count;
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
