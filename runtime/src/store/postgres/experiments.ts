import type { ErrorBody } from '@flowloom/nodes';
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
} from '../records.js';
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
} from '../types.js';
import type { PgDatabase } from './db.js';

const EXPERIMENT_COLUMNS = `id, name, status, dataset_id AS "datasetId", split, dataset_revision AS "datasetRevision",
  spec, total, error, created_at AS "createdAt", started_at AS "startedAt", ended_at AS "endedAt",
  owner_host AS "ownerHost", owner_pid AS "ownerPid"`;
const CELL_COLUMNS = `seq, target, repetition, status, run_id AS "runId", output, scores, error, passed,
  duration_ms AS "durationMs", tokens, cost_usd AS "costUsd", ended_at AS "endedAt"`;
const FINISHED = "status IN ('done', 'error')";

/** The `experiments`, `experiment_items` and `experiment_cells` tables in Postgres. */
export class PgExperimentTable implements ExperimentTable {
  readonly #db: PgDatabase;

  constructor(db: PgDatabase) {
    this.#db = db;
  }

  async create(
    row: ExperimentRow,
    source: { datasetId: string; split?: string; revision: number },
    shape: { targets: number; repetitions: number },
  ): Promise<boolean> {
    return this.#db.transaction(async (client) => {
      // The dataset's row lock: its changes (which all bump the revision) wait until the items are copied.
      const { rows } = await client.query<{ revision: number }>(
        'SELECT revision FROM datasets WHERE id = $1 FOR UPDATE',
        [source.datasetId],
      );
      if (rows[0]?.revision !== source.revision) return false;
      await client.query(
        `INSERT INTO experiment_items (experiment_id, seq, item_id, input, expected)
         SELECT $1, ROW_NUMBER() OVER (ORDER BY seq), id, input, expected FROM dataset_items
         WHERE dataset_id = $2 AND ($3::text IS NULL OR split = $3)`,
        [row.id, source.datasetId, source.split ?? null],
      );
      await client.query(
        `INSERT INTO experiment_cells (experiment_id, seq, target, repetition, status)
         SELECT $1, i.seq, t, r, 'pending' FROM experiment_items i,
           generate_series(0, $2 - 1) AS t, generate_series(0, $3 - 1) AS r
         WHERE i.experiment_id = $1`,
        [row.id, shape.targets, shape.repetitions],
      );
      await client.query(
        `INSERT INTO experiments (id, name, status, dataset_id, split, dataset_revision, spec, total, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          row.id,
          row.name ?? null,
          row.status,
          row.datasetId,
          row.split ?? null,
          row.datasetRevision,
          row.spec,
          row.total,
          row.createdAt,
        ],
      );
      return true;
    });
  }

  async get(id: string): Promise<ExperimentRow | undefined> {
    const rows = await this.#db.query<ExperimentDbRow>(`SELECT ${EXPERIMENT_COLUMNS} FROM experiments WHERE id = $1`, [
      id,
    ]);
    return rows[0] && toExperiment(rows[0]);
  }

  async list(limit: number): Promise<ExperimentRow[]> {
    const rows = await this.#db.query<ExperimentDbRow>(
      `SELECT ${EXPERIMENT_COLUMNS} FROM experiments ORDER BY created_at DESC, id DESC LIMIT $1`,
      [limit],
    );
    return rows.map(toExperiment);
  }

  async update(
    id: string,
    fields: { status: ExperimentStatus; startedAt?: string; endedAt?: string; error?: ErrorBody },
  ): Promise<void> {
    await this.#db.query(
      `UPDATE experiments SET status = $2, started_at = COALESCE($3, started_at), ended_at = COALESCE($4, ended_at),
         error = COALESCE($5, error) WHERE id = $1`,
      [id, fields.status, fields.startedAt ?? null, fields.endedAt ?? null, jsonOrNull(fields.error)],
      { idempotent: true },
    );
  }

  async claim(
    id: string,
    owner: { host: string; pid: number } | null,
    previous: { host?: string; pid?: number },
  ): Promise<boolean> {
    const rows = await this.#db.query(
      `UPDATE experiments SET owner_host = $2, owner_pid = $3
       WHERE id = $1 AND status IN ('queued', 'running') AND owner_host IS NOT DISTINCT FROM $4
         AND owner_pid IS NOT DISTINCT FROM $5 RETURNING id`,
      [id, owner?.host ?? null, owner?.pid ?? null, previous.host ?? null, previous.pid ?? null],
    );
    return rows.length > 0;
  }

  async unfinished(): Promise<ExperimentRow[]> {
    const rows = await this.#db.query<ExperimentDbRow>(
      `SELECT ${EXPERIMENT_COLUMNS} FROM experiments WHERE status IN ('queued', 'running') ORDER BY created_at`,
    );
    return rows.map(toExperiment);
  }

  async items(id: string, page: { afterSeq?: number; limit?: number } = {}): Promise<ExperimentItem[]> {
    const rows = await this.#db.query<ExperimentItemRow>(
      `SELECT seq, item_id AS "itemId", input, expected FROM experiment_items
       WHERE experiment_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [id, page.afterSeq ?? -1, page.limit ?? null],
    );
    return rows.map(toExperimentItem);
  }

