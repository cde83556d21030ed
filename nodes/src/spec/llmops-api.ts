/**
 * The data the LLMOps part of the HTTP API (feedback, datasets, experiments; docs/contracts.md §7) takes and answers:
 * one TypeScript type per shape, shared by the runtime and the editor so they cannot drift (as `api.ts` does for the
 * flow routes). Store rows the API does not answer stay in the runtime.
 */
import type { ErrorBody } from './errors.js';
import type { Values } from './values.js';

/**
 * Feedback on a run, or on one node of it. `id` is the caller's own (or made up by the runtime), unique within the
 * run: giving it again updates the feedback; a `score` of null withdraws it.
 */
export interface Feedback {
  id: string;
  runId: string;
  /** What is rated (`user` for thumbs; any name for other kinds of feedback). */
  key: string;
  /** -1 (bad) to 1 (good); null once withdrawn. */
  score: number | null;
  comment?: string;
  /** What the answer should have been. */
  correction?: unknown;
  nodeId?: string;
  /** Who gave it: `editor`, `widget`, `api`... */
  source: string;
  /** Who wrote it: `admin` (the editor's routes) or `key:<key id>` (a published flow's caller); only they change it. */
  author: string;
  createdAt: string;
  updatedAt: string;
}

/** A dataset: its `revision` goes up with every change to it or its items. */
export interface Dataset {
  id: string;
  name: string;
  description?: string;
  revision: number;
  itemCount: number;
  createdAt: string;
  updatedAt: string;
}

/** One dataset item: flow inputs, and what a good answer is. */
export interface DatasetItem {
  id: string;
  input: Values;
  expected?: unknown;
  metadata?: Record<string, unknown>;
  split?: string;
  sourceRunId?: string;
  sourceNodeId?: string;
  createdAt: string;
  updatedAt: string;
}

/** An item as a caller writes it (`POST /api/datasets/:id/items`): the id may be left to the runtime. */
export type DatasetItemDraft = Omit<DatasetItem, 'id' | 'createdAt' | 'updatedAt'> & { id?: string };

/** How a CSV column becomes a value: text as it is, or read as a number, true/false or JSON. */
export type ColumnType = 'text' | 'number' | 'boolean' | 'json';
export type ColumnRef = string | { column: string; as?: ColumnType };

/**
 * Which CSV columns make an item (`POST /api/datasets/:id/import`). Without one: `id`, `expected`, `split`,
 * `sourceRunId`, `sourceNodeId` and `metadata` (JSON) are those fields, `input.<name>` and every other column are
 * inputs (as text). So a CSV export imports back as it was.
 */
export interface CsvMapping {
  id?: ColumnRef;
  input?: Record<string, ColumnRef>;
  expected?: ColumnRef;
  split?: ColumnRef;
  sourceRunId?: ColumnRef;
  sourceNodeId?: ColumnRef;
  /**
   * Columns kept as metadata: as text under their header, except a column read as JSON (a column named `metadata`
   * is, unless told otherwise) whose value is an object: its keys are the metadata.
   */
  metadata?: ColumnRef[];
}

/** An experiment's status: a run's, but never paused. */
export type ExperimentStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

/** A flow an experiment runs: its draft (frozen at the version it had when the experiment was made) or a version. */
export interface ExperimentTargetRequest {
  flowId: string;
  version: 'draft' | number;
}

/** A target as the experiment keeps it: a draft names the saved draft version it runs. */
export interface ExperimentTarget extends ExperimentTargetRequest {
  /** The draft version (draft targets), or the draft version a published one froze. */
  flowVersion: number | null;
}

/** What `POST /api/experiments` takes. */
export interface ExperimentRequest {
  name?: string;
  datasetId: string;
  split?: string;
  targets: ExperimentTargetRequest[];
  /** Evaluator objects (the runtime checks them). */
  evaluators: unknown[];
  /** Cells run at once, 1 to 32 (default 4). */
  concurrency?: number;
  /** Runs per item and target (default 1). */
  repetitions?: number;
}

/** Finished cells of all, and how many of them are errors. */
export interface ExperimentProgress {
  done: number;
  total: number;
  errors: number;
}

