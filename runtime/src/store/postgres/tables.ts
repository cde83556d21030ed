import type { KeyRow } from '../keys.js';
import { type PublishedRow, type PublishedRunRow, publishConflict } from '../published.js';
import type { RunJobParams } from '../row-writes.js';
import type { KeyTable, MemoryTable, PublishedTable, RunJobTable, SettingsTable } from '../types.js';
import type { PgDatabase } from './db.js';

/** SQLSTATE of a unique violation. */
const UNIQUE_VIOLATION = '23505';

const PUBLISHED_COLUMNS = `flow_id AS "flowId", version, flow_version AS "flowVersion", rollback_of AS "rollbackOf",
  note, settings, published_at AS "publishedAt"`;

/** `published_versions` and `published_runs` in Postgres; the published service holds the rules. */
export class PgPublishedTable implements PublishedTable {
  readonly #db: PgDatabase;
  readonly #record: (run: PublishedRunRow) => void;
  readonly #flush: () => Promise<void>;

  /**
   * `record` queues a `published_runs` row for the store's next group commit; `flush` commits what is queued (before
   * a read of those rows).
   */
  constructor(db: PgDatabase, record: (run: PublishedRunRow) => void, flush: () => Promise<void> = async () => {}) {
    this.#db = db;
    this.#record = record;
    this.#flush = flush;
  }

  /**
   * Two publishes of one flow at once compute the same number: the primary key lets one in, the other gets
   * CONFLICT, like a stale number.
   */
  async insertNext(row: PublishedRow): Promise<void> {
    try {
      await this.#db.transaction(async (client) => {
        const { rows } = await client.query<{ version: number | null }>(
          'SELECT MAX(version) AS version FROM published_versions WHERE flow_id = $1',
          [row.flowId],
        );
        const latest = rows[0]?.version ?? undefined;
        if ((latest ?? 0) !== row.version - 1) throw publishConflict(row.flowId, latest);
        await client.query(
          `INSERT INTO published_versions (flow_id, version, json, bundle, flow_version, rollback_of, note, settings,
             published_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [
            row.flowId,
            row.version,
            row.json,
            row.bundle,
            row.flowVersion,
            row.rollbackOf,
            row.note,
            row.settings,
            row.publishedAt,
          ],
        );
      });
    } catch (err) {
      if ((err as { code?: unknown }).code === UNIQUE_VIOLATION) throw publishConflict(row.flowId, row.version);
      throw err;
    }
  }

  async get(flowId: string, version: number): Promise<PublishedRow | undefined> {
    const rows = await this.#db.query<PublishedRow>(
      `SELECT ${PUBLISHED_COLUMNS}, json, bundle FROM published_versions WHERE flow_id = $1 AND version = $2`,
      [flowId, version],
    );
    return rows[0];
  }

  async latest(flowId: string): Promise<PublishedRow | undefined> {
    const rows = await this.#db.query<PublishedRow>(
      `SELECT ${PUBLISHED_COLUMNS}, json, bundle FROM published_versions WHERE flow_id = $1 ORDER BY version DESC LIMIT 1`,
      [flowId],
    );
    return rows[0];
  }

  async list(flowId: string): Promise<Omit<PublishedRow, 'json' | 'bundle'>[]> {
    return this.#db.query<Omit<PublishedRow, 'json' | 'bundle'>>(
      `SELECT ${PUBLISHED_COLUMNS} FROM published_versions WHERE flow_id = $1 ORDER BY version DESC`,
      [flowId],
    );
  }

  async flowIds(): Promise<string[]> {
    const rows = await this.#db.query<{ flowId: string }>(
      'SELECT DISTINCT flow_id AS "flowId" FROM published_versions ORDER BY flow_id',
    );
    return rows.map((row) => row.flowId);
  }

  async remove(flowId: string): Promise<number> {
    const rows = await this.#db.query<{ version: number }>(
      'DELETE FROM published_versions WHERE flow_id = $1 RETURNING version',
      [flowId],
    );
    return rows.length;
  }

  recordRun(run: PublishedRunRow): void {
    this.#record(run);
  }

  async getRun(runId: string): Promise<PublishedRunRow | undefined> {
    await this.#flush();
    const rows = await this.#db.query<PublishedRunRow>(
      'SELECT run_id AS "runId", flow_id AS "flowId", version, key_id AS "keyId", endpoint FROM published_runs WHERE run_id = $1',
      [runId],
    );
    return rows[0];
  }
}

const KEY_COLUMNS = `id, name, flows, rate_limit AS "rateLimit", kind, origins, salt, hash, created_at AS "createdAt",
  last_used_at AS "lastUsedAt", revoked_at AS "revokedAt"`;

/** The `api_keys` table in Postgres; inserts and revocations bump `api_keys_revision` (the change token). */
export class PgKeyTable implements KeyTable {
  readonly #db: PgDatabase;

  constructor(db: PgDatabase) {
    this.#db = db;
  }

  async insert(row: Omit<KeyRow, 'lastUsedAt' | 'revokedAt'>): Promise<void> {
    await this.#db.transaction(async (client) => {
      await client.query(
        `INSERT INTO api_keys (id, name, flows, rate_limit, kind, origins, salt, hash, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [row.id, row.name, row.flows, row.rateLimit, row.kind, row.origins, row.salt, row.hash, row.createdAt],
      );
      await client.query("SELECT nextval('api_keys_revision')");
    });
  }

