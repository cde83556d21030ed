import { hostname } from 'node:os';
import { type FlowFile, migrateFlow, NodeRegistry, serializeFlow, type TraceEvent } from '@flowloom/nodes';
import { isProcessAlive } from '../../platform/process-alive.js';
import type { Migration } from '../migrations.js';
import { PgOwnerLock } from '../owner-lock.js';
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
} from '../records.js';
import { addEvent, addFinish, addRun, emptyBatch, isEmptyBatch, type WriteBatch } from '../row-writes.js';
import { DEFAULT_FLUSH_DELAY_MS, FLUSH_AT_EVENTS, flowExists, nextFlowVersion } from '../store.js';
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
} from '../types.js';
import { batchStatement } from './batch.js';
import { PgRunClaims } from './claims.js';
import { PgDatasetTable } from './datasets.js';
import { checkSchemaName, type PgConnectOptions, PgDatabase } from './db.js';
import { PgExperimentTable } from './experiments.js';
import { PgFineTuneTable, pgExportRuns } from './finetune.js';
import { migratePg, PG_MIGRATIONS } from './migrations.js';
import { pgEvalSamples, pgNodeSamples, pgRunSamples } from './monitoring.js';
import { PgKeyTable, PgMemoryTable, PgPublishedTable, PgRunJobTable, PgSettingsTable } from './tables.js';

export interface PostgresStoreOptions extends PgConnectOptions {
  /** The node kinds flows are migrated to when read and written (default: the built-in kinds). */
  registry?: NodeRegistry;
  /** Only for tests: the schema history to apply (defaults to every migration). */
  migrations?: readonly Migration[];
  /** Mark runs left running by dead processes of this machine as failed (RUN_INTERRUPTED). Default true. */
  recover?: boolean;
  /** Told when a background commit of queued rows and events fails (they stay queued and are tried again). */
  onError?: (err: unknown) => void;
  /** How long queued rows and events may wait before they are committed (default 10 ms; 0: on the next tick). */
  flushDelayMs?: number;
}

const RUN_COLUMNS = `run_id AS "runId", flow_id AS "flowId", flow_version AS "flowVersion", status, inputs, outputs,
  error, usage, cost, started_at AS "startedAt", ended_at AS "endedAt", duration_ms AS "durationMs",
  session_id AS "sessionId", parent_run_id AS "parentRunId", depth, attempt, source, ttft_ms AS "ttftMs", origin`;
const FLOW_COLUMNS = 'id, name, version, json, created_at AS "createdAt", updated_at AS "updatedAt"';
const FEEDBACK_COLUMNS = `id, run_id AS "runId", node_id AS "nodeId", key, score, comment, correction, source, author,
  created_at AS "createdAt", updated_at AS "updatedAt"`;

/**
 * The store on Postgres (`DATABASE_URL`), through a pg Pool. Run rows, events and final states are queued like
 * SQLite's and committed by one statement per batch (every few ms, or at once past 5,000 events), one at a time, in
 * order; a failed commit keeps its batches and is tried again, backing off, and the first of them are written again
 * (idempotently) with the next. A database that cannot be reached makes reads and writes fail with STORE_UNAVAILABLE
 * (503) and new runs be refused (`assertAvailable`) until it answers again; the pool reconnects on its own.
 */
