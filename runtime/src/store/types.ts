import type { ErrorBody, FlowFile, RunStatus, TraceEvent, Usage, Values } from '@flowloom/nodes';
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
}

export interface RunEnd {
  status: RunStatus;
  outputs?: Values;
  error?: ErrorBody;
  usage?: Usage;
  costUsd?: number;
  endedAt: string;
  durationMs: number;
}

export interface RunQuery {
  flowId?: string;
  status?: RunStatus;
  limit?: number;
}

export interface Feedback {
  id: number;
  runId: string;
  score: number;
  comment?: string;
  createdAt: string;
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

/** The `run_jobs` table: what a queued run executes (JSON written by the API process that accepted it). */
export interface RunJobTable {
  /** Stores a run's job (once: a second put of the same run is a no-op). */
  put(runId: string, job: string): Promise<void>;
  get(runId: string): Promise<string | undefined>;
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
  readonly runJobs: RunJobTable;

  /** Commits what is queued (as far as the database lets it) and closes the connections. */
  close(): Promise<void>;
}
