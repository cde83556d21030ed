import {
  AppError,
  type ErrorBody,
  type FlowFile,
  migrateFlow,
  type NodeRegistry,
  type RunOrigin,
  type RunSource,
  type RunStatus,
  type TraceEvent,
  type Usage,
  type Values,
} from '@flowloom/nodes';
import type {
  DatasetItem,
  DatasetItemPatch,
  DatasetRecord,
  ExperimentCell,
  ExperimentItem,
  ExperimentRow,
  ExperimentStatus,
  Feedback,
  FeedbackWrite,
  FlowSummary,
  NewDatasetItem,
  RunRecord,
  StoredFlow,
  TargetAggregate,
} from './types.js';

// Row shapes both backends read into (Postgres selects its snake_case columns under these names), and their mapping
// to the records the store answers: written once.

export interface RunRow {
  runId: string;
  flowId: string;
  flowVersion: number | null;
  status: RunStatus;
  inputs: string;
  outputs: string | null;
  error: string | null;
  usage: string | null;
  cost: number | null;
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  sessionId: string | null;
  parentRunId: string | null;
  depth: number;
  attempt: number;
  source: string | null;
  ttftMs: number | null;
  origin: string | null;
  /** Run lists only. */
  publishedVersion?: number | null;
  feedbackCount?: number | null;
  feedbackMean?: number | null;
}

export interface FlowRow {
  id: string;
  name: string;
  version: number;
  json: string;
  createdAt: string;
  updatedAt: string;
}

export interface FeedbackRow {
  id: string;
  runId: string;
  nodeId: string | null;
  key: string;
  score: number | null;
  comment: string | null;
  correction: string | null;
  source: string;
  author: string;
  createdAt: string;
  updatedAt: string;
}

