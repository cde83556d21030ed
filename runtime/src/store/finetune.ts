import type Database from 'better-sqlite3';
import type { ExportQuery, ExportRun, FineTuneJobRow, FineTuneTable } from './types.js';

/** The runs a fine-tuning export reads: completed, of `[since, until)`, of a flow. */
const EXPORTED = `r.status = 'completed' AND (@flowId IS NULL OR r.flowId = @flowId)
  AND (@since IS NULL OR r.startedAt >= @since) AND (@until IS NULL OR r.startedAt < @until)`;

/**
 * The statements of an export (its runs, then their node events) of all runs, or (`ofIds`) of a list of ids
 * (`@runIds`, JSON, no id twice) looked up one by one. The list has statements of its own: `r.runId IN (…json_each…)`
 * beside `@runIds IS NULL OR` makes SQLite scan every run's events (1,000 ids among 50k runs: 173 ms against 12 ms).
 */
export function exportStatements(ofIds: boolean): { runs: string; events: string } {
  const from = ofIds ? 'json_each(@runIds) j JOIN runs r ON r.runId = j.value' : 'runs r';
  return {
    runs: `SELECT r.runId, r.flowId, r.flowVersion, r.startedAt, r.outputs,
          (SELECT COUNT(*) FROM feedback f WHERE f.runId = r.runId AND f.score IS NOT NULL) AS feedbackCount,
          (SELECT AVG(score) FROM feedback f WHERE f.runId = r.runId AND f.score IS NOT NULL) AS feedbackMean
        FROM ${from} WHERE ${EXPORTED} ORDER BY r.startedAt, r.runId`,
    events: `SELECT e.runId, e.json FROM ${from} JOIN run_events e ON e.runId = r.runId
        WHERE ${EXPORTED} AND e.type IN ('node.started', 'node.completed') ORDER BY e.runId, e.seq`,
  };
}

/**
 * Which events of the exported runs an export keeps: top-level spans only (tool calls and map items are inside their
 * node's messages already), of one node when asked. Tested on the JSON text, which is much cheaper than a JSON function
 * per row in SQL (events are written by `JSON.stringify`: no spaces, `parentSpanId` null at the top level).
 */
export function exportedEvent(nodeId: string | undefined): (json: string) => boolean {
  const node = nodeId === undefined ? undefined : `"nodeId":${JSON.stringify(nodeId)},`;
  return (json) => !json.includes('"parentSpanId":"') && (node === undefined || json.includes(node));
}

/** Fine-tuning exports and jobs in SQLite. */
export class SqliteFineTunes implements FineTuneTable {
  readonly #sql;

  constructor(db: Database.Database) {
    const all = exportStatements(false);
    const ofIds = exportStatements(true);
    this.#sql = {
      runs: db.prepare(all.runs),
      events: db.prepare(all.events),
      runsOfIds: db.prepare(ofIds.runs),
      eventsOfIds: db.prepare(ofIds.events),
      insert: db.prepare(`INSERT INTO fine_tune_jobs (id, fileId, baseModel, status, fineTunedModel, error, method,
        examples, tokens, suffix, createdAt, updatedAt) VALUES (@id, @fileId, @baseModel, @status, @fineTunedModel,
        @error, @method, @examples, @tokens, @suffix, @createdAt, @updatedAt)`),
      update: db.prepare(`UPDATE fine_tune_jobs SET status = @status, fineTunedModel = @fineTunedModel,
        error = @error, updatedAt = @updatedAt WHERE id = @id`),
      get: db.prepare('SELECT * FROM fine_tune_jobs WHERE id = ?'),
      list: db.prepare('SELECT * FROM fine_tune_jobs ORDER BY createdAt DESC, id DESC'),
    };
  }

  exportRuns(query: ExportQuery): ExportRun[] {
    const params = {
      flowId: query.flowId ?? null,
      since: query.since ?? null,
      until: query.until ?? null,
      ...(query.runIds && { runIds: JSON.stringify([...new Set(query.runIds)]) }),
    };
    const sql = query.runIds
      ? { runs: this.#sql.runsOfIds, events: this.#sql.eventsOfIds }
      : { runs: this.#sql.runs, events: this.#sql.events };
    const runs = (sql.runs.all(params) as Omit<ExportRun, 'events'>[]).map((run) => ({
      ...run,
      events: [] as string[],
    }));
    const byId = new Map(runs.map((run) => [run.runId, run]));
    const keep = exportedEvent(query.nodeId);
    for (const row of sql.events.all(params) as { runId: string; json: string }[]) {
      if (keep(row.json)) byId.get(row.runId)?.events.push(row.json);
    }
    return runs;
  }

  async insert(row: FineTuneJobRow): Promise<void> {
    this.#sql.insert.run(row);
  }

  async update(
    id: string,
    change: Pick<FineTuneJobRow, 'status' | 'fineTunedModel' | 'error' | 'updatedAt'>,
  ): Promise<void> {
    this.#sql.update.run({ id, ...change });
  }

  async get(id: string): Promise<FineTuneJobRow | undefined> {
    return this.#sql.get.get(id) as FineTuneJobRow | undefined;
  }

  async list(): Promise<FineTuneJobRow[]> {
    return this.#sql.list.all() as FineTuneJobRow[];
  }
}
