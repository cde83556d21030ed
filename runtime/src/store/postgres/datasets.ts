import {
  type DatasetItemRow,
  type DatasetRow,
  datasetExists,
  itemColumns,
  itemsExist,
  patchedItem,
  toDataset,
  toDatasetItem,
  withoutSeq,
} from '../records.js';
import type { DatasetItem, DatasetItemPatch, DatasetRecord, DatasetTable, NewDatasetItem } from '../types.js';
import type { PgDatabase } from './db.js';

const DATASET_COLUMNS = `id, name, description, revision, created_at AS "createdAt", updated_at AS "updatedAt",
  (SELECT COUNT(*) FROM dataset_items i WHERE i.dataset_id = datasets.id) AS "itemCount"`;
const ITEM_COLUMNS = `id, seq, input, expected, metadata, split, source_run_id AS "sourceRunId",
  source_node_id AS "sourceNodeId", created_at AS "createdAt", updated_at AS "updatedAt"`;

type Client = Parameters<Parameters<PgDatabase['transaction']>[0]>[0];
const READ_DATASET = `SELECT ${DATASET_COLUMNS} FROM datasets WHERE id = $1`;

/** A dataset read inside a transaction. */
async function readDataset(client: Client, id: string): Promise<DatasetRecord | undefined> {
  const row = (await client.query<DatasetRow>(READ_DATASET, [id])).rows[0];
  return row && toDataset(row);
}

/** The `datasets` and `dataset_items` tables in Postgres. */
export class PgDatasetTable implements DatasetTable {
  readonly #db: PgDatabase;

  constructor(db: PgDatabase) {
    this.#db = db;
  }

