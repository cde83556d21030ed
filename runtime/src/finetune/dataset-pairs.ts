import type { DatasetItem, ExportRun, Store } from '../store/types.js';
import type { DatasetExamples } from './dataset-examples.js';
import { flowReader, parseOutputs } from './export.js';
import { type ExampleToWrite, writeExamples } from './jsonl.js';
import { type ModelCall, modelCalls } from './model-calls.js';
import { pairsOfCorrections } from './preferences.js';

/** Items whose runs are read at once: a run's events are held only while its items are paired. */
const ITEMS_AT_ONCE = 1000;

/**
 * A dataset's items as OpenAI DPO preference pairs (`openai-dpo`, docs/contracts.md §7): an item made from a run
 * (`sourceRunId`, and `sourceNodeId` for a node's span) whose `expected` differs from what that run or node answered
 * pairs `expected`, preferred, with the answer, on the exact messages and tools the model call sent. `expected` reads
 * as a correction given as feedback does (`pairsOfCorrections`): for a node, its call's answer (text, or an object
 * whose `text` is); for the whole run, the call whose final answer is the run's output (text for a run with one
 * output, an object naming the outputs it corrects). Items that make no pair are skipped and counted: no source run,
 * a run that is gone or did not complete, no model call of it, or `expected` equal to the answer. Tokens by `model`'s
 * tokenizer, else by the model each call used.
 */
export async function datasetPairs(
  store: Store,
  items: readonly DatasetItem[],
  model?: string,
): Promise<DatasetExamples> {
  const flowOf = flowReader(store);
  const pairs: ExampleToWrite[] = [];
  let skipped = 0;
  for (let start = 0; start < items.length; start += ITEMS_AT_ONCE) {
    const slice = items.slice(start, start + ITEMS_AT_ONCE);
    const runIds = [...new Set(slice.flatMap((item) => (item.sourceRunId === undefined ? [] : [item.sourceRunId])))];
    const runs = new Map<string, ExportRun>();
    if (runIds.length > 0) for (const run of await store.exportRuns({ runIds })) runs.set(run.runId, run);
    const callsOf = new Map<string, ModelCall[]>();
    for (const item of slice) {
      const run = item.sourceRunId === undefined ? undefined : runs.get(item.sourceRunId);
      if (!run || item.expected === undefined) {
        skipped++;
        continue;
      }
      let calls = callsOf.get(run.runId);
      if (!calls) {
        calls = modelCalls(run, await flowOf(run));
        callsOf.set(run.runId, calls);
      }
      const corrections = new Map([[item.sourceNodeId, item.expected]]);
      const found = pairsOfCorrections(calls, corrections, () => parseOutputs(run));
      if (found.length === 0) skipped++;
      for (const { example, call } of found) {
        pairs.push({ example, model: model ?? call.model, source: `dataset item ${item.id} (run ${call.runId})` });
      }
    }
  }
  return { ...writeExamples(pairs), skipped };
}
