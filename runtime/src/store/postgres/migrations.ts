import type { Migration } from '../migrations.js';
import type { PgDatabase } from './db.js';

/**
 * The Postgres store's schema history: the same versions and names as SQLite's (migrations.ts), so a schema version
 * means the same tables on both; the SQL is Postgres' own (snake_case names, timestamptz, bytea, identity columns).
 * Append only: never edit a migration that has shipped.
 */
export const PG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'flows, flow versions, runs and run events',
    sql: `
      CREATE TABLE flows (
        id text PRIMARY KEY,
        name text NOT NULL,
        version integer NOT NULL,
        json text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      );
      CREATE TABLE flow_versions (
        flow_id text NOT NULL,
        version integer NOT NULL,
        json text NOT NULL,
        saved_at timestamptz NOT NULL,
        PRIMARY KEY (flow_id, version)
      );
      CREATE TABLE runs (
        run_id text PRIMARY KEY,
        flow_id text NOT NULL,
        flow_version integer,
        status text NOT NULL,
        inputs text NOT NULL,
        outputs text,
        error text,
        usage text,
        cost double precision,
        started_at timestamptz NOT NULL,
        ended_at timestamptz,
        duration_ms integer
      );
      CREATE INDEX runs_by_flow ON runs (flow_id, started_at DESC);
      CREATE INDEX runs_by_start ON runs (started_at DESC);
      CREATE TABLE run_events (
        run_id text NOT NULL,
        seq integer NOT NULL,
        type text NOT NULL,
        json text NOT NULL,
        PRIMARY KEY (run_id, seq)
      );
    `,
  },
  {
    version: 2,
    name: 'run ownership, nesting and feedback',
    // Ownership is a process on a machine: crash recovery only judges the pids of its own host.
    sql: `
      ALTER TABLE runs ADD COLUMN pid integer;
      ALTER TABLE runs ADD COLUMN host text;
      ALTER TABLE runs ADD COLUMN session_id text;
      ALTER TABLE runs ADD COLUMN parent_run_id text;
      ALTER TABLE runs ADD COLUMN depth integer NOT NULL DEFAULT 0;
      CREATE INDEX runs_by_status ON runs (status);
      CREATE TABLE run_feedback (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        run_id text NOT NULL,
        score double precision NOT NULL,
        comment text,
        created_at timestamptz NOT NULL
      );
      CREATE INDEX run_feedback_by_run ON run_feedback (run_id);
    `,
  },
  {
    version: 3,
    name: 'publishing: published versions, API keys, published runs, settings',
    // api_keys_revision is bumped by every key insert and revoke: other processes compare it to drop cached keys.
    sql: `
      CREATE TABLE published_versions (
        flow_id text NOT NULL,
        version integer NOT NULL,
        json text NOT NULL,
        flow_version integer,
        rollback_of integer,
        note text,
        settings text NOT NULL,
        published_at timestamptz NOT NULL,
        PRIMARY KEY (flow_id, version)
      );
      CREATE TABLE api_keys (
        id text PRIMARY KEY,
        name text NOT NULL,
        flows text NOT NULL,
        rate_limit integer,
        salt bytea NOT NULL,
        hash bytea NOT NULL,
        created_at timestamptz NOT NULL,
        last_used_at timestamptz,
        revoked_at timestamptz
      );
      CREATE SEQUENCE api_keys_revision;
      CREATE TABLE published_runs (
        run_id text PRIMARY KEY,
        flow_id text NOT NULL,
        version integer NOT NULL,
        key_id text NOT NULL,
        endpoint text NOT NULL
      );
      CREATE INDEX published_runs_by_key ON published_runs (key_id);
      CREATE TABLE settings (
        name text PRIMARY KEY,
        value text NOT NULL,
        updated_at timestamptz NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: 'index only unfinished runs by status',
    sql: `
      DROP INDEX runs_by_status;
      CREATE INDEX runs_unfinished ON runs (status) WHERE status IN ('running', 'queued');
    `,
  },
  {
    version: 5,
    name: 'published bundles: the flows a published version calls, frozen with it',
    // SQLite's data step (freezing the called drafts of versions published before bundles) has nothing to do here:
    // the Postgres store came with bundles, so no version on Postgres was published without one.
    sql: 'ALTER TABLE published_versions ADD COLUMN bundle text;',
  },
  {
    version: 6,
    name: 'run attempts: claims and fenced writes',
    sql: 'ALTER TABLE runs ADD COLUMN attempt integer NOT NULL DEFAULT 1;',
  },
  {
    version: 7,
    name: 'chat memory in the numbered migrations',
    sql: `
      CREATE TABLE chat_memory (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        session_id text NOT NULL,
        namespace text NOT NULL,
        message text NOT NULL,
        created_at timestamptz NOT NULL
      );
      CREATE INDEX chat_memory_by_session ON chat_memory (session_id, namespace, id);
    `,
  },
  {
    version: 8,
    name: 'run owners: crash recovery asks a lock that dies with its process',
    // Rows from before keep a null owner: recovery judges them by host and pid, as it used to.
    sql: 'ALTER TABLE runs ADD COLUMN owner text;',
  },
  {
    version: 9,
    name: 'the LLMOps loop: feedback, datasets and experiments',
    sql: `
      CREATE TABLE feedback (
        run_id text NOT NULL,
        id text NOT NULL,
        node_id text,
        key text NOT NULL,
        score double precision,
        comment text,
        correction text,
        source text NOT NULL,
        author text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (run_id, id)
      );
      CREATE INDEX feedback_by_run ON feedback (run_id, created_at);
      INSERT INTO feedback (run_id, id, key, score, comment, source, author, created_at, updated_at)
        SELECT run_id, 'fb_' || id, 'user', score, comment, 'api', 'admin', created_at, created_at FROM run_feedback;
      DROP TABLE run_feedback;
      CREATE TABLE datasets (
        id text PRIMARY KEY,
        name text NOT NULL,
        description text,
        revision integer NOT NULL,
        next_seq integer NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      );
      CREATE TABLE dataset_items (
        dataset_id text NOT NULL,
        id text NOT NULL,
        seq integer NOT NULL,
        input text NOT NULL,
        expected text,
        metadata text,
        split text,
        source_run_id text,
        source_node_id text,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (dataset_id, id)
      );
      CREATE UNIQUE INDEX dataset_items_by_seq ON dataset_items (dataset_id, seq);
      CREATE TABLE experiments (
        id text PRIMARY KEY,
        name text,
        status text NOT NULL,
        dataset_id text NOT NULL,
        split text,
        dataset_revision integer NOT NULL,
        spec text NOT NULL,
        total integer NOT NULL,
        error text,
        created_at timestamptz NOT NULL,
        started_at timestamptz,
        ended_at timestamptz,
        owner_host text,
        owner_pid integer
      );
      CREATE INDEX experiments_unfinished ON experiments (status) WHERE status IN ('queued', 'running');
      CREATE TABLE experiment_items (
        experiment_id text NOT NULL,
        seq integer NOT NULL,
        item_id text NOT NULL,
        input text NOT NULL,
        expected text,
        PRIMARY KEY (experiment_id, seq)
      );
      CREATE TABLE experiment_cells (
        experiment_id text NOT NULL,
        seq integer NOT NULL,
        target integer NOT NULL,
        repetition integer NOT NULL,
        status text NOT NULL,
        run_id text,
        output text,
        scores text,
        error text,
        passed boolean,
        duration_ms double precision,
        tokens integer,
        cost_usd double precision,
        ended_at timestamptz,
        PRIMARY KEY (experiment_id, seq, target, repetition)
      );
      CREATE INDEX experiment_cells_by_run ON experiment_cells (run_id) WHERE run_id IS NOT NULL;
    `,
  },
  {
    version: 10,
    name: 'run jobs: what a queued run executes, for any worker',
    sql: 'CREATE TABLE run_jobs (run_id text PRIMARY KEY, job text NOT NULL);',
  },
  {
    version: 11,
    name: 'run sources and time to first token (monitoring), fine-tuning jobs',
    sql: `
      ALTER TABLE runs ADD COLUMN source text;
      ALTER TABLE runs ADD COLUMN ttft_ms double precision;
      CREATE TABLE fine_tune_jobs (
        id text PRIMARY KEY,
        file_id text NOT NULL,
        base_model text NOT NULL,
        status text NOT NULL,
        fine_tuned_model text,
        error text,
        method text NOT NULL,
        examples integer NOT NULL,
        tokens integer NOT NULL,
        suffix text,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      );
    `,
  },
  {
    version: 12,
    name: 'browser keys: a kind and allowed origins per API key',
    sql: `
      ALTER TABLE api_keys ADD COLUMN kind text NOT NULL DEFAULT 'secret';
      ALTER TABLE api_keys ADD COLUMN origins text NOT NULL DEFAULT '[]';
    `,
  },
  {
    version: 13,
    name: 'run origins: how an editor run was asked for (rerun, node alone, pins)',
    sql: 'ALTER TABLE runs ADD COLUMN origin text;',
  },
  {
    version: 14,
    name: 'a revision of the API keys: cached keys are dropped when keys change, not on every commit',
    // Postgres has had it from version 1 (the `api_keys_revision` sequence, bumped on insert and revoke).
    sql: 'SELECT 1;',
  },
];

/** The highest applied migration version of the connection's schema (0 for a new one). */
export async function pgSchemaVersion(db: PgDatabase): Promise<number> {
  const rows = await db.query<{ version: number | null }>(
    "SELECT CASE WHEN to_regclass('schema_migrations') IS NULL THEN 0 ELSE (SELECT MAX(version) FROM schema_migrations) END AS version",
  );
  return rows[0]?.version ?? 0;
}

/**
 * Applies every migration newer than the schema's version, each in its own transaction together with its
 * `schema_migrations` row, so a failure leaves the schema at a whole version. An advisory lock (per schema) makes
 * processes that start together apply each migration once. Returns the versions applied.
 */
export async function migratePg(db: PgDatabase, migrations: readonly Migration[] = PG_MIGRATIONS): Promise<number[]> {
  const applied: number[] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    const isApplied = await db.transaction(async (client) => {
      await client.query("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':flowloom-migrations'))");
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)`);
      const { rows } = await client.query<{ version: number | null }>(
        'SELECT MAX(version) AS version FROM schema_migrations',
      );
      if (migration.version <= (rows[0]?.version ?? 0)) return false;
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        migration.version,
        migration.name,
        new Date().toISOString(),
      ]);
      return true;
    });
    if (isApplied) applied.push(migration.version);
  }
  return applied;
}
