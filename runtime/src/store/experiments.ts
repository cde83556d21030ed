import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { ErrorBody } from '@flowloom/nodes';
import type Database from 'better-sqlite3';
import {
  type AggregateRow,
  cellColumns,
  type ExperimentCellRow,
  type ExperimentDbRow,
  type ExperimentItemRow,
  jsonOrNull,
  toAggregates,
  toExperiment,
  toExperimentCell,
  toExperimentItem,
} from './records.js';
import type {
  CellKey,
  ExperimentCell,
  ExperimentItem,
  ExperimentRow,
  ExperimentStatus,
  ExperimentTable,
  ItemScore,
  PendingCell,
  TargetAggregate,
} from './types.js';

/** Cells written per transaction while an experiment is made: the event loop gets a turn between them. */
const CELLS_PER_CHUNK = 20_000;
const FINISHED = "status IN ('done', 'error')";

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
      revision: db.prepare('SELECT revision FROM datasets WHERE id = ?').pluck(),
      // The next chunk of the dataset's items: how many and the last one's seq.
      chunk: db.prepare(
        `SELECT COUNT(*) AS n, MAX(seq) AS last FROM (SELECT seq FROM dataset_items
           WHERE datasetId = @datasetId AND (@split IS NULL OR split = @split) AND seq > @afterSeq
           ORDER BY seq LIMIT @limit)`,
      ),
      copyItems: db.prepare(
        `INSERT INTO experiment_items (experimentId, seq, itemId, input, expected)
         SELECT @id, @offset + ROW_NUMBER() OVER (ORDER BY seq), id, input, expected FROM dataset_items
         WHERE datasetId = @datasetId AND (@split IS NULL OR split = @split) AND seq > @afterSeq AND seq <= @last`,
      ),
      insertCells: db.prepare(
        `INSERT INTO experiment_cells (experimentId, seq, target, repetition, status)
         SELECT @id, i.seq, t.value, r.value, 'pending' FROM experiment_items i, json_each(@targets) t,
           json_each(@repetitions) r
         WHERE i.experimentId = @id AND i.seq > @offset ORDER BY i.seq, t.value, r.value`,
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
        `SELECT COUNT(*) FILTER (WHERE ${FINISHED}) AS finished, COUNT(*) FILTER (WHERE status = 'error') AS errors
         FROM experiment_cells WHERE experimentId = ?`,
      ),
      pending: db.prepare(
        `SELECT c.*, i.itemId, i.input, i.expected FROM experiment_cells c
         JOIN experiment_items i ON i.experimentId = c.experimentId AND i.seq = c.seq
         WHERE c.experimentId = @id AND c.status IN ('pending', 'running')
           AND (c.seq, c.target, c.repetition) > (@seq, @target, @repetition)
         ORDER BY c.seq, c.target, c.repetition LIMIT @limit`,
      ),
      aggregate: db.prepare(
        `SELECT target, COUNT(*) AS total, COUNT(*) FILTER (WHERE ${FINISHED}) AS finished,
           COUNT(*) FILTER (WHERE ${FINISHED} AND passed = 1) AS passed, COUNT(*) FILTER (WHERE status = 'error') AS errors,
           SUM(tokens) FILTER (WHERE ${FINISHED}) AS tokens, SUM(costUsd) FILTER (WHERE ${FINISHED}) AS costUsd
         FROM experiment_cells WHERE experimentId = ? GROUP BY target ORDER BY target`,
      ),
      aggregateScores: db.prepare(
        `SELECT c.target, j.key AS name, SUM(COALESCE(json_extract(j.value, '$.score'), 0)) AS sum,
           COUNT(json_extract(j.value, '$.score')) AS scored
         FROM experiment_cells c, json_each(c.scores) j
         WHERE c.experimentId = ? AND c.${FINISHED} AND c.scores IS NOT NULL GROUP BY c.target, j.key`,
      ),
      // Nearest rank: the ceil(p × n / 100)-th duration (at least the first), in integer arithmetic.
      aggregateLatency: db.prepare(
        `SELECT target, p.value AS p, durationMs FROM (
           SELECT target, durationMs, ROW_NUMBER() OVER (PARTITION BY target ORDER BY durationMs) AS rn,
             COUNT(*) OVER (PARTITION BY target) AS n
           FROM experiment_cells WHERE experimentId = ? AND ${FINISHED} AND durationMs IS NOT NULL
         ), json_each('[50, 95]') p WHERE rn = MAX(1, (p.value * n + 99) / 100)`,
      ),
      itemScores: db.prepare(
        `SELECT seq, target, AVG(score) AS score FROM (
           SELECT seq, target, CASE WHEN @evaluator IS NULL
             THEN COALESCE((SELECT AVG(COALESCE(json_extract(j.value, '$.score'), 0)) FROM json_each(scores) j), 0)
             ELSE COALESCE((SELECT json_extract(j.value, '$.score') FROM json_each(scores) j WHERE j.key = @evaluator), 0)
           END AS score
           FROM experiment_cells WHERE experimentId = @id AND ${FINISHED}
             AND target IN (SELECT value FROM json_each(@targets))
         ) GROUP BY seq, target ORDER BY seq, target`,
      ),
      itemIds: db.prepare(
        `SELECT seq, itemId FROM experiment_items
         WHERE experimentId = ? AND seq IN (SELECT value FROM json_each(?))`,
      ),
      remove: db.prepare('DELETE FROM experiments WHERE id = ?'),
      removeItems: db.prepare('DELETE FROM experiment_items WHERE experimentId = ?'),
      removeCells: db.prepare('DELETE FROM experiment_cells WHERE experimentId = ?'),
    };
  }

  async create(
    row: ExperimentRow,
    source: { datasetId: string; split?: string; revision: number },
    shape: { targets: number; repetitions: number },
  ): Promise<boolean> {
    const perItem = shape.targets * shape.repetitions;
    const limit = Math.max(1, Math.floor(CELLS_PER_CHUNK / perItem));
    const targets = JSON.stringify(Array.from({ length: shape.targets }, (_, i) => i));
    const repetitions = JSON.stringify(Array.from({ length: shape.repetitions }, (_, i) => i));
    const filter = { datasetId: source.datasetId, split: source.split ?? null };
    // Chunks of items with their cells, each a short transaction that checks the dataset's revision (a large
    // experiment does not hold the database, nor the event loop, for long); the experiment row comes with the last.
    let afterSeq = 0;
    let offset = 0;
    for (;;) {
      const outcome = this.#db
        .transaction((): 'changed' | 'more' | 'done' => {
          if (this.#sql.revision.get(source.datasetId) !== source.revision) return 'changed';
          const chunk = this.#sql.chunk.get({ ...filter, afterSeq, limit }) as { n: number; last: number | null };
          if (chunk.n > 0) {
            this.#sql.copyItems.run({ ...filter, id: row.id, offset, afterSeq, last: chunk.last });
            this.#sql.insertCells.run({ id: row.id, offset, targets, repetitions });
            offset += chunk.n;
            afterSeq = chunk.last as number;
          }
          if (chunk.n === limit) return 'more';
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
          return 'done';
        })
        .immediate();
      if (outcome === 'done') return true;
      if (outcome === 'changed') {
        this.#db.transaction(() => {
          this.#sql.removeCells.run(row.id);
          this.#sql.removeItems.run(row.id);
        })();
        return false;
      }
      await yieldToLoop();
    }
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

  async pendingCells(id: string, after: CellKey | undefined, limit: number): Promise<PendingCell[]> {
    const rows = this.#sql.pending.all({
      id,
      seq: after?.seq ?? -1,
      target: after?.target ?? -1,
      repetition: after?.repetition ?? -1,
      limit,
    }) as (ExperimentCellRow & { itemId: string; input: string; expected: string | null })[];
    return rows.map((row) => ({
      cell: toExperimentCell(row),
      item: toExperimentItem({ seq: row.seq, itemId: row.itemId, input: row.input, expected: row.expected }),
    }));
  }

  async aggregates(id: string): Promise<TargetAggregate[]> {
    return toAggregates(
      this.#sql.aggregate.all(id) as AggregateRow[],
      this.#sql.aggregateScores.all(id) as { target: number; name: string; sum: number; scored: number }[],
      this.#sql.aggregateLatency.all(id) as { target: number; p: number; durationMs: number }[],
    );
  }

  async itemScores(id: string, targets: readonly number[], evaluator: string | null): Promise<ItemScore[]> {
    return this.#sql.itemScores.all({ id, evaluator, targets: JSON.stringify(targets) }) as ItemScore[];
  }

  async itemIds(id: string, seqs: readonly number[]): Promise<Map<number, string>> {
    const rows = this.#sql.itemIds.all(id, JSON.stringify(seqs)) as { seq: number; itemId: string }[];
    return new Map(rows.map((row) => [row.seq, row.itemId]));
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