  async cells(id: string, range: { fromSeq?: number; toSeq?: number } = {}): Promise<ExperimentCell[]> {
    const rows = await this.#db.query<ExperimentCellRow>(
      `SELECT ${CELL_COLUMNS} FROM experiment_cells WHERE experiment_id = $1 AND seq >= $2 AND seq <= $3
       ORDER BY seq, target, repetition`,
      [id, range.fromSeq ?? 0, range.toSeq ?? 2_147_483_647],
    );
    return rows.map(toExperimentCell);
  }

  async pendingCells(id: string, after: CellKey | undefined, limit: number): Promise<PendingCell[]> {
    const rows = await this.#db.query<
      ExperimentCellRow & { itemId: string; input: string; itemExpected: string | null }
    >(
      `SELECT c.seq, c.target, c.repetition, c.status, c.run_id AS "runId", c.output, c.scores, c.error, c.passed,
         c.duration_ms AS "durationMs", c.tokens, c.cost_usd AS "costUsd", c.ended_at AS "endedAt",
         i.item_id AS "itemId", i.input, i.expected AS "itemExpected"
       FROM experiment_cells c JOIN experiment_items i ON i.experiment_id = c.experiment_id AND i.seq = c.seq
       WHERE c.experiment_id = $1 AND c.status IN ('pending', 'running') AND (c.seq, c.target, c.repetition) > ($2, $3, $4)
       ORDER BY c.seq, c.target, c.repetition LIMIT $5`,
      [id, after?.seq ?? -1, after?.target ?? -1, after?.repetition ?? -1, limit],
    );
    return rows.map((row) => ({
      cell: toExperimentCell(row),
      item: toExperimentItem({
        seq: row.seq,
        itemId: row.itemId,
        input: row.input,
        expected: row.itemExpected,
      }),
    }));
  }

  async aggregates(id: string): Promise<TargetAggregate[]> {
    const [base, scores, latencies] = await Promise.all([
      this.#db.query<AggregateRow>(
        `SELECT target, COUNT(*)::integer AS total, COUNT(*) FILTER (WHERE ${FINISHED})::integer AS finished,
           COUNT(*) FILTER (WHERE ${FINISHED} AND passed)::integer AS passed,
           COUNT(*) FILTER (WHERE status = 'error')::integer AS errors,
           SUM(tokens) FILTER (WHERE ${FINISHED})::double precision AS tokens,
           SUM(cost_usd) FILTER (WHERE ${FINISHED}) AS "costUsd"
         FROM experiment_cells WHERE experiment_id = $1 GROUP BY target ORDER BY target`,
        [id],
      ),
      this.#db.query<{ target: number; name: string; sum: number; scored: number }>(
        `SELECT c.target, j.key AS name, SUM(COALESCE((j.value ->> 'score')::double precision, 0)) AS sum,
           COUNT(j.value ->> 'score')::integer AS scored
         FROM experiment_cells c, jsonb_each(c.scores::jsonb) j
         WHERE c.experiment_id = $1 AND c.${FINISHED} AND c.scores IS NOT NULL GROUP BY c.target, j.key`,
        [id],
      ),
      // Nearest rank: the ceil(p × n / 100)-th duration (at least the first), in integer arithmetic.
      this.#db.query<{ target: number; p: number; durationMs: number }>(
        `SELECT target, p, duration_ms AS "durationMs" FROM (
           SELECT target, duration_ms, ROW_NUMBER() OVER (PARTITION BY target ORDER BY duration_ms) AS rn,
             COUNT(*) OVER (PARTITION BY target) AS n
           FROM experiment_cells WHERE experiment_id = $1 AND ${FINISHED} AND duration_ms IS NOT NULL
         ) ranked, (VALUES (50), (95)) AS ps(p) WHERE rn = GREATEST(1, (p * n + 99) / 100)`,
        [id],
      ),
    ]);
    return toAggregates(base, scores, latencies);
  }

  async itemScores(id: string, targets: readonly number[], evaluator: string | null): Promise<ItemScore[]> {
    return this.#db.query<ItemScore>(
      `SELECT seq, target, AVG(score) AS score FROM (
         SELECT seq, target, CASE WHEN $2::text IS NULL
           THEN COALESCE((SELECT AVG(COALESCE((j.value ->> 'score')::double precision, 0))
             FROM jsonb_each(scores::jsonb) j), 0)
           ELSE COALESCE((scores::jsonb -> $2::text ->> 'score')::double precision, 0)
         END AS score
         FROM experiment_cells WHERE experiment_id = $1 AND ${FINISHED} AND target = ANY($3::integer[])
       ) scored GROUP BY seq, target ORDER BY seq, target`,
      [id, evaluator, targets],
    );
  }

  async itemIds(id: string, seqs: readonly number[]): Promise<Map<number, string>> {
    const rows = await this.#db.query<{ seq: number; itemId: string }>(
      'SELECT seq, item_id AS "itemId" FROM experiment_items WHERE experiment_id = $1 AND seq = ANY($2::integer[])',
      [id, seqs],
    );
    return new Map(rows.map((row) => [row.seq, row.itemId]));
  }

  async saveCells(id: string, cells: readonly ExperimentCell[]): Promise<void> {
    if (cells.length === 0) return;
    const columns = cells.map(cellColumns);
    const column = <K extends keyof (typeof columns)[number]>(key: K) => columns.map((c) => c[key]);
    await this.#db.query(
      `UPDATE experiment_cells c SET status = t.status, run_id = t.run_id, output = t.output, scores = t.scores,
         error = t.error, passed = t.passed, duration_ms = t.duration_ms, tokens = t.tokens, cost_usd = t.cost_usd,
         ended_at = t.ended_at
       FROM unnest($2::integer[], $3::integer[], $4::integer[], $5::text[], $6::text[], $7::text[], $8::text[],
         $9::text[], $10::boolean[], $11::double precision[], $12::integer[], $13::double precision[],
         $14::timestamptz[])
         AS t(seq, target, repetition, status, run_id, output, scores, error, passed, duration_ms, tokens, cost_usd,
           ended_at)
       WHERE c.experiment_id = $1 AND c.seq = t.seq AND c.target = t.target AND c.repetition = t.repetition`,
      [
        id,
        column('seq'),
        column('target'),
        column('repetition'),
        column('status'),
        column('runId'),
        column('output'),
        column('scores'),
        column('error'),
        column('passed'),
        column('durationMs'),
        column('tokens'),
        column('costUsd'),
        column('endedAt'),
      ],
      { idempotent: true },
    );
  }

  async cellOfRun(
    runId: string,
  ): Promise<{ experimentId: string; itemId: string; target: number; repetition: number } | undefined> {
    const rows = await this.#db.query<{ experimentId: string; itemId: string; target: number; repetition: number }>(
      `SELECT c.experiment_id AS "experimentId", i.item_id AS "itemId", c.target, c.repetition
       FROM experiment_cells c JOIN experiment_items i ON i.experiment_id = c.experiment_id AND i.seq = c.seq
       WHERE c.run_id = $1`,
      [runId],
    );
    return rows[0];
  }

  async counts(id: string): Promise<{ finished: number; errors: number }> {
    const rows = await this.#db.query<{ finished: number; errors: number }>(
      `SELECT COUNT(*) FILTER (WHERE ${FINISHED})::integer AS finished,
         COUNT(*) FILTER (WHERE status = 'error')::integer AS errors
       FROM experiment_cells WHERE experiment_id = $1`,
      [id],
    );
    return rows[0] ?? { finished: 0, errors: 0 };
  }

  async remove(id: string): Promise<boolean> {
    return this.#db.transaction(async (client) => {
      await client.query('DELETE FROM experiment_cells WHERE experiment_id = $1', [id]);
      await client.query('DELETE FROM experiment_items WHERE experiment_id = $1', [id]);
      const { rowCount } = await client.query('DELETE FROM experiments WHERE id = $1', [id]);
      return (rowCount ?? 0) > 0;
    });
  }
}
