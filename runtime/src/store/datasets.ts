import type Database from 'better-sqlite3';
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
} from './records.js';
import type { DatasetItem, DatasetItemPatch, DatasetRecord, DatasetTable, NewDatasetItem } from './types.js';

const DATASET_COLUMNS = `id, name, description, revision, createdAt, updatedAt,
  (SELECT COUNT(*) FROM dataset_items i WHERE i.datasetId = datasets.id) AS itemCount`;

/** The `datasets` and `dataset_items` tables in SQLite. */
export class SqliteDatasetTable implements DatasetTable {
  readonly #db: Database.Database;
  readonly #sql;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#sql = {
      insert: db.prepare(
        `INSERT INTO datasets (id, name, description, revision, nextSeq, createdAt, updatedAt)
         VALUES (?, ?, ?, 1, 1, ?, ?) ON CONFLICT (id) DO NOTHING`,
      ),
      get: db.prepare(`SELECT ${DATASET_COLUMNS} FROM datasets WHERE id = ?`),
      list: db.prepare(`SELECT ${DATASET_COLUMNS} FROM datasets ORDER BY createdAt DESC, id`),
      update: db.prepare(
        'UPDATE datasets SET name = ?, description = ?, revision = revision + 1, updatedAt = ? WHERE id = ?',
      ),
      bump: db.prepare('UPDATE datasets SET revision = revision + 1, updatedAt = ? WHERE id = ?'),
      takeSeqs: db.prepare('UPDATE datasets SET nextSeq = nextSeq + ? WHERE id = ? RETURNING nextSeq'),
      remove: db.prepare('DELETE FROM datasets WHERE id = ?'),
      removeItems: db.prepare('DELETE FROM dataset_items WHERE datasetId = ?'),
      itemExists: db.prepare('SELECT 1 FROM dataset_items WHERE datasetId = ? AND id = ?').pluck(),
      insertItem: db.prepare(
        `INSERT INTO dataset_items (datasetId, id, seq, input, expected, metadata, split, sourceRunId, sourceNodeId,
           createdAt, updatedAt)
         VALUES (@datasetId, @id, @seq, @input, @expected, @metadata, @split, @sourceRunId, @sourceNodeId, @at, @at)`,
      ),
      listItems: db.prepare(
        `SELECT * FROM dataset_items WHERE datasetId = @datasetId AND seq > @afterSeq
           AND (@split IS NULL OR split = @split) ORDER BY seq LIMIT @limit`,
      ),
      getItem: db.prepare('SELECT * FROM dataset_items WHERE datasetId = ? AND id = ?'),
      updateItem: db.prepare(
        `UPDATE dataset_items SET input = @input, expected = @expected, metadata = @metadata, split = @split,
           updatedAt = @at WHERE datasetId = @datasetId AND id = @id`,
      ),
      removeItem: db.prepare('DELETE FROM dataset_items WHERE datasetId = ? AND id = ?'),
    };
  }

  async create(row: { id: string; name: string; description?: string; at: string }): Promise<DatasetRecord> {
    const { changes } = this.#sql.insert.run(row.id, row.name, row.description ?? null, row.at, row.at);
    if (changes === 0) throw datasetExists(row.id);
    return this.#get(row.id) as DatasetRecord;
  }

  #get(id: string): DatasetRecord | undefined {
    const row = this.#sql.get.get(id) as DatasetRow | undefined;
    return row && toDataset(row);
  }

  async get(id: string): Promise<DatasetRecord | undefined> {
    return this.#get(id);
  }

  async list(): Promise<DatasetRecord[]> {
    return (this.#sql.list.all() as DatasetRow[]).map(toDataset);
  }

  async update(
    id: string,
    patch: { name?: string; description?: string | null },
    at: string,
  ): Promise<DatasetRecord | undefined> {
    return this.#db
      .transaction(() => {
        const current = this.#get(id);
        if (!current) return undefined;
        const description = patch.description === undefined ? (current.description ?? null) : patch.description;
        this.#sql.update.run(patch.name ?? current.name, description, at, id);
        return this.#get(id);
      })
      .immediate();
  }

  async remove(id: string): Promise<boolean> {
    return this.#db
      .transaction(() => {
        this.#sql.removeItems.run(id);
        return this.#sql.remove.run(id).changes > 0;
      })
      .immediate();
  }

  async addItems(datasetId: string, items: readonly NewDatasetItem[], at: string): Promise<DatasetRecord | undefined> {
    return this.#db
      .transaction(() => {
        if (!this.#sql.get.get(datasetId)) return undefined;
        const taken = items.filter((item) => this.#sql.itemExists.get(datasetId, item.id) !== undefined);
        if (taken.length > 0)
          throw itemsExist(
            datasetId,
            taken.map((item) => item.id),
          );
        const next = this.#sql.takeSeqs.get(items.length, datasetId) as { nextSeq: number };
        let seq = next.nextSeq - items.length;
        for (const item of items) {
          this.#sql.insertItem.run({ datasetId, seq: seq++, at, ...itemColumns(item) });
        }
        this.#sql.bump.run(at, datasetId);
        return this.#get(datasetId);
      })
      .immediate();
  }

  async listItems(
    datasetId: string,
    query: { split?: string; limit: number; afterSeq?: number },
  ): Promise<(DatasetItem & { seq: number })[]> {
    const rows = this.#sql.listItems.all({
      datasetId,
      split: query.split ?? null,
      afterSeq: query.afterSeq ?? 0,
      limit: query.limit,
    }) as DatasetItemRow[];
    return rows.map(toDatasetItem);
  }

  async getItem(datasetId: string, itemId: string): Promise<DatasetItem | undefined> {
    const row = this.#sql.getItem.get(datasetId, itemId) as DatasetItemRow | undefined;
    return row && withoutSeq(toDatasetItem(row));
  }

  async updateItem(
    datasetId: string,
    itemId: string,
    patch: DatasetItemPatch,
    at: string,
  ): Promise<DatasetItem | undefined> {
    return this.#db
      .transaction(() => {
        const row = this.#sql.getItem.get(datasetId, itemId) as DatasetItemRow | undefined;
        if (!row) return undefined;
        this.#sql.updateItem.run({ datasetId, id: itemId, at, ...patchedItem(row, patch) });
        this.#sql.bump.run(at, datasetId);
        return withoutSeq(toDatasetItem(this.#sql.getItem.get(datasetId, itemId) as DatasetItemRow));
      })
      .immediate();
  }

  async removeItem(datasetId: string, itemId: string, at: string): Promise<boolean> {
    return this.#db
      .transaction(() => {
        if (this.#sql.removeItem.run(datasetId, itemId).changes === 0) return false;
        this.#sql.bump.run(at, datasetId);
        return true;
      })
      .immediate();
  }
}