export interface DatasetRow {
  id: string;
  name: string;
  description: string | null;
  revision: number;
  itemCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface DatasetItemRow {
  id: string;
  seq: number;
  input: string;
  expected: string | null;
  metadata: string | null;
  split: string | null;
  sourceRunId: string | null;
  sourceNodeId: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ExperimentDbRow {
  id: string;
  name: string | null;
  status: ExperimentStatus;
  datasetId: string;
  split: string | null;
  datasetRevision: number;
  spec: string;
  total: number;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  ownerHost: string | null;
  ownerPid: number | null;
}

export interface ExperimentItemRow {
  seq: number;
  itemId: string;
  input: string;
  expected: string | null;
}

export interface ExperimentCellRow {
  seq: number;
  target: number;
  repetition: number;
  status: ExperimentCell['status'];
  runId: string | null;
  output: string | null;
  scores: string | null;
  error: string | null;
  /** 0/1 in SQLite, a boolean in Postgres. */
  passed: number | boolean | null;
  durationMs: number | null;
  tokens: number | null;
  costUsd: number | null;
  endedAt: string | null;
}

function parse<T>(json: string | null): T | undefined {
  return json === null ? undefined : (JSON.parse(json) as T);
}

export function toRun(row: RunRow): RunRecord {
  const run: RunRecord = {
    runId: row.runId,
    flowId: row.flowId,
    flowVersion: row.flowVersion,
    status: row.status,
    inputs: parse<Values>(row.inputs) ?? {},
    startedAt: row.startedAt,
    depth: row.depth,
    attempt: row.attempt,
  };
  if (row.outputs !== null) run.outputs = parse<Values>(row.outputs);
  if (row.error !== null) run.error = parse<ErrorBody>(row.error);
  if (row.usage !== null) run.usage = parse<Usage>(row.usage);
  if (row.cost !== null) run.costUsd = row.cost;
  if (row.endedAt !== null) run.endedAt = row.endedAt;
  if (row.durationMs !== null) run.durationMs = row.durationMs;
  if (row.sessionId !== null) run.sessionId = row.sessionId;
  if (row.parentRunId !== null) run.parentRunId = row.parentRunId;
  if (row.source !== null) run.source = row.source as RunSource;
  if (row.ttftMs !== null) run.ttftMs = row.ttftMs;
  if (row.origin) run.origin = parse<RunOrigin>(row.origin);
  if (row.publishedVersion !== undefined && row.publishedVersion !== null) run.publishedVersion = row.publishedVersion;
  if (row.feedbackCount) run.feedback = { count: Number(row.feedbackCount), mean: Number(row.feedbackMean ?? 0) };
  return run;
}

export function toFlowSummary(row: FlowRow): FlowSummary {
  const flow = JSON.parse(row.json) as FlowFile;
  const summary: FlowSummary = {
    id: row.id,
    name: row.name,
    version: row.version,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
  if (flow.description !== undefined) summary.description = flow.description;
  if (flow.tags !== undefined) summary.tags = flow.tags;
  return summary;
}

/** A stored flow, upgraded to its kinds' current versions on the way out. */
export function toStoredFlow(row: FlowRow, registry: NodeRegistry): StoredFlow {
  return {
    flow: migratedFlow(row.json, registry),
    version: row.version,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export function migratedFlow(json: string, registry: NodeRegistry): FlowFile {
  return migrateFlow(JSON.parse(json) as FlowFile, registry).flow;
}

export function toFeedback(row: FeedbackRow): Feedback {
  const feedback: Feedback = {
    id: row.id,
    runId: row.runId,
    key: row.key,
    score: row.score,
    source: row.source,
    author: row.author,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
  if (row.comment !== null) feedback.comment = row.comment;
  if (row.correction !== null) feedback.correction = parse(row.correction);
  if (row.nodeId !== null) feedback.nodeId = row.nodeId;
  return feedback;
}

/** The columns of a feedback write. */
export function feedbackColumns(write: FeedbackWrite) {
  return {
    id: write.id,
    runId: write.runId,
    nodeId: write.nodeId ?? null,
    key: write.key,
    score: write.score,
    comment: write.comment ?? null,
    correction: jsonOrNull(write.correction),
    source: write.source,
    author: write.author,
    at: write.at,
  };
}

/** CONFLICT for a feedback id of the run that someone else wrote (the editor's, or another key's). */
export function feedbackOfAnotherAuthor(id: string): AppError {
  return new AppError('CONFLICT', `feedback "${id}" was given by someone else`, {
    details: [{ field: 'body.id', message: 'is the id of feedback someone else gave on this run' }],
  });
}

/** JSON text of an optional value (null when absent). */
export function jsonOrNull(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

export function toDataset(row: DatasetRow): DatasetRecord {
  const dataset: DatasetRecord = {
    id: row.id,
    name: row.name,
    revision: row.revision,
    itemCount: row.itemCount,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
  if (row.description !== null) dataset.description = row.description;
  return dataset;
}

export function toDatasetItem(row: DatasetItemRow): DatasetItem & { seq: number } {
  const item: DatasetItem & { seq: number } = {
    id: row.id,
    seq: row.seq,
    input: parse<Values>(row.input) ?? {},
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
  if (row.expected !== null) item.expected = parse(row.expected);
  if (row.metadata !== null) item.metadata = parse(row.metadata);
  if (row.split !== null) item.split = row.split;
  if (row.sourceRunId !== null) item.sourceRunId = row.sourceRunId;
  if (row.sourceNodeId !== null) item.sourceNodeId = row.sourceNodeId;
  return item;
}

/** An item's columns after a patch (a field left out keeps its stored value). */
export function patchedItem(row: DatasetItemRow, patch: DatasetItemPatch) {
  return {
    input: patch.input === undefined ? row.input : JSON.stringify(patch.input),
    expected: patch.expected === undefined ? row.expected : jsonOrNull(patch.expected),
    metadata: patch.metadata === undefined ? row.metadata : jsonOrNull(patch.metadata),
    split: patch.split === undefined ? row.split : patch.split,
  };
}

export function toExperiment(row: ExperimentDbRow): ExperimentRow {
  const experiment: ExperimentRow = {
    id: row.id,
    status: row.status,
    datasetId: row.datasetId,
    datasetRevision: row.datasetRevision,
    spec: row.spec,
    total: row.total,
    createdAt: row.createdAt,
  };
  if (row.name !== null) experiment.name = row.name;
  if (row.split !== null) experiment.split = row.split;
  if (row.error !== null) experiment.error = parse<ErrorBody>(row.error);
  if (row.startedAt !== null) experiment.startedAt = row.startedAt;
  if (row.endedAt !== null) experiment.endedAt = row.endedAt;
  if (row.ownerHost !== null) experiment.ownerHost = row.ownerHost;
  if (row.ownerPid !== null) experiment.ownerPid = row.ownerPid;
  return experiment;
}

export function toExperimentItem(row: ExperimentItemRow): ExperimentItem {
  const item: ExperimentItem = { seq: row.seq, itemId: row.itemId, input: parse<Values>(row.input) ?? {} };
  if (row.expected !== null) item.expected = parse(row.expected);
  return item;
}

export function toExperimentCell(row: ExperimentCellRow): ExperimentCell {
  const cell: ExperimentCell = { seq: row.seq, target: row.target, repetition: row.repetition, status: row.status };
  if (row.runId !== null) cell.runId = row.runId;
  if (row.output !== null) cell.output = parse(row.output);
  if (row.scores !== null) cell.scores = parse(row.scores);
  if (row.error !== null) cell.error = parse<ErrorBody>(row.error);
  if (row.passed !== null) cell.isPassed = row.passed === true || row.passed === 1;
  if (row.durationMs !== null) cell.durationMs = row.durationMs;
  if (row.tokens !== null) cell.tokens = row.tokens;
  if (row.costUsd !== null) cell.costUsd = row.costUsd;
  if (row.endedAt !== null) cell.endedAt = row.endedAt;
  return cell;
}

/** A row of a target's cell counts and sums (both backends' aggregate queries answer these columns). */
export interface AggregateRow {
  target: number;
  total: number;
  finished: number;
  passed: number;
  errors: number;
  tokens: number | null;
  costUsd: number | null;
}

/** Target aggregates from the rows of the three aggregate queries (counts, evaluator sums, latency percentiles). */
export function toAggregates(
  base: readonly AggregateRow[],
  scores: readonly { target: number; name: string; sum: number; scored: number }[],
  latencies: readonly { target: number; p: number; durationMs: number }[],
): TargetAggregate[] {
  return base.map((row) => {
    const own = (p: number) => latencies.find((l) => l.target === row.target && l.p === p)?.durationMs ?? null;
    return {
      target: Number(row.target),
      total: Number(row.total),
      finished: Number(row.finished),
      passed: Number(row.passed),
      errors: Number(row.errors),
      tokens: Number(row.tokens ?? 0),
      costUsd: Number(row.costUsd ?? 0),
      p50: own(50),
      p95: own(95),
      scores: Object.fromEntries(
        scores
          .filter((score) => Number(score.target) === Number(row.target))
          .map((score) => [score.name, { sum: Number(score.sum), scored: Number(score.scored) }]),
      ),
    };
  });
}

/** A cell's columns (a start, an outcome, or a cell back to pending: absent fields are cleared). */
export function cellColumns(cell: ExperimentCell) {
  return {
    seq: cell.seq,
    target: cell.target,
    repetition: cell.repetition,
    status: cell.status,
    runId: cell.runId ?? null,
    output: cell.output === undefined ? null : JSON.stringify(cell.output),
    scores: jsonOrNull(cell.scores),
    error: jsonOrNull(cell.error),
    passed: cell.isPassed === undefined ? null : cell.isPassed,
    durationMs: cell.durationMs ?? null,
    tokens: cell.tokens ?? null,
    costUsd: cell.costUsd ?? null,
    endedAt: cell.endedAt ?? null,
  };
}

/** CONFLICT naming the item ids that a dataset has already. */
export function itemsExist(datasetId: string, ids: readonly string[]): AppError {
  return new AppError('CONFLICT', `dataset "${datasetId}" has items ${ids.map((id) => `"${id}"`).join(', ')} already`, {
    details: ids.map((id) => ({ itemId: id, message: 'an item of this id exists' })),
  });
}

export function parseEvent(json: string): TraceEvent {
  return JSON.parse(json) as TraceEvent;
}

export const INTERRUPTED: ErrorBody = {
  code: 'RUN_INTERRUPTED',
  message: 'The runtime stopped (crash, kill or restart) while this run was in progress.',
};

/** The `run.failed` event that closes the log of a run whose process died (crash recovery). */
export function interruptedEvent(runId: string, flowId: string, seq: number, at: string, durationMs: number) {
  return {
    runId,
    seq,
    at,
    type: 'run.failed',
    flowId,
    data: { error: INTERRUPTED, durationMs },
  } as TraceEvent;
}

/** How long a run had been going when it is found interrupted. */
export function interruptedDuration(startedAt: string, endedAt: string): number {
  return Math.max(0, Date.parse(endedAt) - Date.parse(startedAt));
}

/** A new item's columns. */
export function itemColumns(item: NewDatasetItem) {
  return {
    id: item.id,
    input: JSON.stringify(item.input),
    expected: jsonOrNull(item.expected),
    metadata: jsonOrNull(item.metadata),
    split: item.split ?? null,
    sourceRunId: item.sourceRunId ?? null,
    sourceNodeId: item.sourceNodeId ?? null,
  };
}

/** An item without its position (the store's cursor, not part of the item). */
export function withoutSeq({ seq: _seq, ...item }: DatasetItem & { seq: number }): DatasetItem {
  return item;
}

/** CONFLICT for a dataset id that is taken. */
export function datasetExists(id: string): AppError {
  return new AppError('CONFLICT', `dataset "${id}" already exists`, {
    details: [{ field: 'body.id', message: 'a dataset of this id exists' }],
  });
}