  async get(id: string): Promise<KeyRow | undefined> {
    const rows = await this.#db.query<KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE id = $1`, [id], {
      name: 'key_get',
    });
    return rows[0];
  }

  async list(): Promise<KeyRow[]> {
    return this.#db.query<KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys ORDER BY created_at DESC, id`);
  }

  async revoke(id: string, at: string): Promise<void> {
    await this.#db.transaction(async (client) => {
      await client.query('UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [at, id]);
      await client.query("SELECT nextval('api_keys_revision')");
    });
  }

  async touch(times: readonly (readonly [id: string, at: string])[]): Promise<boolean> {
    if (this.#db.isEnded) return false;
    await this.#db.query(
      `UPDATE api_keys SET last_used_at = t.at FROM unnest($1::text[], $2::timestamptz[]) AS t(id, at)
       WHERE api_keys.id = t.id`,
      [times.map(([id]) => id), times.map(([, at]) => at)],
      { idempotent: true },
    );
    return true;
  }

  /** The revision sequence: read without a transaction, cheap enough to ask every few ms. */
  async changeToken(): Promise<number> {
    const rows = await this.#db.query<{ revision: number }>(
      'SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS revision FROM api_keys_revision',
      [],
      { name: 'key_revision' },
    );
    return rows[0]?.revision ?? 0;
  }
}

/** The `settings` table in Postgres. */
export class PgSettingsTable implements SettingsTable {
  readonly #db: PgDatabase;

  constructor(db: PgDatabase) {
    this.#db = db;
  }

  async get(name: string): Promise<{ value: string; updatedAt: string } | undefined> {
    const rows = await this.#db.query<{ value: string; updatedAt: string }>(
      'SELECT value, updated_at AS "updatedAt" FROM settings WHERE name = $1',
      [name],
    );
    return rows[0];
  }

  async put(name: string, value: string, updatedAt: string): Promise<void> {
    await this.#db.query(
      `INSERT INTO settings (name, value, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      [name, value, updatedAt],
      { idempotent: true },
    );
  }

  async change(name: string, fn: (value: string | undefined) => string, updatedAt: string): Promise<void> {
    await this.#db.transaction(async (client) => {
      // The row may not exist yet (nothing to lock FOR UPDATE): a lock on the name serialises its first writers too.
      await client.query("SELECT pg_advisory_xact_lock(hashtext('settings:' || $1))", [name]);
      const rows = (
        await client.query<{ value: string }>('SELECT value FROM settings WHERE name = $1 FOR UPDATE', [name])
      ).rows;
      await client.query(
        `INSERT INTO settings (name, value, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
        [name, fn(rows[0]?.value), updatedAt],
      );
    });
  }
}

/** The `chat_memory` table in Postgres. */
export class PgMemoryTable implements MemoryTable {
  readonly #db: PgDatabase;

  constructor(db: PgDatabase) {
    this.#db = db;
  }

  async read(sessionId: string, namespace: string, limit: number): Promise<string[]> {
    const rows = await this.#db.query<{ message: string }>(
      `SELECT message FROM (SELECT id, message FROM chat_memory WHERE session_id = $1 AND namespace = $2
       ORDER BY id DESC LIMIT $3) AS latest ORDER BY id ASC`,
      [sessionId, namespace, limit],
    );
    return rows.map((row) => row.message);
  }

  async append(sessionId: string, namespace: string, messages: readonly string[], keep: number): Promise<void> {
    await this.#db.transaction(async (client) => {
      await client.query(
        `INSERT INTO chat_memory (session_id, namespace, message, created_at)
         SELECT $1, $2, message, $4 FROM unnest($3::text[]) WITH ORDINALITY AS m(message, n) ORDER BY n`,
        [sessionId, namespace, messages, new Date().toISOString()],
      );
      await client.query(
        `DELETE FROM chat_memory WHERE session_id = $1 AND namespace = $2 AND id <= (
           SELECT id FROM chat_memory WHERE session_id = $1 AND namespace = $2 ORDER BY id DESC LIMIT 1 OFFSET $3)`,
        [sessionId, namespace, keep],
      );
    });
  }

  async clear(sessionId: string): Promise<void> {
    await this.#db.query('DELETE FROM chat_memory WHERE session_id = $1', [sessionId], { idempotent: true });
  }
}

/** The `run_jobs` table in Postgres: jobs are written by the store's group commit, beside their runs' rows. */
export class PgRunJobTable implements RunJobTable {
  readonly #db: PgDatabase;
  readonly #record: (job: RunJobParams) => void;
  readonly #flush: () => Promise<void>;

  /** `record` queues a `run_jobs` row for the store's next group commit; `flush` commits what is queued. */
  constructor(db: PgDatabase, record: (job: RunJobParams) => void, flush: () => Promise<void>) {
    this.#db = db;
    this.#record = record;
    this.#flush = flush;
  }

  /**
   * Queues the job at once, in the batch that holds the run's row when that was queued first (a worker may read the
   * job from here: it is never committed after its run), and settles when that batch is committed. A failed commit
   * rejects, and the job stays queued for the next one like the rest of the batch.
   */
  async put(runId: string, job: string): Promise<void> {
    this.#record({ runId, job });
    await this.#flush();
  }

  async get(runId: string): Promise<string | undefined> {
    const rows = await this.#db.query<{ job: string }>('SELECT job FROM run_jobs WHERE run_id = $1', [runId]);
    return rows[0]?.job;
  }
}
