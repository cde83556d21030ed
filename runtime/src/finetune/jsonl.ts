import { assertValidExample, type TrainingExample } from './format.js';
import { exampleTokens } from './tokens.js';

/** An example to write, the model whose tokenizer counts it, and where it came from (for the error of a bad one). */
export interface ExampleToWrite {
  example: TrainingExample;
  model: string;
  source: string;
}

/** Fine-tuning JSONL and its counts. */
export interface WrittenExamples {
  /** One example a line, each line ending with a newline ('' when there is none). */
  jsonl: string;
  examples: number;
  /** Tokens of every example under its model's encoding (js-tiktoken). */
  tokens: number;
  /** The most tokens in one example (OpenAI refuses examples past a model's context). */
  maxExampleTokens: number;
}

/**
 * Writes examples as fine-tuning JSONL: each checked against OpenAI's format first (INTERNAL naming its `source` when
 * one does not fit: a bug, not bad input), and counted with its model's tokenizer.
 */
export function writeExamples(examples: Iterable<ExampleToWrite>): WrittenExamples {
  const lines: string[] = [];
  let tokens = 0;
  let maxExampleTokens = 0;
  for (const { example, model, source } of examples) {
    assertValidExample(example, source);
    const count = exampleTokens(example, model);
    tokens += count;
    maxExampleTokens = Math.max(maxExampleTokens, count);
    lines.push(JSON.stringify(example));
  }
  return {
    jsonl: lines.length === 0 ? '' : `${lines.join('\n')}\n`,
    examples: lines.length,
    tokens,
    maxExampleTokens,
  };
}
