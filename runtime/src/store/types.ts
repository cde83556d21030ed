import type {
  DatasetItem,
  Dataset as DatasetRecord,
  ErrorBody,
  ExperimentStatus,
  Feedback,
  FineTuneJob,
  FlowFile,
  RunOrigin,
  RunSource,
  RunStatus,
  TraceEvent,
  Usage,
  Values,
} from '@flowloom/nodes';
import type { KeyRow } from './keys.js';
import type { PublishedRow, PublishedRunRow } from './published.js';

/** Which database a store keeps its data in (`GET /api/health` shows it). */
export type StoreKind = 'sqlite' | 'postgres';

export interface FlowSummary {
  id: string;
  name: string;
  description?: string;
  tags?: string[];
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface StoredFlow {
  flow: FlowFile;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface FlowVersionInfo {
  version: number;
  savedAt: string;
}

/** A run as stored: the row of `runs`, JSON columns parsed. */
export interface RunRecord {
  runId: string;
  flowId: string;
  flowVersion: number | null;
  status: RunStatus;
  inputs: Values;
  outputs?: Values;
  error?: ErrorBody;
  usage?: Usage;
  costUsd?: number;
  startedAt: string;
  endedAt?: string;
  durationMs?: number;
  sessionId?: string;
  parentRunId?: string;
  depth: number;
  /** 0 while queued; each claim (`claimRun`) adds one, so the first execution is attempt 1. */
  attempt: number;
  /** Where the run came from (docs/contracts.md §7); unset for runs stored before sources were recorded. */
  source?: RunSource;
  /** Milliseconds from the run's start to its first streamed text, when it streamed any. */
  ttftMs?: number;
  /** How an editor run was asked for (rerun, node alone, pins), when not as a plain run. */
  origin?: RunOrigin;
  /** The published version that served the run (run lists only). */
  publishedVersion?: number;
  /** The run's feedback, when it has any (run lists only): how many and their mean score. */
  feedback?: { count: number; mean: number };
}

export interface RunStart {
  runId: string;
  flowId: string;
  flowVersion: number | null;
  status: RunStatus;
  inputs: Values;
  startedAt: string;
  sessionId?: string;
  parentRunId?: string;
  depth?: number;
  /** Default: 0 for a `queued` run (a worker claims it later), 1 for a run that executes right away. */
  attempt?: number;
  source?: RunSource;
  origin?: RunOrigin;
}

export interface RunEnd {
  status: RunStatus;
  outputs?: Values;
  error?: ErrorBody;
  usage?: Usage;
  costUsd?: number;
  endedAt: string;
  durationMs: number;
  ttftMs?: number;
}

/** Feedback a listed run must have: `positive` (a mean score above 0), `negative` (below 0), `any`, `none`. */
export type FeedbackFilter = 'positive' | 'negative' | 'any' | 'none';

export interface RunQuery {
  flowId?: string;
  status?: RunStatus;
  limit?: number;
  /** Runs from any of these sources. */
  sources?: readonly RunSource[];
  /** Runs served by this published version. */
  version?: number;
  feedback?: FeedbackFilter;
  /** Text the run's inputs contain (case-insensitive). */
  text?: string;
  /** Only runs started before this time (paging: the last `startedAt` of the previous page). */
  before?: string;
}

/** Which runs monitoring looks at: top-level runs (not subflow runs) started in `[from, to)`. */
export interface MetricsQuery {
  flowId?: string;
  version?: number;
  sources?: readonly RunSource[];
  from: string;
  to: string;
}

/** One run as monitoring counts it. */
export interface RunSample {
  startedAt: string;
  status: RunStatus;
  durationMs: number | null;
  ttftMs: number | null;
  tokens: number;
  costUsd: number;
  feedbackCount: number;
  feedbackSum: number;
}

/**
 * One evaluator's scores of a run monitoring counts: the verdicts of the experiment cell the run was made for (a cell
 * done or in error) that have a score, how many and their sum.
 */
export interface EvalSample {
  startedAt: string;
  name: string;
  count: number;
  sum: number;
}

/** One execution of a node (its top-level span) as monitoring counts it. */
export interface NodeSample {
  at: string;
  failed: boolean;
  durationMs: number | null;
  tokens: number;
  costUsd: number;
}

/** Feedback on a run, or on one node of it (docs/contracts.md §7); the shape is the API's, in `@flowloom/nodes/spec`. */
export type { Feedback };

/** Feedback as written: every field (a write replaces the feedback of that id), `at` the time of the write. */
export type FeedbackWrite = Omit<Feedback, 'createdAt' | 'updatedAt'> & { at: string };

/** A dataset and its items (docs/contracts.md §7) as the API answers them, in `@flowloom/nodes/spec`. */
export type { DatasetItem, DatasetRecord };

/** A new item as the store writes it (ids are given; the store keeps the order they come in). */
export type NewDatasetItem = Omit<DatasetItem, 'createdAt' | 'updatedAt'>;

/** A change to an item: a field left out stays; `null` clears an optional one. */
export interface DatasetItemPatch {
  input?: Values;
  expected?: unknown;
  metadata?: Record<string, unknown> | null;
  split?: string | null;
}

/** The `datasets` and `dataset_items` tables; the dataset service (datasets/) holds the rules. */
export interface DatasetTable {
  /** CONFLICT when the id is taken. */
  create(row: { id: string; name: string; description?: string; at: string }): Promise<DatasetRecord>;
  get(id: string): Promise<DatasetRecord | undefined>;
  /** Newest first. */
  list(): Promise<DatasetRecord[]>;
  /** Renames or redescribes (`description: null` clears it), bumping the revision; undefined when unknown. */
  update(
    id: string,
    patch: { name?: string; description?: string | null },
    at: string,
  ): Promise<DatasetRecord | undefined>;
  /** Deletes a dataset and its items; false when it did not exist. */
  remove(id: string): Promise<boolean>;
  /**
   * Appends items in one transaction, in order, bumping the revision once: all or none. Undefined when the dataset
   * is unknown; CONFLICT (details: the ids) when an item id is taken.
   */
  addItems(datasetId: string, items: readonly NewDatasetItem[], at: string): Promise<DatasetRecord | undefined>;
  /** Items in the order they were added, after the cursor (`afterSeq`); with `split`, that split's only. */
  listItems(
    datasetId: string,
    query: { split?: string; limit: number; afterSeq?: number },
  ): Promise<(DatasetItem & { seq: number })[]>;
  getItem(datasetId: string, itemId: string): Promise<DatasetItem | undefined>;
  /** Undefined when the item is unknown; bumps the dataset's revision. */
  updateItem(datasetId: string, itemId: string, patch: DatasetItemPatch, at: string): Promise<DatasetItem | undefined>;
  /** False when the item is unknown; bumps the dataset's revision. */
  removeItem(datasetId: string, itemId: string, at: string): Promise<boolean>;
}

/** An experiment's status (`@flowloom/nodes/spec`). */
export type { ExperimentStatus };

/** A row of `experiments`; `spec` (JSON) is the experiment service's to read (targets, evaluators, settings). */
export interface ExperimentRow {
  id: string;
  name?: string;
  status: ExperimentStatus;
  datasetId: string;
  split?: string;
  datasetRevision: number;
  spec: string;
  /** Cells in all: items × targets × repetitions. */
  total: number;
  error?: ErrorBody;
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
  /** The process running it (host name and pid), while one does. */
  ownerHost?: string;
  ownerPid?: number;
}

/** An item as an experiment froze it when it was created (later changes to the dataset do not reach it). */
export interface ExperimentItem {
  seq: number;
  itemId: string;
  input: Values;
  expected?: unknown;
}

/**
 * One item × target × repetition: pending, running (its run started: `runId` names it, written before the run
 * starts, so a restart can take the run's outcome instead of running it again), then done or error once scored.
 */
export interface ExperimentCell {
  seq: number;
  target: number;
  repetition: number;
  status: 'pending' | 'running' | 'done' | 'error';
  runId?: string;
  output?: unknown;
  /** The verdicts by evaluator name (the evaluator layer's shape, kept as JSON here). */
  scores?: Record<string, unknown>;
  error?: ErrorBody;
  isPassed?: boolean;
  durationMs?: number;
  tokens?: number;
  costUsd?: number;
  endedAt?: string;
}

/** A cell still to run (pending, or running when its process stopped) with its item. */
export interface PendingCell {
  cell: ExperimentCell;
  item: ExperimentItem;
}

/** What a cell is keyed by within its experiment, in run order. */
export interface CellKey {
  seq: number;
  target: number;
  repetition: number;
}

/** One target's cells summed up in the store (the service makes the summary of it). */
export interface TargetAggregate {
  target: number;
  /** Cells in all, finished ones (done or error), those that passed, errors. */
  total: number;
  finished: number;
  passed: number;
  errors: number;
  tokens: number;
  costUsd: number;
  /** Nearest-rank p50 and p95 of the finished cells' run durations (null: none has one). */
  p50: number | null;
  p95: number | null;
  /** By evaluator name over finished cells: the sum of its scores (a null score as 0) and how many it gave. */
  scores: Record<string, { sum: number; scored: number }>;
}

/** An item's score on a target: the mean over its finished repetitions (see `ExperimentTable.itemScores`). */
export interface ItemScore {
  seq: number;
  target: number;
  score: number;
}

/** The `experiments`, `experiment_items` and `experiment_cells` tables; the experiment service holds the rules. */
export interface ExperimentTable {
  /**
   * The experiment, its items frozen from the dataset (`source`: its items, of one split, renumbered 1..n in order)
   * and a pending cell per item × target × repetition. False, with nothing left behind, when the dataset's revision
   * is no longer `source.revision` (it changed since the caller read it): the items copied are exactly those of that
   * revision. The experiment row is written last, so a half-made one is never seen (nor resumed).
   */
  create(
    row: ExperimentRow,
    source: { datasetId: string; split?: string; revision: number },
    shape: { targets: number; repetitions: number },
  ): Promise<boolean>;
  get(id: string): Promise<ExperimentRow | undefined>;
  /** Newest first. */
  list(limit: number): Promise<ExperimentRow[]>;
  /** Sets the status and times (and the error of a failed one). */
  update(
    id: string,
    fields: { status: ExperimentStatus; startedAt?: string; endedAt?: string; error?: ErrorBody },
  ): Promise<void>;
  /**
   * Takes the experiment over for `owner` (null: lets it go) if it is still queued or running and its owner is still
   * `previous` (compare and set): true when it is now the owner's.
   */
  claim(
    id: string,
    owner: { host: string; pid: number } | null,
    previous: { host?: string; pid?: number },
  ): Promise<boolean>;
  /** Experiments queued or running (to resume after a restart). */
  unfinished(): Promise<ExperimentRow[]>;
  /** Frozen items in order; with `afterSeq` and `limit`, a page of them. */
  items(id: string, page?: { afterSeq?: number; limit?: number }): Promise<ExperimentItem[]>;
  /** Cells ordered by item, target and repetition; with `fromSeq`/`toSeq`, those of the items in that range only. */
  cells(id: string, range?: { fromSeq?: number; toSeq?: number }): Promise<ExperimentCell[]>;
  /** Cells still to run (pending or running) after `after`, in run order, with their items: at most `limit`. */
  pendingCells(id: string, after: CellKey | undefined, limit: number): Promise<PendingCell[]>;
  /** Each target's cells summed up (SQL aggregates: no cell is loaded), in target order; targets without cells left out. */
  aggregates(id: string): Promise<TargetAggregate[]>;
  /**
   * Each item's score on the given targets over its finished cells: one evaluator's score, or (`evaluator` null) the
   * mean of every verdict's; a null score, a missing verdict or a cell without verdicts (an error) counts as 0. Ordered
   * by item and target.
   */
  itemScores(id: string, targets: readonly number[], evaluator: string | null): Promise<ItemScore[]>;
  /** The item ids of the given item numbers. */
  itemIds(id: string, seqs: readonly number[]): Promise<Map<number, string>>;
  /** Writes cells (a start, an outcome, or back to pending) in one transaction, in order. */
  saveCells(id: string, cells: readonly ExperimentCell[]): Promise<void>;
  /** The cell a run was made for: which experiment, item, target and repetition (undefined for other runs). */
  cellOfRun(
    runId: string,
  ): Promise<{ experimentId: string; itemId: string; target: number; repetition: number } | undefined>;
  /** How many cells are finished (done or error) and how many of those are errors. */
  counts(id: string): Promise<{ finished: number; errors: number }>;
  /** Deletes an experiment with its items and cells (its runs stay); false when it did not exist. */
  remove(id: string): Promise<boolean>;
}

/** Which runs a fine-tuning export reads: completed runs started in `[since, until)`, of a flow, of these ids. */
export interface ExportQuery {
  flowId?: string;
  since?: string;
  until?: string;
  /** Only this node's events. */
  nodeId?: string;
  /** Only these runs (an experiment's cells). */
  runIds?: readonly string[];
}

/** A completed run as a fine-tuning export reads it: its feedback, and its top-level node events. */
export interface ExportRun {
  runId: string;
  flowId: string;
  flowVersion: number | null;
  startedAt: string;
  feedbackCount: number;
  feedbackMean: number | null;
  /** The JSON of its outputs (a correction of the whole run is matched with them). */
  outputs: string | null;
  /** The JSON of its top-level `node.started` and `node.completed` events, in seq order. */
  events: string[];
}

/** A fine-tuning job started from Flowloom (`fine_tune_jobs`): the API's `FineTuneJob` (`@flowloom/nodes/spec`). */
export type FineTuneJobRow = FineTuneJob;

/** The `fine_tune_jobs` table. */
export interface FineTuneTable {
  insert(row: FineTuneJobRow): Promise<void>;
  update(id: string, change: Pick<FineTuneJobRow, 'status' | 'fineTunedModel' | 'error' | 'updatedAt'>): Promise<void>;
  get(id: string): Promise<FineTuneJobRow | undefined>;
  /** Newest first. */
  list(): Promise<FineTuneJobRow[]>;
}

/** `published_versions` and `published_runs`; the published service (publishing/versions.ts) holds the rules. */
export interface PublishedTable {
  /**
   * Inserts the next version of a flow: CONFLICT when `row.version` is not the flow's newest plus one (another
   * publish got there first).
   */
  insertNext(row: PublishedRow): Promise<void>;
  get(flowId: string, version: number): Promise<PublishedRow | undefined>;
  latest(flowId: string): Promise<PublishedRow | undefined>;
  /** Every version of a flow without its frozen flows, newest first. */
  list(flowId: string): Promise<Omit<PublishedRow, 'json' | 'bundle'>[]>;
  /** Ids of every flow with at least one published version, sorted. */
  flowIds(): Promise<string[]>;
  /** Deletes every version of a flow; answers how many there were. */
  remove(flowId: string): Promise<number>;
  /** Queues the run's `published_runs` row: it is committed with the run's own row and events (group commit). */
  recordRun(run: PublishedRunRow): void;
  /** The `published_runs` row of a run (undefined for a run not made through a published endpoint). Flushes first. */
  getRun(runId: string): Promise<PublishedRunRow | undefined>;
}

/** The `api_keys` table (API keys of published endpoints); the key service (publishing/keys.ts) holds the rules. */
export interface KeyTable {
  insert(row: Omit<KeyRow, 'lastUsedAt' | 'revokedAt'>): Promise<void>;
  get(id: string): Promise<KeyRow | undefined>;
  /** Newest first. */
  list(): Promise<KeyRow[]>;
  /** Sets `revokedAt` unless the key is revoked already (the first time stays). */
  revoke(id: string, at: string): Promise<void>;
  /** Writes last-used times in one transaction. False when the store is closed already (nothing written). */
  touch(times: readonly (readonly [id: string, at: string])[]): Promise<boolean>;
  /**
   * A number that changes when keys may have been changed through another connection (another process revoking a
   * key): cached rows are stale then.
   */
  changeToken(): Promise<number>;
}

/** The `settings` table: one JSON value per name (e.g. `provider`), with the time it was last set. */
export interface SettingsTable {
  get(name: string): Promise<{ value: string; updatedAt: string } | undefined>;
  put(name: string, value: string, updatedAt: string): Promise<void>;
  /**
   * Reads a value and writes what `fn` makes of it, atomically (one transaction holding the write lock, so no other
   * change to that name, in this process or another, lands in between). `fn` is synchronous; when it throws nothing
   * is written and the error is thrown.
   */
  change(name: string, fn: (value: string | undefined) => string, updatedAt: string): Promise<void>;
}

/** The `chat_memory` table: chat messages (JSON) per session and namespace, for the memory node. */
export interface MemoryTable {
  /** The latest `limit` messages of a session's namespace, oldest first. */
  read(sessionId: string, namespace: string, limit: number): Promise<string[]>;
  /** Appends messages in one transaction, then drops all but the latest `keep` of the session's namespace. */
  append(sessionId: string, namespace: string, messages: readonly string[], keep: number): Promise<void>;
  /** Forgets a session in every namespace. */
  clear(sessionId: string): Promise<void>;
}

/** The `run_jobs` table: what a queued run executes (JSON written by the API process that accepted it). */
export interface RunJobTable {
  /** Stores a run's job (once: a second put of the same run is a no-op). */
  put(runId: string, job: string): Promise<void>;
  get(runId: string): Promise<string | undefined>;
}

/**
 * Everything the runtime keeps: flows and their versions, runs and their events, feedback, published versions, API
 * keys, settings, chat memory, datasets and experiments. Two implementations: `SqliteStore` (embedded, the default) and `PostgresStore`
 * (`DATABASE_URL`); `openStore` picks one. Reads, and writes that answer something, are async. Run rows, events and
 * final states are fire-and-forget: queued, then committed together in one transaction every few ms (group commit),
 * idempotently (a batch not known to be committed is written again). Reads (`getRun`, `listRuns`, `getEvents`)
 * commit what is queued first, so they always see it.
 *
 * Fencing: a run's writes carry its `attempt`; those of an attempt older than the row's (a worker that lost the run
 * to another's `claimRun`) are ignored. Events are keyed `(runId, seq)`: writing one again is a no-op.
 */
export interface Store {
  readonly kind: StoreKind;
  /** Where the data is, without credentials (the SQLite file, or Postgres' host, port and database). */
  readonly location: string;
  /** True when the database answers a query (`GET /api/health`). */
  ping(): Promise<boolean>;
  /**
   * Throws STORE_UNAVAILABLE (503) when the store already knows it cannot reach its database (the last query or
   * commit failed to connect), without asking it: new runs are refused at once instead of piling up in memory.
   */
  assertAvailable(): void;

  listFlows(): Promise<FlowSummary[]>;
  /** A flow as stored by an older kind version is upgraded on the way out (the registry the store was opened with). */
  getFlow(id: string): Promise<StoredFlow | undefined>;
  /** The stored text of the current draft (canonical, as `serializeFlow` writes it). */
  getFlowText(id: string): Promise<string | undefined>;
  /** Stores a new flow as version 1, every node with its kind's version. Throws FLOW_EXISTS when the id is taken. */
  createFlow(flow: FlowFile): Promise<StoredFlow>;
  /**
   * Replaces the draft, bumping its version and keeping the old one in the history. Throws FLOW_NOT_FOUND; with
   * `expectedVersion`, FLOW_VERSION_CONFLICT when someone saved in between.
   */
  updateFlow(flow: FlowFile, expectedVersion?: number): Promise<StoredFlow>;
  /** Deletes a flow and its history (its runs stay). False when it did not exist. */
  deleteFlow(id: string): Promise<boolean>;
  /** Newest first; empty for an unknown flow. */
  listFlowVersions(id: string): Promise<FlowVersionInfo[]>;
  getFlowVersion(id: string, version: number): Promise<{ flow: FlowFile; savedAt: string } | undefined>;

  /** Queues a run's row (group commit). */
  insertRun(run: RunStart): void;
  /** Queues an event of the given attempt (encoded now: later changes to its objects do not matter). */
  enqueueEvent(event: TraceEvent, attempt: number): void;
  /** Queues a run's final state, written unless the run has moved on to a later attempt. */
  finishRun(runId: string, attempt: number, end: RunEnd): void;
  /** Commits everything queued before the call. Rejects when the commit fails (the data stays queued). */
  flush(): Promise<void>;
  /**
   * Claims a queued or running run for this process: bumps its attempt (atomically) and marks it running. Answers the
   * new attempt, which the claimer's writes carry from then on; undefined when the run is unknown or has ended.
   */
  claimRun(runId: string): Promise<number | undefined>;
  /**
   * Claims a `paused` run to go on (resumed, or ended at its pause deadline): bumps its attempt (atomically) and marks
   * it running again. Answers the new attempt; undefined when the run is not paused (someone else claimed it).
   */
  claimPausedRun(runId: string): Promise<number | undefined>;
  getRun(runId: string): Promise<RunRecord | undefined>;
  /** The runs of these ids that exist, in one query (order not given). */
  getRuns(runIds: readonly string[]): Promise<RunRecord[]>;
  /** Newest first (default limit 50). */
  listRuns(query?: RunQuery): Promise<RunRecord[]>;
  /** A run's events in seq order; with `afterSeq`, only those after it. */
  getEvents(runId: string, afterSeq?: number): Promise<TraceEvent[]>;
  /**
   * Writes feedback: a new (runId, id) adds it, a known one replaces it (keeping `createdAt`). CONFLICT when that
   * feedback has another author.
   */
  putFeedback(write: FeedbackWrite): Promise<Feedback>;
  /** The runs monitoring counts (docs/contracts.md §7 `GET /api/metrics`), oldest first. */
  runSamples(query: MetricsQuery): Promise<RunSample[]>;
  /** The executions of one node in the runs monitoring counts, oldest first. */
  nodeSamples(query: MetricsQuery & { nodeId: string }): Promise<NodeSample[]>;
  /** The evaluators' scores of the runs monitoring counts (SQL aggregates per run and evaluator), oldest first. */
  evalSamples(query: MetricsQuery): Promise<EvalSample[]>;
  /** Completed runs and their node events for a fine-tuning export, oldest first. */
  exportRuns(query: ExportQuery): Promise<ExportRun[]>;
  /** A run's feedback that is not withdrawn, oldest first. */
  listFeedback(runId: string): Promise<Feedback[]>;
  /**
   * The feedback of several runs that is not withdrawn, in one query, in the order it was last written (`updatedAt`:
   * a replaced feedback is as new as its replacement), the newest last.
   */
  listFeedbackOfRuns(runIds: readonly string[]): Promise<Feedback[]>;
  /**
   * Runs left `running`/`queued` by a process of this machine that is gone (crash, kill -9) become `failed` with
   * RUN_INTERRUPTED, and their event log gets a closing `run.failed`. Runs of a live process are left alone. Answers
   * the ids it marked.
   */
  recoverInterrupted(): Promise<string[]>;

  readonly published: PublishedTable;
  readonly keys: KeyTable;
  readonly settings: SettingsTable;
  readonly memory: MemoryTable;
  readonly fineTunes: FineTuneTable;
  readonly datasets: DatasetTable;
  readonly experiments: ExperimentTable;
  readonly runJobs: RunJobTable;

  /** Commits what is queued (as far as the database lets it) and closes the connections. */
  close(): Promise<void>;
}