/** One target's results. */
export interface TargetSummary {
  target: number;
  flowId: string;
  version: 'draft' | number;
  /** Finished cells and cells in all, of this target. */
  done: number;
  total: number;
  /** Finished cells whose run completed and whose every evaluator passed, of the finished ones (null: none yet). */
  passRate: number | null;
  /**
   * The mean score of each evaluator over the finished cells, a cell it could not score (an error) counting as 0, as
   * the comparison counts it.
   */
  scores: Record<string, number>;
  /** How many finished cells each evaluator scored. */
  scored: Record<string, number>;
  latencyMs: { p50: number | null; p95: number | null };
  tokens: number;
  costUsd: number;
  errors: number;
}

/** An experiment as the API answers it. */
export interface ExperimentView {
  experimentId: string;
  name?: string;
  status: ExperimentStatus;
  datasetId: string;
  split?: string;
  datasetRevision: number;
  targets: ExperimentTarget[];
  evaluators: unknown[];
  concurrency: number;
  repetitions: number;
  progress: ExperimentProgress;
  summary?: TargetSummary[];
  error?: ErrorBody;
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
}

/**
 * One evaluator's verdict: a score in 0..1 and whether it reached the threshold, or the error
 * that kept it from scoring (then `score` is null and `pass` false). `runId` names the run of a judge or an evaluator
 * flow, so its trace can be opened.
 */
export interface EvalScore {
  score: number | null;
  pass: boolean;
  reason?: string;
  error?: ErrorBody;
  runId?: string;
}

/** One cell of a results row. */
export interface ExperimentResultCell {
  target: number;
  repetition: number;
  /** `running`: its run (`runId`) has started. */
  status: 'pending' | 'running' | 'done' | 'error';
  runId?: string;
  output?: unknown;
  scores?: Record<string, EvalScore>;
  isPassed?: boolean;
  error?: ErrorBody;
  durationMs?: number;
  tokens?: number;
  costUsd?: number;
}

/** A dataset item with the cells of every target and repetition, keyed by the item's id. */
export interface ExperimentResultRow {
  itemId: string;
  input: Values;
  expected?: unknown;
  cells: ExperimentResultCell[];
}

/** One item's score on two targets (the mean over its repetitions) and the difference. */
export interface ItemDelta {
  itemId: string;
  baseline: number;
  candidate: number;
  delta: number;
}

/** `GET /api/experiments/:id/compare`. */
export interface ExperimentComparison {
  experimentId: string;
  baseline: number;
  candidate: number;
  /** The evaluator compared, or null for the mean of every evaluator's score. */
  evaluator: string | null;
  /** Items with finished cells on both targets. */
  paired: number;
  /** Items left out: a target has no finished cell for them yet. */
  unpaired: number;
  baselineMean: number | null;
  candidateMean: number | null;
  meanDelta: number | null;
  /** 95 % paired bootstrap interval of the mean difference (null: no pairs). */
  ci95: [number, number] | null;
  /** At least `minPairs` pairs and an interval that leaves 0 out: the difference is unlikely to be chance. */
  isSignificant: boolean;
  /** The fewest pairs that can be significant. */
  minPairs: number;
  /** Why the difference is significant or not, in one sentence. */
  note: string;
  wins: number;
  losses: number;
  ties: number;
  /** How the interval was made: a paired bootstrap, or the normal approximation when there are very many pairs. */
  method: 'bootstrap' | 'normal';
  /** The bootstrap's resamples (fewer than asked when resamples × pairs would pass 2,000,000; 0 for `normal`). */
  resamples: number;
  seed: number;
  /** A page of the items, the largest regression (most negative delta) first; `cursor` asks for the next. */
  deltas: ItemDelta[];
  cursor?: string;
}

/** A fine-tuning job started from Flowloom, as last seen at the provider (`GET /api/fine-tunes`). */
export interface FineTuneJob {
  id: string;
  fileId: string;
  baseModel: string;
  status: string;
  fineTunedModel: string | null;
  error: string | null;
  method: 'supervised' | 'dpo';
  examples: number;
  tokens: number;
  suffix: string | null;
  createdAt: string;
  updatedAt: string;
}
