import type { ErrorBody, FlowFile, RunSource, RunStatus, TraceEvent, Usage, Values } from '@flowloom/nodes';
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

/** One execution of a node (its top-level span) as monitoring counts it. */
export interface NodeSample {
  at: string;
  failed: boolean;
  durationMs: number | null;
  tokens: number;
  costUsd: number;
}

export interface Feedback {
  id: number;
  runId: string;
  score: number;
  comment?: string;
  createdAt: string;
}

/** Which runs a fine-tuning export reads: completed runs started in `[since, until)`, of a flow. */
export interface ExportQuery {
  flowId?: string;
  since?: string;
  until?: string;
  /** Only this node's events. */
  nodeId?: string;
}

/** A completed run as a fine-tuning export reads it: its feedback, and its top-level node events. */
export interface ExportRun {
  runId: string;
  flowId: string;
  flowVersion: number | null;
  startedAt: string;
  feedbackCount: number;
  feedbackMean: number | null;
  /** The JSON of its top-level `node.started` and `node.completed` events, in seq order. */
  events: string[];
}

/** A fine-tuning job started from Flowloom (`fine_tune_jobs`), as last seen at the provider. */
export interface FineTuneJobRow {
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

/**
 * Everything the runtime keeps: flows and their versions, runs and their events, feedback, published versions, API
 * keys, settings and chat memory. Two implementations: `SqliteStore` (embedded, the default) and `PostgresStore`
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
  getRun(runId: string): Promise<RunRecord | undefined>;
  /** Newest first (default limit 50). */
  listRuns(query?: RunQuery): Promise<RunRecord[]>;
  /** A run's events in seq order; with `afterSeq`, only those after it. */
  getEvents(runId: string, afterSeq?: number): Promise<TraceEvent[]>;
  addFeedback(runId: string, score: number, comment?: string): Promise<Feedback>;
  /** The runs monitoring counts (docs/contracts.md §7 `GET /api/metrics`), oldest first. */
  runSamples(query: MetricsQuery): Promise<RunSample[]>;
  /** The executions of one node in the runs monitoring counts, oldest first. */
  nodeSamples(query: MetricsQuery & { nodeId: string }): Promise<NodeSample[]>;
  /** Completed runs and their node events for a fine-tuning export, oldest first. */
  exportRuns(query: ExportQuery): Promise<ExportRun[]>;
  listFeedback(runId: string): Promise<Feedback[]>;
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

  /** Commits what is queued (as far as the database lets it) and closes the connections. */
  close(): Promise<void>;
}
