import { dirname, join } from 'node:path';
import { AppError, type FlowFile, migrateFlow, NodeRegistry, serializeFlow, type TraceEvent } from '@flowloom/nodes';
import Database from 'better-sqlite3';
import { createPrivateDir, createPrivateFile } from '../platform/private-files.js';
import { isProcessAlive } from '../platform/process-alive.js';
import { SqliteDatasetTable } from './datasets.js';
import { SqliteExperimentTable } from './experiments.js';
import { SqliteFineTunes } from './finetune.js';
import { WriterThread } from './group-commit.js';
import { SqliteKeyTable } from './keys.js';
import { SqliteMemoryTable } from './memory.js';
import { MIGRATIONS, type Migration, migrate } from './migrations.js';
import { SqliteMonitoring } from './monitoring.js';
import { SqliteOwnerLock } from './owner-lock.js';
import { SqlitePublishedTable } from './published.js';
import {
  type FeedbackRow,
  type FlowRow,
  feedbackColumns,
  feedbackOfAnotherAuthor,
  INTERRUPTED,
  interruptedDuration,
  interruptedEvent,
  migratedFlow,
  parseEvent,
  type RunRow,
  toFeedback,
  toFlowSummary,
  toRun,
  toStoredFlow,
} from './records.js';
import {
  addEvent,
  addFinish,
  addRun,
  BatchWriter,
  configureConnection,
  emptyBatch,
  isEmptyBatch,
  type WriteBatch,
} from './row-writes.js';
import { SqliteRunJobTable, SqliteSettingsTable } from './settings.js';
import type {
  EvalSample,
  ExportQuery,
  ExportRun,
  Feedback,
  FeedbackWrite,
  FlowSummary,
  FlowVersionInfo,
  MetricsQuery,
  NodeSample,
  RunEnd,
  RunQuery,
  RunRecord,
  RunSample,
  RunStart,
  Store,
  StoredFlow,
} from './types.js';

/** The database file inside the data folder. */
export const DB_FILE = 'flowloom.db';

export interface SqliteStoreOptions {
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
export const FLUSH_AT_EVENTS = 5000;

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
    getRuns: db.prepare('SELECT * FROM runs WHERE runId IN (SELECT value FROM json_each(?))'),
    listRuns: db.prepare(`SELECT r.*,
        (SELECT version FROM published_runs p WHERE p.runId = r.runId) AS publishedVersion,
        (SELECT COUNT(*) FROM feedback f WHERE f.runId = r.runId AND f.score IS NOT NULL) AS feedbackCount,
        (SELECT AVG(score) FROM feedback f WHERE f.runId = r.runId AND f.score IS NOT NULL) AS feedbackMean
      FROM runs r WHERE (@flowId IS NULL OR r.flowId = @flowId) AND (@status IS NULL OR r.status = @status)
        AND (@sources IS NULL OR r.source IN (SELECT value FROM json_each(@sources)))
        AND (@version IS NULL OR EXISTS (SELECT 1 FROM published_runs p WHERE p.runId = r.runId AND p.version = @version))
        AND (@text IS NULL OR instr(lower(r.inputs), lower(@text)) > 0)
        AND (@before IS NULL OR r.startedAt < @before)
        AND (@feedback IS NULL
          OR (@feedback = 'none' AND NOT EXISTS (SELECT 1 FROM feedback f WHERE f.runId = r.runId AND f.score IS NOT NULL))
          OR (@feedback = 'any' AND EXISTS (SELECT 1 FROM feedback f WHERE f.runId = r.runId AND f.score IS NOT NULL))
          OR (@feedback = 'positive' AND (SELECT AVG(score) FROM feedback f WHERE f.runId = r.runId AND f.score IS NOT NULL) > 0)
          OR (@feedback = 'negative' AND (SELECT AVG(score) FROM feedback f WHERE f.runId = r.runId AND f.score IS NOT NULL) < 0))
      ORDER BY r.startedAt DESC, r.rowid DESC LIMIT @limit`),
    unfinishedRuns: db.prepare(
      "SELECT runId, flowId, pid, owner, startedAt, attempt FROM runs WHERE status IN ('running', 'queued')",
    ),
    claimRun: db.prepare(`UPDATE runs SET attempt = attempt + 1, status = 'running', pid = ?, owner = ?
      WHERE runId = ? AND status IN ('queued', 'running') RETURNING attempt`),
    claimPausedRun: db.prepare(`UPDATE runs SET attempt = attempt + 1, status = 'running', pid = ?, owner = ?,
      endedAt = NULL WHERE runId = ? AND status = 'paused' RETURNING attempt`),
    getEvents: db.prepare('SELECT json FROM run_events WHERE runId = ? AND seq > ? ORDER BY seq'),
    lastSeq: db.prepare('SELECT MAX(seq) AS seq FROM run_events WHERE runId = ?'),
    getFeedback: db.prepare('SELECT * FROM feedback WHERE runId = ? AND id = ?'),
    putFeedback: db.prepare(
      `INSERT INTO feedback (runId, id, nodeId, key, score, comment, correction, source, author, createdAt, updatedAt)
       VALUES (@runId, @id, @nodeId, @key, @score, @comment, @correction, @source, @author, @at, @at)
       ON CONFLICT (runId, id) DO UPDATE SET nodeId = excluded.nodeId, key = excluded.key, score = excluded.score,
         comment = excluded.comment, correction = excluded.correction, source = excluded.source,
         updatedAt = excluded.updatedAt`,
    ),
    listFeedback: db.prepare('SELECT * FROM feedback WHERE runId = ? AND score IS NOT NULL ORDER BY createdAt, id'),
    listFeedbackOfRuns: db.prepare(
      `SELECT * FROM feedback WHERE runId IN (SELECT value FROM json_each(?)) AND score IS NOT NULL
       ORDER BY updatedAt, createdAt, id`,
    ),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

/**
 * The embedded store: SQLite (better-sqlite3, WAL) in the data folder. Statements are prepared once; run rows, events
 * and final states are queued and committed in one transaction every few ms on a writer thread with its own
 * connection (group commit), so the run's hot path only pushes to an array and the event loop never waits for a
 * disk write. The async methods do their work synchronously (better-sqlite3 is synchronous) and answer settled
 * promises.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly db: Database.Database;
  readonly path: string;
  readonly published: SqlitePublishedTable;
  readonly keys: SqliteKeyTable;
  readonly settings: SqliteSettingsTable;
  readonly fineTunes: SqliteFineTunes;
  readonly runJobs: SqliteRunJobTable;
  readonly memory: SqliteMemoryTable;
  readonly datasets: SqliteDatasetTable;
  readonly experiments: SqliteExperimentTable;
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
  readonly #monitoring: SqliteMonitoring;
  readonly #onError: ((err: unknown) => void) | undefined;
  readonly #registry: NodeRegistry;
  /** This process's ownership of the runs it writes (crash recovery asks the lock, not the pid). */
  readonly #owner: SqliteOwnerLock;

