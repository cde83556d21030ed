import type { ErrorBody } from '@flowloom/nodes';
import type Database from 'better-sqlite3';
import {
  cellColumns,
  type ExperimentCellRow,
  type ExperimentDbRow,
  type ExperimentItemRow,
  jsonOrNull,
  toExperiment,
  toExperimentCell,
  toExperimentItem,
} from './records.js';
import type { ExperimentCell, ExperimentItem, ExperimentRow, ExperimentStatus, ExperimentTable } from './types.js';

/** The `experiments`, `experiment_items` and `experiment_cells` tables in SQLite. */
export class SqliteExperimentTable implements ExperimentTable {
  readonly #db: Database.Database;
  readonly #sql;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#sql = {
      insert: db.prepare(
        `INSERT INTO experiments (id, name, status, datasetId, split, datasetRevision, spec, total, createdAt)
         VALUES (@id, @name, @status, @datasetId, @split, @datasetRevision, @spec, @total, @createdAt)`,
      ),
      insertItem: db.prepare(
        'INSERT INTO experiment_items (experimentId, seq, itemId, input, expected) VALUES (?, ?, ?, ?, ?)',
      ),
      insertCell: db.prepare(
        `INSERT INTO experiment_cells (experimentId, seq, target, repetition, status)
         VALUES (?, ?, ?, ?, 'pending')`,
      ),
      get: db.prepare('SELECT * FROM experiments WHERE id = ?'),
      list: db.prepare('SELECT * FROM experiments ORDER BY createdAt DESC, id DESC LIMIT ?'),
      update: db.prepare(
        `UPDATE experiments SET status = @status, startedAt = COALESCE(@startedAt, startedAt),
           endedAt = COALESCE(@endedAt, endedAt), error = COALESCE(@error, error) WHERE id = @id`,
      ),
      claim: db.prepare(
        `UPDATE experiments SET ownerHost = @host, ownerPid = @pid
         WHERE id = @id AND status IN ('queued', 'running') AND ownerHost IS @previousHost AND ownerPid IS @previousPid`,
      ),
      unfinished: db.prepare("SELECT * FROM experiments WHERE status IN ('queued', 'running') ORDER BY createdAt"),
      items: db.prepare(
        'SELECT seq, itemId, input, expected FROM experiment_items WHERE experimentId = ? AND seq > ? ORDER BY seq LIMIT ?',
      ),
      cells: db.prepare(
        `SELECT * FROM experiment_cells WHERE experimentId = ? AND seq >= ? AND seq <= ?
         ORDER BY seq, target, repetition`,
      ),
      saveCell: db.prepare(
        `UPDATE experiment_cells SET status = @status, runId = @runId, output = @output, scores = @scores,
           error = @error, passed = @passed, durationMs = @durationMs, tokens = @tokens, costUsd = @costUsd,
           endedAt = @endedAt
         WHERE experimentId = @experimentId AND seq = @seq AND target = @target AND repetition = @repetition`,
      ),
      cellOfRun: db.prepare(
        `SELECT c.experimentId, i.itemId, c.target, c.repetition FROM experiment_cells c
         JOIN experiment_items i ON i.experimentId = c.experimentId AND i.seq = c.seq WHERE c.runId = ?`,
      ),
      counts: db.prepare(
        `SELECT COUNT(*) FILTER (WHERE status != 'pending') AS finished, COUNT(*) FILTER (WHERE status = 'error') AS errors
         FROM experiment_cells WHERE experimentId = ?`,
      ),
      remove: db.prepare('DELETE FROM experiments WHERE id = ?'),
      removeItems: db.prepare('DELETE FROM experiment_items WHERE experimentId = ?'),
      removeCells: db.prepare('DELETE FROM experiment_cells WHERE experimentId = ?'),
    };
  }

  async create(
    row: ExperimentRow,
    items: readonly ExperimentItem[],
    shape: { targets: number; repetitions: number },
  ): Promise<void> {
    this.#db
      .transaction(() => {
        this.#sql.insert.run({
          id: row.id,
          name: row.name ?? null,
          status: row.status,
          datasetId: row.datasetId,
          split: row.split ?? null,
          datasetRevision: row.datasetRevision,
          spec: row.spec,
          total: row.total,
          createdAt: row.createdAt,
        });
        for (const item of items) {
          this.#sql.insertItem.run(
            row.id,
            item.seq,
            item.itemId,
            JSON.stringify(item.input),
            jsonOrNull(item.expected),
          );
          for (let target = 0; target < shape.targets; target++) {
            for (let repetition = 0; repetition < shape.repetitions; repetition++) {
              this.#sql.insertCell.run(row.id, item.seq, target, repetition);
            }
          }
        }
      })
      .immediate();
  }

  async get(id: string): Promise<ExperimentRow | undefined> {
    const row = this.#sql.get.get(id) as ExperimentDbRow | undefined;
    return row && toExperiment(row);
  }

  async list(limit: number): Promise<ExperimentRow[]> {
    return (this.#sql.list.all(limit) as ExperimentDbRow[]).map(toExperiment);
  }

  async update(
    id: string,
    fields: { status: ExperimentStatus; startedAt?: string; endedAt?: string; error?: ErrorBody },
  ): Promise<void> {
    this.#sql.update.run({
      id,
      status: fields.status,
      startedAt: fields.startedAt ?? null,
      endedAt: fields.endedAt ?? null,
      error: jsonOrNull(fields.error),
    });
  }

  async claim(
    id: string,
    owner: { host: string; pid: number } | null,
    previous: { host?: string; pid?: number },
  ): Promise<boolean> {
    const { changes } = this.#sql.claim.run({
      id,
      host: owner?.host ?? null,
      pid: owner?.pid ?? null,
      previousHost: previous.host ?? null,
      previousPid: previous.pid ?? null,
    });
    return changes > 0;
  }

  async unfinished(): Promise<ExperimentRow[]> {
    return (this.#sql.unfinished.all() as ExperimentDbRow[]).map(toExperiment);
  }

  async items(id: string, page: { afterSeq?: number; limit?: number } = {}): Promise<ExperimentItem[]> {
    const rows = this.#sql.items.all(id, page.afterSeq ?? -1, page.limit ?? -1) as ExperimentItemRow[];
    return rows.map(toExperimentItem);
  }

  async cells(id: string, range: { fromSeq?: number; toSeq?: number } = {}): Promise<ExperimentCell[]> {
    const rows = this.#sql.cells.all(
      id,
      range.fromSeq ?? 0,
      range.toSeq ?? Number.MAX_SAFE_INTEGER,
    ) as ExperimentCellRow[];
    return rows.map(toExperimentCell);
  }

  async saveCells(id: string, cells: readonly ExperimentCell[]): Promise<void> {
    this.#db
      .transaction(() => {
        for (const cell of cells) {
          const columns = cellColumns(cell);
          this.#sql.saveCell.run({
            experimentId: id,
            ...columns,
            passed: columns.passed === null ? null : Number(columns.passed),
          });
        }
      })
      .immediate();
  }

  async cellOfRun(
    runId: string,
  ): Promise<{ experimentId: string; itemId: string; target: number; repetition: number } | undefined> {
    return this.#sql.cellOfRun.get(runId) as
      | { experimentId: string; itemId: string; target: number; repetition: number }
      | undefined;
  }

  async counts(id: string): Promise<{ finished: number; errors: number }> {
    return this.#sql.counts.get(id) as { finished: number; errors: number };
  }

  async remove(id: string): Promise<boolean> {
    return this.#db
      .transaction(() => {
        this.#sql.removeCells.run(id);
        this.#sql.removeItems.run(id);
        return this.#sql.remove.run(id).changes > 0;
      })
      .immediate();
  }
}
