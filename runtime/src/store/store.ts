import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  AppError,
  type ErrorBody,
  type FlowFile,
  migrateFlow,
  NodeRegistry,
  type RunStatus,
  serializeFlow,
  type TraceEvent,
  type Usage,
  type Values,
} from '@flowloom/nodes';
import Database from 'better-sqlite3';
import { isProcessAlive } from '../platform/process-alive.js';
import { WriterThread } from './group-commit.js';
import { KeyTable } from './keys.js';
import { MemoryTable } from './memory.js';
import { MIGRATIONS, type Migration, migrate } from './migrations.js';
import { PublishedTable } from './published.js';
import { addEvent, BatchWriter, configureConnection, emptyBatch, isEmptyBatch, type WriteBatch } from './row-writes.js';
import { SettingsTable } from './settings.js';

/** The database file inside the data folder. */
export const DB_FILE = 'flowloom.db';

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

export interface StoreOptions {
  /**
   * The node kinds flows are migrated to (`migrateFlow`) when read and written, so every flow the store hands out or
   * keeps is at its kinds' current versions. Default: the built-in kinds.
   */
  registry?: NodeRegistry;
  /** Only for tests: the schema history to apply (defaults to every migration). */
  migrations?: readonly Migration[];
  /** Mark runs left running by dead processes as failed (RUN_INTERRUPTED). Default true. */
  recover?: boolean;
  /** Told when a background write of queued rows and events fails (they stay queued for the next flush). */
  onError?: (err: unknown) => void;
  /**
   * How long queued rows and events may wait before they are written (group commit). Default
   * {@link DEFAULT_FLUSH_DELAY_MS}; 0 writes on the next tick. Reads always flush first, so this only bounds what a
   * crash (kill -9, power loss) can lose, never what a reader sees.
   */
  flushDelayMs?: number;
  /**
   * Where run rows and events are committed: `thread` (default) on a writer thread with its own connection, so the
   * event loop never waits for SQLite; `inline` on this connection, in the event loop.
   */
  writer?: 'thread' | 'inline';
  /** How long a statement waits for another connection's write lock (default 5000 ms). */
  busyTimeoutMs?: number;
}

/**
 * Queued rows and events are committed at most this long after the first of them was queued. One commit costs about
 * as much as a hundred row inserts, so under load one commit every few ms instead of one per tick is most of the
 * store's cost saved (docs/performance.md).
 */
export const DEFAULT_FLUSH_DELAY_MS = 10;
/** This many queued events are written at once, without waiting for the delay (bounds memory and commit size). */
const FLUSH_AT_EVENTS = 5000;

interface RunRow {
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
}

interface FlowRow {
  id: string;
  name: string;
  version: number;
  json: string;
  createdAt: string;
  updatedAt: string;
}

function parse<T>(json: string | null): T | undefined {
  return json === null ? undefined : (JSON.parse(json) as T);
}

function toRun(row: RunRow): RunRecord {
  const run: RunRecord = {
    runId: row.runId,
    flowId: row.flowId,
    flowVersion: row.flowVersion,
    status: row.status,
    inputs: parse<Values>(row.inputs) ?? {},
    startedAt: row.startedAt,
    depth: row.depth,
  };
  if (row.outputs !== null) run.outputs = parse<Values>(row.outputs);
  if (row.error !== null) run.error = parse<ErrorBody>(row.error);
  if (row.usage !== null) run.usage = parse<Usage>(row.usage);
  if (row.cost !== null) run.costUsd = row.cost;
  if (row.endedAt !== null) run.endedAt = row.endedAt;
  if (row.durationMs !== null) run.durationMs = row.durationMs;
  if (row.sessionId !== null) run.sessionId = row.sessionId;
  if (row.parentRunId !== null) run.parentRunId = row.parentRunId;
  return run;
}