  private constructor(path: string, options: SqliteStoreOptions) {
    this.path = path;
    this.#registry = options.registry ?? new NodeRegistry();
    this.#onError = options.onError;
    this.flushDelayMs = options.flushDelayMs ?? DEFAULT_FLUSH_DELAY_MS;
    this.db = new Database(path);
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    configureConnection(this.db, busyTimeoutMs);
    migrate(this.db, options.migrations ?? MIGRATIONS, { registry: this.#registry });
    this.#sql = prepareStatements(this.db);
    this.#monitoring = new SqliteMonitoring(this.db);
    this.fineTunes = new SqliteFineTunes(this.db);
    this.published = new SqlitePublishedTable(
      this.db,
      (run) => {
        this.#batch.publishedRuns.push(run);
        this.#scheduleFlush();
      },
      () => this.#flushSync(),
    );
    this.keys = new SqliteKeyTable(this.db);
    this.settings = new SqliteSettingsTable(this.db);
    this.runJobs = new SqliteRunJobTable(this.db);
    this.memory = new SqliteMemoryTable(this.db);
    this.datasets = new SqliteDatasetTable(this.db);
    this.experiments = new SqliteExperimentTable(this.db);
    this.#inline = new BatchWriter(this.db);
    this.#owner = new SqliteOwnerLock(dirname(path));
    if (options.recover !== false) this.#recoverInterrupted();
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
  static open(dataDir: string, options: SqliteStoreOptions = {}): SqliteStore {
    createPrivateDir(dataDir);
    const path = join(dataDir, DB_FILE);
    createPrivateFile(path);
    return new SqliteStore(path, options);
  }

  get location(): string {
    return this.path;
  }

  async ping(): Promise<boolean> {
    try {
      this.#sql.ping.get();
      return true;
    } catch {
      return false;
    }
  }

  /** A local file: there is no connection to lose. */
  assertAvailable(): void {}

  // ---- flows ----

  async listFlows(): Promise<FlowSummary[]> {
    return (this.#sql.listFlows.all() as FlowRow[]).map(toFlowSummary);
  }

  async getFlow(id: string): Promise<StoredFlow | undefined> {
    return this.#getFlow(id);
  }

  #getFlow(id: string): StoredFlow | undefined {
    const row = this.#sql.getFlow.get(id) as FlowRow | undefined;
    return row && toStoredFlow(row, this.#registry);
  }

  async getFlowText(id: string): Promise<string | undefined> {
    return (this.#sql.getFlow.get(id) as FlowRow | undefined)?.json;
  }

  async createFlow(flow: FlowFile): Promise<StoredFlow> {
    const at = new Date().toISOString();
    const json = serializeFlow({ ...this.#migrated(flow), version: 1 });
    this.db
      .transaction(() => {
        if (this.#sql.getFlow.get(flow.id)) throw flowExists(flow.id);
        this.#sql.insertFlow.run({ id: flow.id, name: flow.name, version: 1, json, at });
        this.#sql.insertVersion.run(flow.id, 1, json, at);
      })
      .immediate();
    return this.#getFlow(flow.id) as StoredFlow;
  }

  async updateFlow(flow: FlowFile, expectedVersion?: number): Promise<StoredFlow> {
    const at = new Date().toISOString();
    this.db
      .transaction(() => {
        const row = this.#sql.getFlow.get(flow.id) as FlowRow | undefined;
        const version = nextFlowVersion(flow.id, row?.version, expectedVersion);
        const json = serializeFlow({ ...this.#migrated(flow), version });
        this.#sql.updateFlow.run({ id: flow.id, name: flow.name, version, json, at });
        this.#sql.insertVersion.run(flow.id, version, json, at);
      })
      .immediate();
    return this.#getFlow(flow.id) as StoredFlow;
  }

  async deleteFlow(id: string): Promise<boolean> {
    return this.db
      .transaction(() => {
        const { changes } = this.#sql.deleteFlow.run(id);
        this.#sql.deleteVersions.run(id);
        return changes > 0;
      })
      .immediate();
  }

  async listFlowVersions(id: string): Promise<FlowVersionInfo[]> {
    return this.#sql.listVersions.all(id) as FlowVersionInfo[];
  }

  async getFlowVersion(id: string, version: number): Promise<{ flow: FlowFile; savedAt: string } | undefined> {
    const row = this.#sql.getVersion.get(id, version) as { json: string; savedAt: string } | undefined;
    return row && { flow: migratedFlow(row.json, this.#registry), savedAt: row.savedAt };
  }

  /** A flow as it comes in, upgraded to its kinds' current versions (see `SqliteStoreOptions.registry`). */
  #migrated(flow: FlowFile): FlowFile {
    return migrateFlow(flow, this.#registry).flow;
  }

  // ---- runs ----

  /** Queues a run's row; it is written with the run's first events (reads flush first, so they always see it). */
  insertRun(run: RunStart): void {
    addRun(this.#batch, run, this.#owner.id);
    this.#scheduleFlush();
  }

  /**
   * Queues a run's final state; it is committed with the other queued rows and events (group commit). Reads flush
   * first, so every reader sees it at once; only a crash before the commit would leave the run to crash recovery.
   */
  finishRun(runId: string, attempt: number, end: RunEnd): void {
    if (this.#closed) return;
    addFinish(this.#batch, runId, attempt, end);
    this.#scheduleFlush();
  }

  async claimRun(runId: string): Promise<number | undefined> {
    this.#flushSync();
    return (this.#sql.claimRun.get(process.pid, this.#owner.id, runId) as { attempt: number } | undefined)?.attempt;
  }

  async claimPausedRun(runId: string): Promise<number | undefined> {
    this.#flushSync();
    const row = this.#sql.claimPausedRun.get(process.pid, this.#owner.id, runId) as { attempt: number } | undefined;
    return row?.attempt;
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    this.#flushSync();
    return this.#getRun(runId);
  }

  #getRun(runId: string): RunRecord | undefined {
    const row = this.#sql.getRun.get(runId) as RunRow | undefined;
    return row && toRun(row);
  }

  async getRuns(runIds: readonly string[]): Promise<RunRecord[]> {
    this.#flushSync();
    return (this.#sql.getRuns.all(JSON.stringify(runIds)) as RunRow[]).map(toRun);
  }

  async listRuns(query: RunQuery = {}): Promise<RunRecord[]> {
    this.#flushSync();
    const rows = this.#sql.listRuns.all({
      flowId: query.flowId ?? null,
      status: query.status ?? null,
      limit: query.limit ?? 50,
      sources: query.sources ? JSON.stringify(query.sources) : null,
      version: query.version ?? null,
      text: query.text ?? null,
      before: query.before ?? null,
      feedback: query.feedback ?? null,
    }) as RunRow[];
    return rows.map(toRun);
  }

  async runSamples(query: MetricsQuery): Promise<RunSample[]> {
    this.#flushSync();
    return this.#monitoring.runSamples(query);
  }

  async nodeSamples(query: MetricsQuery & { nodeId: string }): Promise<NodeSample[]> {
    this.#flushSync();
    return this.#monitoring.nodeSamples(query);
  }

  async evalSamples(query: MetricsQuery): Promise<EvalSample[]> {
    this.#flushSync();
    return this.#monitoring.evalSamples(query);
  }

  async exportRuns(query: ExportQuery): Promise<ExportRun[]> {
    this.#flushSync();
    return this.fineTunes.exportRuns(query);
  }

  /** Queues an event (encoded now, so later changes to its objects do not matter) for the next group commit. */
  enqueueEvent(event: TraceEvent, attempt: number): void {
    addEvent(this.#batch, event, attempt);
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

  async flush(): Promise<void> {
    this.#flushSync();
  }

  /**
   * Commits every queued run row, event, final state and row before returning (reads call it first): blocks until the
   * writer thread has committed them (about one commit's time).
   */
  #flushSync(): void {
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

  /** Writes events at once, on this connection (not queued; tests). */
  appendEvents(events: readonly TraceEvent[], attempt = 1): void {
    const batch = emptyBatch(0);
    for (const event of events) addEvent(batch, event, attempt);
    this.#inline.write([batch]);
  }

  async getEvents(runId: string, afterSeq = -1): Promise<TraceEvent[]> {
    this.#flushSync();
    return (this.#sql.getEvents.all(runId, afterSeq) as { json: string }[]).map((row) => parseEvent(row.json));
  }

  async putFeedback(write: FeedbackWrite): Promise<Feedback> {
    return this.db
      .transaction(() => {
        const existing = this.#sql.getFeedback.get(write.runId, write.id) as FeedbackRow | undefined;
        if (existing && existing.author !== write.author) throw feedbackOfAnotherAuthor(write.id);
        this.#sql.putFeedback.run(feedbackColumns(write));
        return toFeedback(this.#sql.getFeedback.get(write.runId, write.id) as FeedbackRow);
      })
      .immediate();
  }

  async listFeedback(runId: string): Promise<Feedback[]> {
    return (this.#sql.listFeedback.all(runId) as FeedbackRow[]).map(toFeedback);
  }

  async listFeedbackOfRuns(runIds: readonly string[]): Promise<Feedback[]> {
    return (this.#sql.listFeedbackOfRuns.all(JSON.stringify(runIds)) as FeedbackRow[]).map(toFeedback);
  }

  async recoverInterrupted(): Promise<string[]> {
    return this.#recoverInterrupted();
  }

  /**
   * Runs of a process that is gone: one whose owner lock nobody holds any more (rows from before owners: whose pid is
   * not alive; the data folder is local, so every pid is of this machine).
   */
  #recoverInterrupted(): string[] {
    this.#flushSync();
    const endedAt = new Date().toISOString();
    const marked: string[] = [];
    this.db
      .transaction(() => {
        const rows = this.#sql.unfinishedRuns.all() as {
          runId: string;
          flowId: string;
          pid: number | null;
          owner: string | null;
          startedAt: string;
          attempt: number;
        }[];
        const batch = emptyBatch(0);
        const held = new Map<string, boolean>();
        for (const row of rows) {
          if (row.owner !== null) {
            let isHeld = held.get(row.owner);
            if (isHeld === undefined) {
              isHeld = this.#owner.isHeldNow(row.owner);
              held.set(row.owner, isHeld);
            }
            if (isHeld) continue;
          } else if (row.pid !== null && row.pid !== process.pid && isProcessAlive(row.pid)) continue;
          const durationMs = interruptedDuration(row.startedAt, endedAt);
          const last = (this.#sql.lastSeq.get(row.runId) as { seq: number | null }).seq;
          const seq = last === null ? 0 : last + 1;
          addEvent(batch, interruptedEvent(row.runId, row.flowId, seq, endedAt, durationMs), row.attempt);
          addFinish(batch, row.runId, row.attempt, { status: 'failed', error: INTERRUPTED, endedAt, durationMs });
          marked.push(row.runId);
        }
        this.#inline.write([batch]);
      })
      .immediate();
    return marked;
  }

  /** Writes what is queued and closes the database. */
  async close(): Promise<void> {
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
    await this.#owner.release();
  }
}

/** FLOW_EXISTS for a create whose id is taken. */
export function flowExists(id: string): AppError {
  return new AppError('FLOW_EXISTS', `flow "${id}" already exists`);
}

/**
 * The version an update of a flow gets: the stored one plus one. Throws FLOW_NOT_FOUND when there is none, and
 * FLOW_VERSION_CONFLICT when the caller expected another.
 */
export function nextFlowVersion(id: string, stored: number | undefined, expected: number | undefined): number {
  if (stored === undefined) throw new AppError('FLOW_NOT_FOUND', `flow "${id}" does not exist`);
  if (expected !== undefined && expected !== stored) {
    throw new AppError(
      'FLOW_VERSION_CONFLICT',
      `flow "${id}" is at version ${stored}, not ${expected}: it was saved elsewhere meanwhile`,
      { details: [{ currentVersion: stored, yourVersion: expected }] },
    );
  }
  return stored + 1;
}