  async create(row: { id: string; name: string; description?: string; at: string }): Promise<DatasetRecord> {
    const inserted = await this.#db.query(
      `INSERT INTO datasets (id, name, description, revision, next_seq, created_at, updated_at)
       VALUES ($1, $2, $3, 1, 1, $4, $4) ON CONFLICT (id) DO NOTHING RETURNING id`,
      [row.id, row.name, row.description ?? null, row.at],
    );
    if (inserted.length === 0) throw datasetExists(row.id);
    return (await this.get(row.id)) as DatasetRecord;
  }

  async get(id: string): Promise<DatasetRecord | undefined> {
    const row = (await this.#db.query<DatasetRow>(READ_DATASET, [id]))[0];
    return row && toDataset(row);
  }

  async list(): Promise<DatasetRecord[]> {
    const rows = await this.#db.query<DatasetRow>(
      `SELECT ${DATASET_COLUMNS} FROM datasets ORDER BY created_at DESC, id`,
    );
    return rows.map(toDataset);
  }

  async update(
    id: string,
    patch: { name?: string; description?: string | null },
    at: string,
  ): Promise<DatasetRecord | undefined> {
    return this.#db.transaction(async (client) => {
      const { rows } = await client.query<{ name: string; description: string | null }>(
        'SELECT name, description FROM datasets WHERE id = $1 FOR UPDATE',
        [id],
      );
      const current = rows[0];
      if (!current) return undefined;
      await client.query(
        'UPDATE datasets SET name = $2, description = $3, revision = revision + 1, updated_at = $4 WHERE id = $1',
        [id, patch.name ?? current.name, patch.description === undefined ? current.description : patch.description, at],
      );
      return readDataset(client, id);
    });
  }

  async remove(id: string): Promise<boolean> {
    return this.#db.transaction(async (client) => {
      await client.query('DELETE FROM dataset_items WHERE dataset_id = $1', [id]);
      const { rowCount } = await client.query('DELETE FROM datasets WHERE id = $1', [id]);
      return (rowCount ?? 0) > 0;
    });
  }

  async addItems(datasetId: string, items: readonly NewDatasetItem[], at: string): Promise<DatasetRecord | undefined> {
    return this.#db.transaction(async (client) => {
      // The row lock makes concurrent additions take turns for their positions.
      const { rows } = await client.query<{ nextSeq: number }>(
        'UPDATE datasets SET next_seq = next_seq + $2, revision = revision + 1, updated_at = $3 WHERE id = $1 RETURNING next_seq AS "nextSeq"',
        [datasetId, items.length, at],
      );
      const next = rows[0];
      if (!next) return undefined;
      const ids = items.map((item) => item.id);
      const taken = await client.query<{ id: string }>(
        'SELECT id FROM dataset_items WHERE dataset_id = $1 AND id = ANY($2::text[]) ORDER BY id',
        [datasetId, ids],
      );
      if (taken.rows.length > 0) {
        const set = new Set(taken.rows.map((row) => row.id));
        throw itemsExist(
          datasetId,
          ids.filter((id) => set.has(id)),
        );
      }
      const columns = items.map(itemColumns);
      const first = next.nextSeq - items.length;
      await client.query(
        `INSERT INTO dataset_items (dataset_id, id, seq, input, expected, metadata, split, source_run_id, source_node_id,
           created_at, updated_at)
         SELECT $1, t.id, $2 + t.n - 1, t.input, t.expected, t.metadata, t.split, t.source_run_id, t.source_node_id, $3, $3
         FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
           WITH ORDINALITY AS t(id, input, expected, metadata, split, source_run_id, source_node_id, n)`,
        [
          datasetId,
          first,
          at,
          columns.map((c) => c.id),
          columns.map((c) => c.input),
          columns.map((c) => c.expected),
          columns.map((c) => c.metadata),
          columns.map((c) => c.split),
          columns.map((c) => c.sourceRunId),
          columns.map((c) => c.sourceNodeId),
        ],
      );
      return readDataset(client, datasetId);
    });
  }

  async listItems(
    datasetId: string,
    query: { split?: string; limit: number; afterSeq?: number },
  ): Promise<(DatasetItem & { seq: number })[]> {
    const rows = await this.#db.query<DatasetItemRow>(
      `SELECT ${ITEM_COLUMNS} FROM dataset_items WHERE dataset_id = $1 AND seq > $2
         AND ($3::text IS NULL OR split = $3) ORDER BY seq LIMIT $4`,
      [datasetId, query.afterSeq ?? 0, query.split ?? null, query.limit],
    );
    return rows.map(toDatasetItem);
  }

  async getItem(datasetId: string, itemId: string): Promise<DatasetItem | undefined> {
    const rows = await this.#db.query<DatasetItemRow>(
      `SELECT ${ITEM_COLUMNS} FROM dataset_items WHERE dataset_id = $1 AND id = $2`,
      [datasetId, itemId],
    );
    return rows[0] && withoutSeq(toDatasetItem(rows[0]));
  }

  async updateItem(
    datasetId: string,
    itemId: string,
    patch: DatasetItemPatch,
    at: string,
  ): Promise<DatasetItem | undefined> {
    const updated = await this.#db.transaction(async (client) => {
      const { rows } = await client.query<DatasetItemRow>(
        `SELECT ${ITEM_COLUMNS} FROM dataset_items WHERE dataset_id = $1 AND id = $2 FOR UPDATE`,
        [datasetId, itemId],
      );
      const row = rows[0];
      if (!row) return false;
      const next = patchedItem(row, patch);
      await client.query(
        `UPDATE dataset_items SET input = $3, expected = $4, metadata = $5, split = $6, updated_at = $7
         WHERE dataset_id = $1 AND id = $2`,
        [datasetId, itemId, next.input, next.expected, next.metadata, next.split, at],
      );
      await client.query('UPDATE datasets SET revision = revision + 1, updated_at = $2 WHERE id = $1', [datasetId, at]);
      return true;
    });
    return updated ? this.getItem(datasetId, itemId) : undefined;
  }

  async removeItem(datasetId: string, itemId: string, at: string): Promise<boolean> {
    return this.#db.transaction(async (client) => {
      const { rowCount } = await client.query('DELETE FROM dataset_items WHERE dataset_id = $1 AND id = $2', [
        datasetId,
        itemId,
      ]);
      if ((rowCount ?? 0) === 0) return false;
      await client.query('UPDATE datasets SET revision = revision + 1, updated_at = $2 WHERE id = $1', [datasetId, at]);
      return true;
    });
  }
}
