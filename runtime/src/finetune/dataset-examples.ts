import { AppError } from '@flowloom/nodes';
import type { DatasetItem } from '../store/types.js';
import { exampleProblem, type SupervisedExample, type TrainingMessage } from './format.js';
import { type WrittenExamples, writeExamples } from './jsonl.js';
import { answerText } from './preferences.js';

/** The model whose tokenizer counts a dataset's examples when none is named. */
export const DEFAULT_TOKEN_MODEL = 'gpt-4o-mini';

/** A dataset as fine-tuning JSONL, with its counts. */
export interface DatasetExamples extends WrittenExamples {
  /**
   * Items left out: they make no example (no expected output to learn, or no user turn before it; for pairs, no
   * corrected run answer).
   */
  skipped: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The turns an item's input gives, the way the llm node sends its inputs (`chatMessages` in nodes): its `messages`
 * input (a list of chat messages) as it is, then its other inputs as the last user turn: the only one as it is when
 * it is text (an llm node's span: `prompt`; a whole run: e.g. `question`), else their JSON (an object); no user turn
 * when there is no other input. Earlier assistant turns get weight 0: only the expected answer is learned. The llm
 * node's `system` is a param of its flow, not an input: an item has none, and its example no system message (unless
 * its `messages` have one).
 */
function inputTurns(input: DatasetItem['input']): TrainingMessage[] {
  const { messages, ...others } = input;
  const turns = Array.isArray(messages)
    ? messages.map((message) =>
        isRecord(message) && message.role === 'assistant' && message.weight === undefined
          ? ({ ...message, weight: 0 } as unknown as TrainingMessage)
          : (message as unknown as TrainingMessage),
      )
    : [];
  const rest = Array.isArray(messages) ? others : input;
  const values = Object.values(rest).filter((value) => value !== undefined);
  if (values.length === 0) return turns;
  const only = values.length === 1 ? values[0] : undefined;
  return [...turns, { role: 'user', content: typeof only === 'string' ? only : JSON.stringify(rest) }];
}

/**
 * The assistant turn of an item's expected output: text as it is, an llm node's outputs (`{text, messages}`, an
 * object with a text `text`) as that text (`answerText`, as node corrections read), anything else as its JSON.
 */
function expectedTurn(expected: unknown): TrainingMessage {
  return { role: 'assistant', content: answerText(expected) ?? JSON.stringify(expected), weight: 1 };
}

/** Whether a (checked) example has a user turn: without one there is no question to learn the answer to. */
function hasUserTurn(example: SupervisedExample): boolean {
  return example.messages.some((message) => message.role === 'user');
}

/**
 * A dataset's items as OpenAI supervised fine-tuning examples (`openai-sft`, docs/contracts.md §7): each item's input
 * as the turns before (`inputTurns`), its expected output as the assistant's (`expectedTurn`); items without
 * `expected`, and those whose input makes no user turn, are skipped and counted. An item whose `messages` input does
 * not fit OpenAI's format is a VALIDATION_FAILED listing each such item (`field` `items.<itemId>.input.messages`), and
 * nothing is written. Every line is checked before it is written, and counted with `model`'s tokenizer.
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
    if (!hasUserTurn(example)) {
      skipped++;
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
