import type { Values } from '@flowloom/nodes';
import type { Feedback } from '../store/types.js';
import type { PreferenceExample, TrainingMessage } from './format.js';
import { finalAnswer, type ModelCall } from './model-calls.js';

// DPO preference pairs (docs/contracts.md §7 `GET /api/runs/export?format=openai-dpo`): from answers rated up and
// down to the same input, from a correction against the answer it corrects, and from the better and the worse target
// of an experiment on the same dataset item.

/** A pair, and the call whose input it has (its model counts the tokens). */
export interface Pair {
  example: PreferenceExample;
  call: ModelCall;
}

/** The pair of two answers to `input`'s messages and tools; none when an answer is missing or they are the same. */
export function pairOf(
  input: ModelCall,
  preferred: TrainingMessage | undefined,
  rejected: TrainingMessage | undefined,
): Pair | undefined {
  if (!preferred || !rejected || preferred.content === rejected.content) return undefined;
  return {
    call: input,
    example: {
      input: { messages: input.prompt, ...(input.tools.length > 0 && { tools: input.tools }) },
      preferred_output: [preferred],
      non_preferred_output: [rejected],
    },
  };
}

/**
 * Thumbs: calls of the same node with the same messages sent, one rated up (mean feedback above 0) and one rated down
 * (below 0), paired in order (each rated call in at most one pair).
 */
export function thumbsPairs(calls: readonly ModelCall[]): Pair[] {
  const groups = new Map<string, { up: ModelCall[]; down: ModelCall[] }>();
  for (const call of calls) {
    if (call.feedbackMean === null || call.feedbackMean === 0) continue;
    const key = JSON.stringify([call.nodeId, call.prompt, call.tools]);
    const group = groups.get(key) ?? { up: [], down: [] };
    (call.feedbackMean > 0 ? group.up : group.down).push(call);
    groups.set(key, group);
  }
  const pairs: Pair[] = [];
  for (const { up, down } of groups.values()) {
    for (let i = 0; i < Math.min(up.length, down.length); i++) {
      const good = up[i] as ModelCall;
      const pair = pairOf(good, finalAnswer(good), finalAnswer(down[i] as ModelCall));
      if (pair) pairs.push(pair);
    }
  }
  return pairs;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The answer a node's output or correction gives: text as it is, or an object's `text` (the llm node's answer port,
 * beside its `messages`). Read so for node corrections here and for the expected output of an `openai-sft` item.
 */
export function answerText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  return isRecord(value) && typeof value.text === 'string' ? value.text : undefined;
}

/**
 * What a correction of a whole run says each of its text outputs should have been, keyed by the output's value:
 * text corrects a run with one output; an object corrects the outputs it names (with text).
 */
function runCorrections(outputs: Values, correction: unknown): Map<string, string> {
  const names = Object.keys(outputs);
  const corrected = new Map<string, string>();
  for (const name of names) {
    const value = outputs[name];
    if (typeof value !== 'string') continue;
    let text: unknown;
    if (typeof correction === 'string') text = names.length === 1 ? correction : undefined;
    else if (isRecord(correction)) text = correction[name];
    if (typeof text === 'string') corrected.set(value, text);
  }
  return corrected;
}

/**
 * Corrections of one run given as feedback: the newest correction of each node and of the whole run (`feedback` in
 * the order last written, as `listFeedbackOfRuns` answers it: a replaced feedback is as new as its replacement),
 * paired as `pairsOfCorrections` says.
 */
export function correctionPairs(
  calls: readonly ModelCall[],
  feedback: readonly Feedback[],
  outputs: () => Values,
): Pair[] {
  const newest = new Map<string | undefined, unknown>();
  for (const given of feedback) if (given.correction !== undefined) newest.set(given.nodeId, given.correction);
  return pairsOfCorrections(calls, newest, outputs);
}

/**
 * Corrections of one run's model calls, by node id (`undefined`: of the whole run): a call is paired with the
 * correction made of it, preferred, against its own final answer. A correction on a node is of that node's calls
 * (text, or an object whose `text` is); one on the whole run is of the call whose final answer is the run's corrected
 * output (the last such call), unless that call has a correction of its own. A correction equal to the answer it
 * corrects makes no pair. Used for feedback (`correctionPairs`) and for dataset items made from runs (their
 * `expected`).
 */
export function pairsOfCorrections(
  calls: readonly ModelCall[],
  newest: ReadonlyMap<string | undefined, unknown>,
  outputs: () => Values,
): Pair[] {
  if (newest.size === 0) return [];
  const corrected = new Map<ModelCall, string>();
  if (newest.has(undefined)) {
    for (const [answer, text] of runCorrections(outputs(), newest.get(undefined))) {
      const call = calls.findLast((c) => finalAnswer(c)?.content === answer);
      if (call) corrected.set(call, text);
    }
  }
  for (const call of calls) {
    const text = newest.has(call.nodeId) ? answerText(newest.get(call.nodeId)) : undefined;
    if (text !== undefined) corrected.set(call, text);
  }
  const pairs: Pair[] = [];
  for (const call of calls) {
    const text = corrected.get(call);
    if (text === undefined) continue;
    const pair = pairOf(call, { role: 'assistant', content: text }, finalAnswer(call));
    if (pair) pairs.push(pair);
  }
  return pairs;
}

/** A finished cell of an experiment as the winner pairing reads it. */
export interface ScoredCell {
  seq: number;
  repetition: number;
  target: number;
  runId: string;
  score: number;
}

/**
 * The better and the worse cell of each item and repetition: the best-scoring target (on a tie, the first) against
 * the worst-scoring one (on a tie, the last), when their scores differ. In item and repetition order.
 */
export function winners(cells: readonly ScoredCell[]): { better: ScoredCell; worse: ScoredCell }[] {
  const groups = new Map<string, ScoredCell[]>();
  for (const cell of cells) {
    const key = `${cell.seq}:${cell.repetition}`;
    groups.set(key, [...(groups.get(key) ?? []), cell]);
  }
  const found: { better: ScoredCell; worse: ScoredCell }[] = [];
  for (const group of groups.values()) {
    const sorted = [...group].sort((a, b) => a.target - b.target);
    let better = sorted[0] as ScoredCell;
    let worse = better;
    for (const cell of sorted) {
      if (cell.score > better.score) better = cell;
      if (cell.score <= worse.score) worse = cell;
    }
    if (better.score > worse.score) found.push({ better, worse });
  }
  return found.sort((a, b) => a.better.seq - b.better.seq || a.better.repetition - b.better.repetition);
}
