import { AppError, type FlowFile, type Values } from '@flowloom/nodes';
import { parseEvaluators } from '../evals/index.js';
import type { ExperimentSpec } from '../experiments/types.js';
import type { ExportQuery, ExportRun, Feedback, Store } from '../store/types.js';
import type { TrainingExample } from './format.js';
import { type WrittenExamples, writeExamples } from './jsonl.js';
import { finalAnswer, type ModelCall, modelCalls, supervised } from './model-calls.js';
import { correctionPairs, type Pair, pairOf, type ScoredCell, thumbsPairs, winners } from './preferences.js';

/** `openai-sft`: supervised chat examples; `openai-dpo`: preference pairs. */
export type ExportFormat = 'openai-sft' | 'openai-dpo';

export interface ExportRequest extends Omit<ExportQuery, 'runIds'> {
  format: ExportFormat;
  /** Only runs whose mean feedback score is at least this (runs without feedback are left out when set). */
  minScore?: number;
  /**
   * `openai-dpo` only: pairs from this experiment's cells instead of from feedback, the better-scoring target's model
   * call preferred to the worse one's on the same dataset item and repetition.
   */
  experimentId?: string;
  /** With `experimentId`: cells are scored by this evaluator alone (default: the mean of all of a cell's scores). */
  evaluator?: string;
}

/** What an export holds: the JSONL text (one checked example a line) and its counts. */
export interface ExportResult extends WrittenExamples {
  runs: number;
}

/** Where the request's fields came from, for the errors naming them (`query` or `body`). */
type FieldPlace = 'query' | 'body';

function invalid(field: string, message: string): AppError {
  return new AppError('VALIDATION_FAILED', `${field} ${message}`, { details: [{ field, message }] });
}

/** The request's filters checked together: a range that ends before it starts, fields that do not go together. */
function checkRequest(request: ExportRequest, place: FieldPlace): void {
  if (request.since && request.until && request.since >= request.until) {
    throw invalid(`${place}.since`, `must be before ${place}.until`);
  }
  if (request.experimentId === undefined) {
    if (request.evaluator !== undefined) throw invalid(`${place}.evaluator`, `goes with ${place}.experimentId only`);
    return;
  }
  if (request.format !== 'openai-dpo') {
    throw invalid(`${place}.experimentId`, 'makes preference pairs: it needs format openai-dpo');
  }
  for (const field of ['flowId', 'minScore', 'since', 'until'] as const) {
    if (request[field] !== undefined) {
      throw invalid(`${place}.${field}`, `does not go with ${place}.experimentId (the experiment names its runs)`);
    }
  }
}

/** Each run's flow, as it ran (the version saved, else the draft), read once per flow version. */
export function flowReader(store: Store): (run: ExportRun) => Promise<FlowFile | undefined> {
  const flows = new Map<string, FlowFile | undefined>();
  return async (run) => {
    const key = `${run.flowId}@${run.flowVersion ?? 'draft'}`;
    if (!flows.has(key)) {
      const flow =
        run.flowVersion === null
          ? (await store.getFlow(run.flowId))?.flow
          : ((await store.getFlowVersion(run.flowId, run.flowVersion))?.flow ??
            (await store.getFlow(run.flowId))?.flow);
      flows.set(key, flow);
    }
    return flows.get(key);
  };
}

/** Feedback of the runs that have some, grouped by run (withdrawn feedback left out; the last written last). */
async function feedbackByRun(store: Store, runs: readonly ExportRun[]): Promise<Map<string, Feedback[]>> {
  const rated = runs.filter((run) => Number(run.feedbackCount) > 0).map((run) => run.runId);
  const byRun = new Map<string, Feedback[]>();
  if (rated.length === 0) return byRun;
  for (const given of await store.listFeedbackOfRuns(rated)) {
    byRun.set(given.runId, [...(byRun.get(given.runId) ?? []), given]);
  }
  return byRun;
}

/** A run's outputs by name ({} when it has none). */
export function parseOutputs(run: ExportRun): Values {
  if (run.outputs === null) return {};
  const outputs = JSON.parse(run.outputs) as unknown;
  return typeof outputs === 'object' && outputs !== null && !Array.isArray(outputs) ? (outputs as Values) : {};
}