function prepareStatements(db: Database.Database) {
  return {
    listFlows: db.prepare('SELECT * FROM flows ORDER BY id'),
    getFlow: db.prepare('SELECT * FROM flows WHERE id = ?'),
    insertFlow: db.prepare(
      'INSERT INTO flows (id, name, version, json, createdAt, updatedAt) VALUES (@id, @name, @version, @json, @at, @at)',
    ),
    updateFlow: db.prepare(
      'UPDATE flows SET name = @name, version = @version, json = @json, updatedAt = @at WHERE id = @id',
    ),
    deleteFlow: db.prepare('DELETE FROM flows WHERE id = ?'),
    ping: db.prepare('SELECT 1'),
    insertVersion: db.prepare('INSERT INTO flow_versions (flowId, version, json, savedAt) VALUES (?, ?, ?, ?)'),
    deleteVersions: db.prepare('DELETE FROM flow_versions WHERE flowId = ?'),
    listVersions: db.prepare('SELECT version, savedAt FROM flow_versions WHERE flowId = ? ORDER BY version DESC'),
    getVersion: db.prepare('SELECT json, savedAt FROM flow_versions WHERE flowId = ? AND version = ?'),
    getRun: db.prepare('SELECT * FROM runs WHERE runId = ?'),
    listRuns:
      db.prepare(`SELECT * FROM runs WHERE (@flowId IS NULL OR flowId = @flowId) AND (@status IS NULL OR status = @status)
      ORDER BY startedAt DESC, rowid DESC LIMIT @limit`),
    unfinishedRuns: db.prepare("SELECT runId, pid, startedAt FROM runs WHERE status IN ('running', 'queued')"),
    getEvents: db.prepare('SELECT json FROM run_events WHERE runId = ? ORDER BY seq'),
    lastSeq: db.prepare('SELECT MAX(seq) AS seq FROM run_events WHERE runId = ?'),
    insertFeedback: db.prepare('INSERT INTO run_feedback (runId, score, comment, createdAt) VALUES (?, ?, ?, ?)'),
    listFeedback: db.prepare('SELECT * FROM run_feedback WHERE runId = ? ORDER BY id'),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

const INTERRUPTED: ErrorBody = {
  code: 'RUN_INTERRUPTED',
  message: 'The runtime stopped (crash, kill or restart) while this run was in progress.',
};

/**
 * Flows, their version history, runs and run events in SQLite (WAL). Statements are prepared once; trace events
 * are queued and written in one transaction per tick so the run's hot path only pushes to an array.
 */
export class Store {
  readonly db: Database.Database;
  readonly path: string;
  /** Published versions and the published runs' rows. */
  readonly published: PublishedTable;
  /** API keys of published endpoints. */
  readonly keys: KeyTable;
  /** Name/value settings (the model provider). */
  readonly settings: SettingsTable;
  /** Chat history of the memory node. */
  readonly memory: MemoryTable;
  /** Run rows, events, final states and other rows waiting for the next group commit. */
  #batch: WriteBatch = emptyBatch(1);
  #writer: WriterThread | undefined;
  /** Commits batches on this connection when there is no writer thread (or it is gone). */
  readonly #inline: BatchWriter;
  /** Batches whose inline commit failed, or that a lost writer thread may not have committed: written first next. */
  #retry: WriteBatch[] = [];
  #flushTimer: NodeJS.Timeout | undefined;
  #flushSoon = false;
  /** After a failed background commit (inline), the next try waits this long. */
  #retryDelayMs = 0;
  readonly flushDelayMs: number;
  #closed = false;
  readonly #sql: Statements;
  readonly #onError: ((err: unknown) => void) | undefined;
  readonly #registry: NodeRegistry;

  private constructor(path: string, options: StoreOptions) {
    this.path = path;
    this.#registry = options.registry ?? new NodeRegistry();
    this.#onError = options.onError;
    this.flushDelayMs = options.flushDelayMs ?? DEFAULT_FLUSH_DELAY_MS;
    this.db = new Database(path);
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    configureConnection(this.db, busyTimeoutMs);
    migrate(this.db, options.migrations ?? MIGRATIONS, { registry: this.#registry });
    this.#sql = prepareStatements(this.db);
    this.published = new PublishedTable(this.db, (sql, params) => this.enqueueRow(sql, params));
    this.keys = new KeyTable(this.db);
    this.settings = new SettingsTable(this.db);
    this.memory = new MemoryTable(this.db);
    this.#inline = new BatchWriter(this.db);
    if (options.recover !== false) this.recoverInterrupted();
    if (options.writer !== 'inline') {
      const writer = new WriterThread(path, busyTimeoutMs, {
        onError: (err) => this.#onError?.(err),
        onExit: (err) => {
          // Whatever it may not have committed is written here from now on (every write is idempotent).
          this.#retry.push(...writer.unacked);
          this.#writer = undefined;
          if (!this.#closed) this.#onError?.(err);
        },
      });
      this.#writer = writer;
    }
  }

  /** Opens (creating when needed) `flowloom.db` in the data folder and brings its schema up to date. */
  static open(dataDir: string, options: StoreOptions = {}): Store {
    mkdirSync(dataDir, { recursive: true });
    return new Store(join(dataDir, DB_FILE), options);
  }

  /** True when the database answers a query (`GET /api/health`). */
  isHealthy(): boolean {
    try {
      this.#sql.ping.get();
      return true;
    } catch {
      return false;
    }
  }

  // ---- flows ----

  listFlows(): FlowSummary[] {
    return (this.#sql.listFlows.all() as FlowRow[]).map((row) => {
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
    });
  }

  /** A flow as stored by an older kind version is upgraded on the way out (see `StoreOptions.registry`). */
  #migrated(flow: FlowFile): FlowFile {
    return migrateFlow(flow, this.#registry).flow;
  }

  getFlow(id: string): StoredFlow | undefined {
    const row = this.#sql.getFlow.get(id) as FlowRow | undefined;
    if (!row) return undefined;
    return {
      flow: this.#migrated(JSON.parse(row.json) as FlowFile),
      version: row.version,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    };
  }

  /** The stored text of the current draft (canonical, as `serializeFlow` writes it). */
  getFlowText(id: string): string | undefined {
    return (this.#sql.getFlow.get(id) as FlowRow | undefined)?.json;
  }

  /** Stores a new flow as version 1, every node with its kind's version. Throws FLOW_EXISTS when the id is taken. */
  createFlow(flow: FlowFile): StoredFlow {
    const at = new Date().toISOString();
    const stored = { ...this.#migrated(flow), version: 1 };
    const json = serializeFlow(stored);
    this.db
      .transaction(() => {
        if (this.#sql.getFlow.get(flow.id)) throw new AppError('FLOW_EXISTS', `flow "${flow.id}" already exists`);
        this.#sql.insertFlow.run({ id: flow.id, name: flow.name, version: 1, json, at });
        this.#sql.insertVersion.run(flow.id, 1, json, at);
      })
      .immediate();
    return this.getFlow(flow.id) as StoredFlow;
  }

  /**
   * Replaces the draft, bumping its version and keeping the old one in the history. With `expectedVersion`, refuses
   * (FLOW_VERSION_CONFLICT) when someone saved in between.
   */
  updateFlow(flow: FlowFile, expectedVersion?: number): StoredFlow {
    const at = new Date().toISOString();
    this.db
      .transaction(() => {
        const row = this.#sql.getFlow.get(flow.id) as FlowRow | undefined;
        if (!row) throw new AppError('FLOW_NOT_FOUND', `flow "${flow.id}" does not exist`);
        if (expectedVersion !== undefined && expectedVersion !== row.version) {
          throw new AppError(
            'FLOW_VERSION_CONFLICT',
            `flow "${flow.id}" is at version ${row.version}, not ${expectedVersion}: it was saved elsewhere meanwhile`,
            { details: [{ currentVersion: row.version, yourVersion: expectedVersion }] },
          );
        }
        const version = row.version + 1;
        const json = serializeFlow({ ...this.#migrated(flow), version });
        this.#sql.updateFlow.run({ id: flow.id, name: flow.name, version, json, at });
        this.#sql.insertVersion.run(flow.id, version, json, at);
      })
      .immediate();
    return this.getFlow(flow.id) as StoredFlow;
  }

  /** Deletes a flow and its history (its runs stay). False when it did not exist. */
  deleteFlow(id: string): boolean {
    return this.db
      .transaction(() => {
        const { changes } = this.#sql.deleteFlow.run(id);
        this.#sql.deleteVersions.run(id);
        return changes > 0;
      })
      .immediate();
  }

  listFlowVersions(id: string): FlowVersionInfo[] {
    return this.#sql.listVersions.all(id) as FlowVersionInfo[];
  }

  getFlowVersion(id: string, version: number): { flow: FlowFile; savedAt: string } | undefined {
    const row = this.#sql.getVersion.get(id, version) as { json: string; savedAt: string } | undefined;
    return row && { flow: this.#migrated(JSON.parse(row.json) as FlowFile), savedAt: row.savedAt };
  }

  // ---- runs ----

  /** Queues a run's row; it is written with the run's first events (reads flush first, so they always see it). */
  insertRun(run: RunStart): void {
    this.#batch.runs.push({
      runId: run.runId,
      flowId: run.flowId,
      flowVersion: run.flowVersion,
      status: run.status,
      inputs: JSON.stringify(run.inputs ?? {}),
      startedAt: run.startedAt,
      pid: process.pid,
      sessionId: run.sessionId ?? null,
      parentRunId: run.parentRunId ?? null,
      depth: run.depth ?? 0,
    });
    this.#scheduleFlush();
  }

  /**
   * Queues a run's final state; it is committed with the other queued rows and events (group commit). Reads flush
   * first, so every reader sees it at once; only a crash before the commit would leave the run to crash recovery.
   */
  finishRun(runId: string, end: RunEnd): void {
    if (this.#closed) return;
    this.#batch.finishes.push({
      runId,
      status: end.status,
      outputs: end.outputs === undefined ? null : JSON.stringify(end.outputs),
      error: end.error === undefined ? null : JSON.stringify(end.error),
      usage: end.usage === undefined ? null : JSON.stringify(end.usage),
      cost: end.costUsd ?? null,
      endedAt: end.endedAt,
      durationMs: Math.round(end.durationMs),
    });
    this.#scheduleFlush();
  }

  getRun(runId: string): RunRecord | undefined {
    this.flushEvents();
    const row = this.#sql.getRun.get(runId) as RunRow | undefined;
    return row && toRun(row);
  }

  listRuns(query: RunQuery = {}): RunRecord[] {
    this.flushEvents();
    const rows = this.#sql.listRuns.all({
      flowId: query.flowId ?? null,
      status: query.status ?? null,
      limit: query.limit ?? 50,
    }) as RunRow[];
    return rows.map(toRun);
  }

  /** Queues an event (encoded now, so later changes to its objects do not matter) for the next group commit. */
  enqueueEvent(event: TraceEvent): void {
    addEvent(this.#batch, event);
    this.#scheduleFlush();
  }

  /**
   * Queues another service's row for the next group commit, e.g. `published_runs`: an idempotent statement (INSERT
   * OR IGNORE, UPDATE by key), since a commit that is not known to have happened is tried again.
   */
  enqueueRow(sql: string, params: unknown[]): void {
    this.#batch.rows.push([sql, params]);
    this.#scheduleFlush();
  }

  #scheduleFlush(): void {
    if (this.#flushSoon) return;
    // A large batch (it bounds memory and commit size) or no delay: write on the next tick.
    if (this.flushDelayMs > 0 && this.#batch.eventCount < FLUSH_AT_EVENTS) {
      this.#flushTimer ??= setTimeout(this.#backgroundFlush, this.flushDelayMs);
      return;
    }
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    this.#flushSoon = true;
    setImmediate(this.#backgroundFlush);
  }

  readonly #backgroundFlush = (): void => {
    this.#flushTimer = undefined;
    this.#flushSoon = false;
    // A throw here would be an uncaught exception (the whole server down); the data stays queued instead and goes
    // with the next write or read, or the retry below, backing off, so it lands once the lock is free.
    try {
      this.#commitBatch();
      this.#retryDelayMs = 0;
    } catch (err) {
      this.#onError?.(err);
      this.#retryLater();
    }
  };

  /** After a failed inline commit: try again on a timer, backing off (the thread has its own retry). */
  #retryLater(): void {
    this.#retryDelayMs = Math.min(10_000, this.#retryDelayMs === 0 ? 250 : this.#retryDelayMs * 2);
    if (this.#flushTimer === undefined && !this.#flushSoon) {
      this.#flushTimer = setTimeout(this.#backgroundFlush, this.#retryDelayMs);
    }
  }

  /**
   * Hands the queued batch to the writer thread, or commits it here when there is none. Inline, a failed commit keeps
   * the batch for the next one and throws.
   */
  #commitBatch(): void {
    if (this.#closed) return;
    const batch = this.#batch;
    if (isEmptyBatch(batch) && this.#retry.length === 0) return;
    this.#batch = emptyBatch(batch.seq + 1);
    if (this.#writer && this.#retry.length === 0) {
      if (!isEmptyBatch(batch)) this.#writer.post(batch);
      return;
    }
    const batches = isEmptyBatch(batch) ? this.#retry : [...this.#retry, batch];
    this.#retry = batches;
    this.#inline.write(batches);
    this.#retry = [];
  }

  /** True while run data is committed on the writer thread (false inline, or once the thread is gone). */
  get hasWriterThread(): boolean {
    return this.#writer?.isAlive === true;
  }

  /**
   * Stops the writer thread as a crash would (tests, diagnostics). The store goes on committing on its own connection,
   * starting with whatever the thread may not have committed.
   */
  async killWriterThread(): Promise<void> {
    await this.#writer?.kill();
  }

  /** Settles once the writer thread, if there was one, has ended (tests: nothing touches the files after this). */
  async writerThreadExited(): Promise<void> {
    await this.#writer?.exited;
  }

  /** Commits every queued run row, event, final state and row before returning (reads call it first). */
  flushEvents(): void {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    this.#flushSoon = false;
    if (this.#closed) return;
    try {
      this.#commitBatch();
      this.#writer?.sync();
      // The thread was lost during the sync: what it may not have committed is written here.
      if (!this.#writer && this.#retry.length > 0) this.#commitBatch();
    } catch (err) {
      // The read fails, saying why; the data stays queued and is tried again on its own.
      if (!this.#writer) this.#retryLater();
      throw err;
    }
  }

  /** Writes events at once, on this connection (not queued). */
  appendEvents(events: readonly TraceEvent[]): void {
    const batch = emptyBatch(0);
    for (const event of events) addEvent(batch, event);
    this.#inline.write([batch]);
  }

  getEvents(runId: string): TraceEvent[] {
    this.flushEvents();
    return (this.#sql.getEvents.all(runId) as { json: string }[]).map((row) => JSON.parse(row.json) as TraceEvent);
  }

  addFeedback(runId: string, score: number, comment?: string): Feedback {
    const createdAt = new Date().toISOString();
    const { lastInsertRowid } = this.#sql.insertFeedback.run(runId, score, comment ?? null, createdAt);
    const feedback: Feedback = { id: Number(lastInsertRowid), runId, score, createdAt };
    if (comment !== undefined) feedback.comment = comment;
    return feedback;
  }

  listFeedback(runId: string): Feedback[] {
    const rows = this.#sql.listFeedback.all(runId) as {
      id: number;
      runId: string;
      score: number;
      comment: string | null;
      createdAt: string;
    }[];
    return rows.map((row) => {
      const feedback: Feedback = { id: row.id, runId: row.runId, score: row.score, createdAt: row.createdAt };
      if (row.comment !== null) feedback.comment = row.comment;
      return feedback;
    });
  }

  /**
   * Runs left `running`/`queued` by a process that is gone (crash, kill -9) become `failed` with RUN_INTERRUPTED,
   * and their event log gets a closing `run.failed`. Runs owned by a live process (a server sharing the data
   * folder with a CLI run) are left alone. Returns the ids it marked.
   */
  recoverInterrupted(): string[] {
    this.flushEvents();
    const endedAt = new Date().toISOString();
    const marked: string[] = [];
    this.db
      .transaction(() => {
        const rows = this.#sql.unfinishedRuns.all() as { runId: string; pid: number | null; startedAt: string }[];
        const batch = emptyBatch(0);
        for (const row of rows) {
          if (row.pid !== null && row.pid !== process.pid && isProcessAlive(row.pid)) continue;
          const durationMs = Math.max(0, Date.parse(endedAt) - Date.parse(row.startedAt));
          const run = this.getRun(row.runId) as RunRecord;
          const last = (this.#sql.lastSeq.get(row.runId) as { seq: number | null }).seq;
          addEvent(batch, {
            runId: row.runId,
            seq: last === null ? 0 : last + 1,
            at: endedAt,
            type: 'run.failed',
            flowId: run.flowId,
            data: { error: INTERRUPTED, durationMs },
          } as TraceEvent);
          batch.finishes.push({
            runId: row.runId,
            status: 'failed',
            outputs: null,
            error: JSON.stringify(INTERRUPTED),
            usage: null,
            cost: null,
            endedAt,
            durationMs,
          });
          marked.push(row.runId);
        }
        this.#inline.write([batch]);
      })
      .immediate();
    return marked;
  }

  /** Writes what is queued and closes the database. */
  close(): void {
    if (this.#closed) return;
    clearTimeout(this.#flushTimer);
    try {
      this.#commitBatch();
      const writer = this.#writer;
      if (writer) {
        try {
          writer.close();
        } catch (err) {
          this.#onError?.(err);
          // Last chance for what the thread could not commit: this connection.
          this.#retry.push(...writer.unacked);
          this.#writer = undefined;
        }
      }
      // Whatever a lost or failed thread left: written here.
      if (this.#retry.length > 0) this.#commitBatch();
    } catch (err) {
      this.#onError?.(err);
    }
    this.#closed = true;
    this.db.close();
  }
}
