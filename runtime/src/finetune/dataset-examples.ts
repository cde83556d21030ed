import { AppError } from '@flowloom/nodes';
import type { DatasetItem } from '../store/types.js';
import { exampleProblem, type SupervisedExample, type TrainingMessage } from './format.js';
import { type WrittenExamples, writeExamples } from './jsonl.js';

/** The model whose tokenizer counts a dataset's examples when none is named. */
export const DEFAULT_TOKEN_MODEL = 'gpt-4o-mini';

/** A dataset as fine-tuning JSONL, with its counts. */
export interface DatasetExamples extends WrittenExamples {
  /** Items left out: they make no example (no expected output to learn; for pairs, no corrected run answer). */
  skipped: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The turns an item's input gives: its `messages` input as it is (a list of chat messages), else its only input as
 * one user turn when that is text, else the JSON of its inputs as one user turn. Earlier assistant turns get weight 0:
 * only the expected answer is learned.
 */
function inputTurns(input: DatasetItem['input']): TrainingMessage[] {
  const { messages } = input;
  if (Array.isArray(messages)) {
    return messages.map((message) =>
      isRecord(message) && message.role === 'assistant' && message.weight === undefined
        ? ({ ...message, weight: 0 } as unknown as TrainingMessage)
        : (message as unknown as TrainingMessage),
    );
  }
  const values = Object.values(input);
  const only = values.length === 1 ? values[0] : undefined;
  return [{ role: 'user', content: typeof only === 'string' ? only : JSON.stringify(input) }];
}

/** The assistant turn of an item's expected output: text as it is, anything else as its JSON. */
function expectedTurn(expected: unknown): TrainingMessage {
  return { role: 'assistant', content: typeof expected === 'string' ? expected : JSON.stringify(expected), weight: 1 };
}

/**
 * A dataset's items as OpenAI supervised fine-tuning examples (`openai-sft`, docs/contracts.md §7): each item's input
 * as the user turn(s), its expected output as the assistant's; items without `expected` are skipped and counted. An
 * item whose `messages` input does not fit OpenAI's format is a VALIDATION_FAILED listing each such item (`field`
 * `items.<itemId>.input.messages`), and nothing is written. Every line is checked before it is written, and counted
 * with `model`'s tokenizer.
 */
export function datasetExamples(items: readonly DatasetItem[], model = DEFAULT_TOKEN_MODEL): DatasetExamples {
  const examples: { item: DatasetItem; example: SupervisedExample }[] = [];
  const problems: { field: string; itemId: string; message: string }[] = [];
  let skipped = 0;
  for (const item of items) {
    if (item.expected === undefined) {
      skipped++;
      continue;
    }
    const example: SupervisedExample = { messages: [...inputTurns(item.input), expectedTurn(item.expected)] };
    const problem = exampleProblem(example);
    if (problem) {
      problems.push({ field: `items.${item.id}.input.messages`, itemId: item.id, message: problem });
      continue;
    }
    examples.push({ item, example });
  }
  if (problems.length > 0) {
    const first = problems[0] as { field: string; message: string };
    throw new AppError(
      'VALIDATION_FAILED',
      `${problems.length} item(s) do not make a fine-tuning example; ${first.field}: ${first.message}`,
      { details: problems },
    );
  }
  const written = writeExamples(
    examples.map(({ item, example }) => ({ example, model, source: `dataset item ${item.id}` })),
  );
  return { ...written, skipped };
}