/** Examples from the runs the filters match: supervised, or pairs from thumbs and from corrections. */
async function fromRuns(
  store: Store,
  request: ExportRequest,
): Promise<{ examples: { example: TrainingExample; call: ModelCall }[]; runs: number }> {
  const runs = await store.exportRuns(request);
  const flowOf = flowReader(store);
  const feedback = request.format === 'openai-dpo' ? await feedbackByRun(store, runs) : new Map<string, Feedback[]>();
  const calls: ModelCall[] = [];
  const corrected: Pair[] = [];
  let used = 0;
  for (const run of runs) {
    if (request.minScore !== undefined && (run.feedbackMean === null || run.feedbackMean < request.minScore)) continue;
    const found = modelCalls(run, await flowOf(run));
    if (found.length > 0) used++;
    calls.push(...found);
    const given = feedback.get(run.runId);
    if (given) corrected.push(...correctionPairs(found, given, () => parseOutputs(run)));
  }
  if (request.format === 'openai-sft')
    return { examples: calls.map((call) => ({ example: supervised(call), call })), runs: used };
  return { examples: [...thumbsPairs(calls), ...corrected], runs: used };
}

/**
 * Pairs from an experiment: on each dataset item and repetition, the model call of the best-scoring target's run
 * (preferred) against the worst-scoring one's, when their scores differ. Only cells that are done (run completed,
 * every evaluator scored) take part. The input is the winner's (the messages and tools its call sent): targets may
 * prompt differently, and DPO has one input per pair. The call of a run is its `nodeId` call, or its last model call.
 */
async function fromExperiment(
  store: Store,
  request: ExportRequest & { experimentId: string },
  place: FieldPlace,
): Promise<{ examples: Pair[]; runs: number }> {
  const row = await store.experiments.get(request.experimentId);
  if (!row) {
    throw new AppError('EXPERIMENT_NOT_FOUND', `experiment "${request.experimentId}" does not exist`, {
      details: [{ field: `${place}.experimentId`, message: 'names no experiment' }],
    });
  }
  const spec = JSON.parse(row.spec) as ExperimentSpec;
  const { evaluator } = request;
  if (evaluator !== undefined) {
    const names = parseEvaluators(spec.evaluators).map((e) => e.name);
    if (!names.includes(evaluator)) {
      throw invalid(`${place}.evaluator`, `is none of the experiment's evaluators: ${names.join(', ')}`);
    }
  }
  const scored: ScoredCell[] = [];
  for (const cell of await store.experiments.cells(request.experimentId)) {
    if (cell.status !== 'done' || cell.runId === undefined || !cell.scores) continue;
    const verdicts = Object.values(cell.scores) as { score?: number | null }[];
    const score =
      evaluator === undefined
        ? verdicts.reduce((sum, v) => sum + (v.score ?? 0), 0) / Math.max(1, verdicts.length)
        : ((cell.scores[evaluator] as { score?: number | null } | undefined)?.score ?? 0);
    scored.push({ seq: cell.seq, repetition: cell.repetition, target: cell.target, runId: cell.runId, score });
  }
  const found = winners(scored);
  if (found.length === 0) return { examples: [], runs: 0 };
  const runIds = [...new Set(found.flatMap(({ better, worse }) => [better.runId, worse.runId]))];
  const runs = await store.exportRuns({ runIds, ...(request.nodeId !== undefined && { nodeId: request.nodeId }) });
  const flowOf = flowReader(store);
  const callOf = new Map<string, ModelCall>();
  for (const run of runs) {
    const last = modelCalls(run, await flowOf(run)).at(-1);
    if (last) callOf.set(run.runId, last);
  }
  const examples: Pair[] = [];
  const used = new Set<string>();
  for (const { better, worse } of found) {
    const preferred = callOf.get(better.runId);
    const rejected = callOf.get(worse.runId);
    if (!preferred || !rejected) continue;
    const pair = pairOf(preferred, finalAnswer(preferred), finalAnswer(rejected));
    if (!pair) continue;
    examples.push(pair);
    used.add(better.runId).add(worse.runId);
  }
  return { examples, runs: used.size };
}

/**
 * Exports completed runs as OpenAI fine-tuning JSONL (docs/contracts.md §7 `GET /api/runs/export`): supervised
 * examples (`openai-sft`) or preference pairs (`openai-dpo`: thumbs up against down, a correction against the answer it
 * corrects, or an experiment's better target against its worse), from every `llm` and `function-call` node (or
 * `nodeId`) of the runs that match. Every example is checked against OpenAI's format before it is written, and counted
 * with the model's tokenizer. Nothing matching is an empty file, not an error. `place` says where the request's fields
 * came from, for the errors that name them.
 */
export async function exportFineTuning(
  store: Store,
  request: ExportRequest,
  place: FieldPlace = 'query',
): Promise<ExportResult> {
  checkRequest(request, place);
  const { experimentId } = request;
  const { examples, runs } =
    experimentId === undefined
      ? await fromRuns(store, request)
      : await fromExperiment(store, { ...request, experimentId }, place);
  const written = writeExamples(
    examples.map(({ example, call }) => ({
      example,
      model: call.model,
      source: `run ${call.runId}, node ${call.nodeId}`,
    })),
  );
  return { ...written, runs };
}