export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  readonly published: PgPublishedTable;
  readonly keys: PgKeyTable;
  readonly settings: PgSettingsTable;
  readonly runJobs: PgRunJobTable;
  readonly memory: PgMemoryTable;
  readonly datasets: PgDatasetTable;
  readonly experiments: PgExperimentTable;
  readonly fineTunes: PgFineTuneTable;
  readonly flushDelayMs: number;
  readonly #db: PgDatabase;
  readonly #registry: NodeRegistry;
  readonly #onError: (err: unknown) => void;
  readonly #host = hostname();
  /** This process's ownership of the runs it writes (crash recovery asks the lock, not the pid). */
  readonly #owner: PgOwnerLock;
  readonly #claims: PgRunClaims;
  #batch: WriteBatch = emptyBatch(1);
  /** Batches handed to a commit that failed (or is under way): written first, again, with the next one. */
  #pending: WriteBatch[] = [];
  /** The highest batch seq known to be committed. */
  #committed = 0;
  #commit: Promise<void> | undefined;
  #flushTimer: NodeJS.Timeout | undefined;
  /** The timer is for the next tick (a large batch, or no delay), not for the delay. */
  #flushSoon = false;
  #retryDelayMs = 0;
  #isClosed = false;

  private constructor(db: PgDatabase, owner: PgOwnerLock, options: PostgresStoreOptions) {
    this.#db = db;
    this.#owner = owner;
    this.#registry = options.registry ?? new NodeRegistry();
    this.#onError = options.onError ?? (() => {});
    this.flushDelayMs = options.flushDelayMs ?? DEFAULT_FLUSH_DELAY_MS;
    this.published = new PgPublishedTable(
      db,
      (run) => {
        this.#batch.publishedRuns.push(run);
        this.#scheduleCommit();
      },
      () => this.flush(),
    );
    this.keys = new PgKeyTable(db);
    this.settings = new PgSettingsTable(db);
    this.runJobs = new PgRunJobTable(
      db,
      (job) => {
        this.#batch.runJobs.push(job);
        this.#scheduleCommit();
      },
      () => this.flush(),
    );
    this.memory = new PgMemoryTable(db);
    this.datasets = new PgDatasetTable(db);
    this.experiments = new PgExperimentTable(db);
    this.fineTunes = new PgFineTuneTable(db);
    this.#claims = new PgRunClaims(db, () => this.flush(), this.#host, owner.id);
  }

  /**
   * Connects, creates the schema when one is named and missing, and brings it up to date. Throws (closing the pool)
   * when the database cannot be reached or migrated.
   */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const db = new PgDatabase(options);
    let owner: PgOwnerLock | undefined;
    try {
      if (options.schema !== undefined) {
        const schema = checkSchemaName(options.schema);
        // IF NOT EXISTS alone is not safe when two processes create it at once (a unique violation): take turns.
        await db.transaction(async (client) => {
          await client.query("SELECT pg_advisory_xact_lock(hashtext('flowloom-schema:' || $1))", [schema]);
          await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
        });
      }
      await migratePg(db, options.migrations ?? PG_MIGRATIONS);
      owner = await PgOwnerLock.take(
        { connectionString: options.url, connectionTimeoutMillis: options.connectTimeoutMs ?? 5000 },
        db.pool,
      );
      const store = new PostgresStore(db, owner, options);
      if (options.recover !== false) await store.recoverInterrupted();
      return store;
    } catch (err) {
      await owner?.release();
      await db.end().catch(() => {});
      throw err;
    }
  }

  get location(): string {
    return this.#db.location;
  }

  /** The pool (tests: raw SQL on the store's own schema). */
  get pool() {
    return this.#db.pool;
  }

  ping(): Promise<boolean> {
    return this.#db.ping();
  }

  assertAvailable(): void {
    this.#db.assertAvailable();
  }

  // ---- flows ----

  async listFlows(): Promise<FlowSummary[]> {
    return (await this.#db.query<FlowRow>(`SELECT ${FLOW_COLUMNS} FROM flows ORDER BY id`)).map(toFlowSummary);
  }

  async getFlow(id: string): Promise<StoredFlow | undefined> {
    const row = (await this.#db.query<FlowRow>(`SELECT ${FLOW_COLUMNS} FROM flows WHERE id = $1`, [id]))[0];
    return row && toStoredFlow(row, this.#registry);
  }

  async getFlowText(id: string): Promise<string | undefined> {
    const rows = await this.#db.query<{ json: string }>('SELECT json FROM flows WHERE id = $1', [id], {
      name: 'flow_text',
    });
    return rows[0]?.json;
  }

  async createFlow(flow: FlowFile): Promise<StoredFlow> {
    const at = new Date().toISOString();
    const json = serializeFlow({ ...this.#migrated(flow), version: 1 });
    await this.#db.transaction(async (client) => {
      const { rowCount } = await client.query(
        `INSERT INTO flows (id, name, version, json, created_at, updated_at) VALUES ($1, $2, 1, $3, $4, $4)
         ON CONFLICT (id) DO NOTHING`,
        [flow.id, flow.name, json, at],
      );
      if (rowCount === 0) throw flowExists(flow.id);
      await client.query('INSERT INTO flow_versions (flow_id, version, json, saved_at) VALUES ($1, 1, $2, $3)', [
        flow.id,
        json,
        at,
      ]);
    });
    return (await this.getFlow(flow.id)) as StoredFlow;
  }

  async updateFlow(flow: FlowFile, expectedVersion?: number): Promise<StoredFlow> {
    const at = new Date().toISOString();
    await this.#db.transaction(async (client) => {
      // The row lock makes concurrent saves take turns: the second sees the first's version.
      const { rows } = await client.query<{ version: number }>('SELECT version FROM flows WHERE id = $1 FOR UPDATE', [
        flow.id,
      ]);
      const version = nextFlowVersion(flow.id, rows[0]?.version, expectedVersion);
      const json = serializeFlow({ ...this.#migrated(flow), version });
      await client.query('UPDATE flows SET name = $2, version = $3, json = $4, updated_at = $5 WHERE id = $1', [
        flow.id,
        flow.name,
        version,
        json,
        at,
      ]);
      await client.query('INSERT INTO flow_versions (flow_id, version, json, saved_at) VALUES ($1, $2, $3, $4)', [
        flow.id,
        version,
        json,
        at,
      ]);
    });
    return (await this.getFlow(flow.id)) as StoredFlow;
  }

  async deleteFlow(id: string): Promise<boolean> {
    return this.#db.transaction(async (client) => {
      const { rowCount } = await client.query('DELETE FROM flows WHERE id = $1', [id]);
      await client.query('DELETE FROM flow_versions WHERE flow_id = $1', [id]);
      return (rowCount ?? 0) > 0;
    });
  }

  async listFlowVersions(id: string): Promise<FlowVersionInfo[]> {
    return this.#db.query<FlowVersionInfo>(
      'SELECT version, saved_at AS "savedAt" FROM flow_versions WHERE flow_id = $1 ORDER BY version DESC',
      [id],
    );
  }

  async getFlowVersion(id: string, version: number): Promise<{ flow: FlowFile; savedAt: string } | undefined> {
    const row = (
      await this.#db.query<{ json: string; savedAt: string }>(
        'SELECT json, saved_at AS "savedAt" FROM flow_versions WHERE flow_id = $1 AND version = $2',
        [id, version],
      )
    )[0];
    return row && { flow: migratedFlow(row.json, this.#registry), savedAt: row.savedAt };
  }

  #migrated(flow: FlowFile): FlowFile {
    return migrateFlow(flow, this.#registry).flow;
  }

  // ---- runs: group commit ----

  insertRun(run: RunStart): void {
    addRun(this.#batch, run, this.#owner.id);
    this.#scheduleCommit();
  }

  enqueueEvent(event: TraceEvent, attempt: number): void {
    addEvent(this.#batch, event, attempt);
    this.#scheduleCommit();
  }

  finishRun(runId: string, attempt: number, end: RunEnd): void {
    if (this.#isClosed) return;
    addFinish(this.#batch, runId, attempt, end);
    this.#scheduleCommit();
  }

  #scheduleCommit(): void {
    if (this.#isClosed || this.#flushSoon) return;
    if (this.flushDelayMs > 0 && this.#batch.eventCount < FLUSH_AT_EVENTS) {
      this.#flushTimer ??= setTimeout(this.#backgroundCommit, this.flushDelayMs);
      return;
    }
    // A large batch (it bounds memory and commit size) or no delay: commit on the next tick.
    clearTimeout(this.#flushTimer);
    this.#flushSoon = true;
    this.#flushTimer = setTimeout(this.#backgroundCommit, 0);
  }

  readonly #backgroundCommit = (): void => {
    this.#flushTimer = undefined;
    this.#flushSoon = false;
    this.#commitQueued().then(
      () => {
        this.#retryDelayMs = 0;
      },
      (err: unknown) => {
        // Never thrown out of a timer (the process down): reported, kept, and tried again, backing off.
        this.#onError(err);
        this.#retryDelayMs = Math.min(10_000, this.#retryDelayMs === 0 ? 250 : this.#retryDelayMs * 2);
        if (!this.#isClosed) this.#flushTimer ??= setTimeout(this.#backgroundCommit, this.#retryDelayMs);
      },
    );
  };

  /**
   * One commit at a time, in order: waits for the one under way, then commits what failed before plus what is queued
   * now. Settles when those batches are committed (or rejects, keeping them).
   */
  async #commitQueued(): Promise<void> {
    while (this.#commit) await this.#commit.catch(() => {});
    if (!isEmptyBatch(this.#batch)) {
      this.#pending.push(this.#batch);
      this.#batch = emptyBatch(this.#batch.seq + 1);
    }
    if (this.#pending.length === 0) return;
    const batches = [...this.#pending];
    const last = (batches.at(-1) as WriteBatch).seq;
    this.#commit = this.#writeBatches(batches)
      .then(() => {
        this.#committed = last;
        this.#pending = this.#pending.filter((batch) => batch.seq > last);
      })
      .finally(() => {
        this.#commit = undefined;
      });
    await this.#commit;
  }

  /** Writes batches in one statement (batch.ts): one round trip, its own transaction; idempotent, so tried again. */
  async #writeBatches(batches: readonly WriteBatch[]): Promise<void> {
    const statement = batchStatement(batches, this.#host);
    if (statement) await this.#db.query(statement.text, statement.values, { name: statement.name, idempotent: true });
  }

  async flush(): Promise<void> {
    const target = isEmptyBatch(this.#batch) ? (this.#pending.at(-1)?.seq ?? this.#committed) : this.#batch.seq;
    while (this.#committed < target) await this.#commitQueued();
  }

  claimRun(runId: string): Promise<number | undefined> {
    return this.#claims.claim(runId);
  }

  async claimPausedRun(runId: string): Promise<number | undefined> {
    await this.flush();
    const rows = await this.#db.query<{ attempt: number }>(
      `UPDATE runs SET attempt = attempt + 1, status = 'running', pid = $2, host = $3, owner = $4, ended_at = NULL
       WHERE run_id = $1 AND status = 'paused' RETURNING attempt`,
      [runId, process.pid, this.#host, this.#owner.id],
    );
    return rows[0]?.attempt;
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    await this.flush();
    const rows = await this.#db.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs WHERE run_id = $1`, [runId], {
      name: 'run_get',
    });
    return rows[0] && toRun(rows[0]);
  }

  async getRuns(runIds: readonly string[]): Promise<RunRecord[]> {
    await this.flush();
    const rows = await this.#db.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs WHERE run_id = ANY($1::text[])`, [
      runIds,
    ]);
    return rows.map(toRun);
  }

  async listRuns(query: RunQuery = {}): Promise<RunRecord[]> {
    await this.flush();
    const rows = await this.#db.query<RunRow>(
      `SELECT ${RUN_COLUMNS},
         (SELECT version FROM published_runs p WHERE p.run_id = r.run_id) AS "publishedVersion",
         (SELECT count(*) FROM feedback f WHERE f.run_id = r.run_id AND f.score IS NOT NULL)::int AS "feedbackCount",
         (SELECT avg(score) FROM feedback f WHERE f.run_id = r.run_id AND f.score IS NOT NULL) AS "feedbackMean"
       FROM runs r WHERE ($1::text IS NULL OR flow_id = $1) AND ($2::text IS NULL OR status = $2)
         AND ($4::text[] IS NULL OR source = ANY($4::text[]))
         AND ($5::int IS NULL OR EXISTS (SELECT 1 FROM published_runs p WHERE p.run_id = r.run_id AND p.version = $5))
         AND ($6::text IS NULL OR strpos(lower(inputs), lower($6)) > 0)
         AND ($7::timestamptz IS NULL OR started_at < $7)
         AND ($8::text IS NULL
           OR ($8 = 'none' AND NOT EXISTS (SELECT 1 FROM feedback f WHERE f.run_id = r.run_id AND f.score IS NOT NULL))
           OR ($8 = 'any' AND EXISTS (SELECT 1 FROM feedback f WHERE f.run_id = r.run_id AND f.score IS NOT NULL))
           OR ($8 = 'positive' AND (SELECT avg(score) FROM feedback f WHERE f.run_id = r.run_id AND f.score IS NOT NULL) > 0)
           OR ($8 = 'negative' AND (SELECT avg(score) FROM feedback f WHERE f.run_id = r.run_id AND f.score IS NOT NULL) < 0))
       ORDER BY started_at DESC, run_id DESC LIMIT $3`,
      [
        query.flowId ?? null,
        query.status ?? null,
        query.limit ?? 50,
        query.sources ?? null,
        query.version ?? null,
        query.text ?? null,
        query.before ?? null,
        query.feedback ?? null,
      ],
    );
    return rows.map(toRun);
  }

  async runSamples(query: MetricsQuery): Promise<RunSample[]> {
    await this.flush();
    return pgRunSamples(this.#db, query);
  }

  async nodeSamples(query: MetricsQuery & { nodeId: string }): Promise<NodeSample[]> {
    await this.flush();
    return pgNodeSamples(this.#db, query);
  }

  async evalSamples(query: MetricsQuery): Promise<EvalSample[]> {
    await this.flush();
    return pgEvalSamples(this.#db, query);
  }

  async exportRuns(query: ExportQuery): Promise<ExportRun[]> {
    await this.flush();
    return pgExportRuns(this.#db, query);
  }

  async getEvents(runId: string, afterSeq = -1): Promise<TraceEvent[]> {
    await this.flush();
    const rows = await this.#db.query<{ json: string }>(
      'SELECT json FROM run_events WHERE run_id = $1 AND seq > $2 ORDER BY seq',
      [runId, afterSeq],
      { name: 'run_events' },
    );
    return rows.map((row) => parseEvent(row.json));
  }

  async putFeedback(write: FeedbackWrite): Promise<Feedback> {
    const columns = feedbackColumns(write);
    const rows = await this.#db.query<FeedbackRow>(
      `INSERT INTO feedback (id, run_id, node_id, key, score, comment, correction, source, author, created_at,
         updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $10, $9, $9)
       ON CONFLICT (run_id, id) DO UPDATE SET node_id = excluded.node_id, key = excluded.key, score = excluded.score,
         comment = excluded.comment, correction = excluded.correction, source = excluded.source,
         updated_at = excluded.updated_at
         WHERE feedback.author = excluded.author
       RETURNING ${FEEDBACK_COLUMNS}`,
      [
        columns.id,
        columns.runId,
        columns.nodeId,
        columns.key,
        columns.score,
        columns.comment,
        columns.correction,
        columns.source,
        columns.at,
        columns.author,
      ],
    );
    // No row: the feedback has another author (the update's condition kept it).
    if (!rows[0]) throw feedbackOfAnotherAuthor(write.id);
    return toFeedback(rows[0]);
  }

  async listFeedbackOfRuns(runIds: readonly string[]): Promise<Feedback[]> {
    const rows = await this.#db.query<FeedbackRow>(
      `SELECT ${FEEDBACK_COLUMNS} FROM feedback WHERE run_id = ANY($1::text[]) AND score IS NOT NULL
       ORDER BY updated_at, created_at, id`,
      [runIds],
    );
    return rows.map(toFeedback);
  }

  async listFeedback(runId: string): Promise<Feedback[]> {
    const rows = await this.#db.query<FeedbackRow>(
      `SELECT ${FEEDBACK_COLUMNS} FROM feedback WHERE run_id = $1 AND score IS NOT NULL ORDER BY created_at, id`,
      [runId],
    );
    return rows.map(toFeedback);
  }

  /**
   * Runs whose owner lock nobody holds any more, on any machine (the lock is the database's). Rows from before owners:
   * only this machine's, judged by pid (another host's pids mean nothing here). Each run is closed fenced by the
   * attempt it was found at.
   */
  async recoverInterrupted(): Promise<string[]> {
    await this.flush();
    const rows = await this.#db.query<{
      runId: string;
      flowId: string;
      pid: number | null;
      owner: string | null;
      startedAt: string;
      attempt: number;
      lastSeq: number | null;
    }>(
      `SELECT run_id AS "runId", flow_id AS "flowId", pid, owner, started_at AS "startedAt", attempt,
         (SELECT MAX(seq) FROM run_events e WHERE e.run_id = runs.run_id) AS "lastSeq"
       FROM runs WHERE status IN ('running', 'queued') AND (owner IS NOT NULL OR host = $1 OR host IS NULL)`,
      [this.#host],
    );
    const endedAt = new Date().toISOString();
    const batch = emptyBatch(0);
    const marked: string[] = [];
    const held = new Map<string, boolean>();
    for (const row of rows) {
      if (row.owner !== null) {
        let isHeld = held.get(row.owner);
        if (isHeld === undefined) {
          isHeld = await this.#owner.isHeld(row.owner);
          held.set(row.owner, isHeld);
        }
        if (isHeld) continue;
      } else if (row.pid !== null && row.pid !== process.pid && isProcessAlive(row.pid)) continue;
      const durationMs = interruptedDuration(row.startedAt, endedAt);
      const seq = row.lastSeq === null ? 0 : row.lastSeq + 1;
      addEvent(batch, interruptedEvent(row.runId, row.flowId, seq, endedAt, durationMs), row.attempt);
      addFinish(batch, row.runId, row.attempt, { status: 'failed', error: INTERRUPTED, endedAt, durationMs });
      marked.push(row.runId);
    }
    if (marked.length > 0) await this.#writeBatches([batch]);
    return marked;
  }

  /** Commits what is queued (reported through `onError` when the database does not take it) and ends the pool. */
  async close(): Promise<void> {
    if (this.#isClosed) return;
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    try {
      await this.flush();
    } catch (err) {
      this.#onError(err);
    }
    this.#isClosed = true;
    await this.#owner.release();
    await this.#db.end();
  }
}
