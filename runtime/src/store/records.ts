import {
  type ErrorBody,
  type FlowFile,
  migrateFlow,
  type NodeRegistry,
  type RunSource,
  type RunStatus,
  type TraceEvent,
  type Usage,
  type Values,
} from '@flowloom/nodes';
import type { Feedback, FlowSummary, RunRecord, StoredFlow } from './types.js';

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
  id: number;
  runId: string;
  score: number;
  comment: string | null;
  createdAt: string;
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
  const feedback: Feedback = { id: row.id, runId: row.runId, score: row.score, createdAt: row.createdAt };
  if (row.comment !== null) feedback.comment = row.comment;
  return feedback;
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
