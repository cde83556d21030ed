import { exportedEvent } from '../finetune.js';
import type { ExportQuery, ExportRun, FineTuneJobRow, FineTuneTable } from '../types.js';
import type { PgDatabase } from './db.js';

/** Completed runs of `[since, until)` ($2, $3) of a flow ($1), of a list of ids ($4). */
const EXPORTED = `r.status = 'completed' AND ($1::text IS NULL OR r.flow_id = $1)
  AND ($2::timestamptz IS NULL OR r.started_at >= $2) AND ($3::timestamptz IS NULL OR r.started_at < $3)
  AND ($4::text[] IS NULL OR r.run_id = ANY($4::text[]))`;

const JOB_COLUMNS = `id, file_id AS "fileId", base_model AS "baseModel", status, fine_tuned_model AS "fineTunedModel",
  error, method, examples, tokens, suffix, created_at AS "createdAt", updated_at AS "updatedAt"`;

/** Completed runs and their top-level node events for a fine-tuning export (SQLite: store/finetune.ts). */
export async function pgExportRuns(db: PgDatabase, query: ExportQuery): Promise<ExportRun[]> {
  const params = [query.flowId ?? null, query.since ?? null, query.until ?? null, query.runIds ?? null];
  const runs = await db.query<Omit<ExportRun, 'events'>>(
    `SELECT r.run_id AS "runId", r.flow_id AS "flowId", r.flow_version AS "flowVersion", r.started_at AS "startedAt",
        r.outputs, (SELECT count(*) FROM feedback f WHERE f.run_id = r.run_id AND f.score IS NOT NULL)::int AS "feedbackCount",
        (SELECT avg(score) FROM feedback f WHERE f.run_id = r.run_id AND f.score IS NOT NULL) AS "feedbackMean"
      FROM runs r WHERE ${EXPORTED} ORDER BY r.started_at, r.run_id`,
    params,
  );
  const events = await db.query<{ runId: string; json: string }>(
    `SELECT e.run_id AS "runId", e.json FROM runs r JOIN run_events e ON e.run_id = r.run_id
      WHERE ${EXPORTED} AND e.type IN ('node.started', 'node.completed') ORDER BY e.run_id, e.seq`,
    params,
  );
  const byId = new Map(runs.map((run) => [run.runId, { ...run, events: [] as string[] }]));
  const keep = exportedEvent(query.nodeId);
  for (const row of events) if (keep(row.json)) byId.get(row.runId)?.events.push(row.json);
  return [...byId.values()];
}

/** The `fine_tune_jobs` table on Postgres. */
export class PgFineTuneTable implements FineTuneTable {
  constructor(private readonly db: PgDatabase) {}

  async insert(row: FineTuneJobRow): Promise<void> {
    await this.db.query(
      `INSERT INTO fine_tune_jobs (id, file_id, base_model, status, fine_tuned_model, error, method, examples, tokens,
        suffix, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        row.id,
        row.fileId,
        row.baseModel,
        row.status,
        row.fineTunedModel,
        row.error,
        row.method,
        row.examples,
        row.tokens,
        row.suffix,
        row.createdAt,
        row.updatedAt,
      ],
    );
  }

  async update(
    id: string,
    change: Pick<FineTuneJobRow, 'status' | 'fineTunedModel' | 'error' | 'updatedAt'>,
  ): Promise<void> {
    await this.db.query(
      'UPDATE fine_tune_jobs SET status = $2, fine_tuned_model = $3, error = $4, updated_at = $5 WHERE id = $1',
      [id, change.status, change.fineTunedModel, change.error, change.updatedAt],
    );
  }

  async get(id: string): Promise<FineTuneJobRow | undefined> {
    return (await this.db.query<FineTuneJobRow>(`SELECT ${JOB_COLUMNS} FROM fine_tune_jobs WHERE id = $1`, [id]))[0];
  }

  async list(): Promise<FineTuneJobRow[]> {
    return this.db.query<FineTuneJobRow>(`SELECT ${JOB_COLUMNS} FROM fine_tune_jobs ORDER BY created_at DESC, id DESC`);
  }
}
