import { NodeRegistry } from '@flowloom/nodes';
import type Database from 'better-sqlite3';
import { CHAT_MEMORY_SCHEMA } from './memory.js';
import { freezeLegacyBundles } from './published.js';

/** What a migration's data step may need besides the database. */
export interface MigrationContext {
  /** The node kinds: a data step that reads flows migrates them to their kinds' current versions. */
  registry: NodeRegistry;
}

/** One numbered schema change. Applied once, in order, each inside its own transaction. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** A data step run after `sql`, in the same transaction, for what SQL alone cannot do. */
  run?: (db: Database.Database, context: MigrationContext) => void;
}

/**
 * The SQLite store's schema history. Append only: never edit a migration that has shipped. Postgres has its own
 * (postgres/migrations.ts) with the same versions and names: a new migration here is written there too.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'flows, flow versions, runs and run events',
    sql: `
      CREATE TABLE flows (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        json TEXT NOT NULL,
        createdAt TEXT NOT NULL,
        updatedAt TEXT NOT NULL
      );
      CREATE TABLE flow_versions (
        flowId TEXT NOT NULL,
        version INTEGER NOT NULL,
        json TEXT NOT NULL,
        savedAt TEXT NOT NULL,
        PRIMARY KEY (flowId, version)
      ) WITHOUT ROWID;
      CREATE TABLE runs (
        runId TEXT PRIMARY KEY,
        flowId TEXT NOT NULL,
        flowVersion INTEGER,
        status TEXT NOT NULL,
        inputs TEXT NOT NULL,
        outputs TEXT,
        error TEXT,
        usage TEXT,
        cost REAL,
        startedAt TEXT NOT NULL,
        endedAt TEXT,
        durationMs INTEGER
      );
      CREATE INDEX runs_by_flow ON runs (flowId, startedAt DESC);
      CREATE INDEX runs_by_start ON runs (startedAt DESC);
      CREATE TABLE run_events (
        runId TEXT NOT NULL,
        seq INTEGER NOT NULL,
        type TEXT NOT NULL,
        json TEXT NOT NULL,
        PRIMARY KEY (runId, seq)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    name: 'run ownership, nesting and feedback',
    sql: `
      ALTER TABLE runs ADD COLUMN pid INTEGER;
      ALTER TABLE runs ADD COLUMN sessionId TEXT;
      ALTER TABLE runs ADD COLUMN parentRunId TEXT;
      ALTER TABLE runs ADD COLUMN depth INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX runs_by_status ON runs (status);
      CREATE TABLE run_feedback (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        runId TEXT NOT NULL,
        score REAL NOT NULL,
        comment TEXT,
        createdAt TEXT NOT NULL
      );
      CREATE INDEX run_feedback_by_run ON run_feedback (runId);
    `,
  },
  {
    version: 3,
    name: 'publishing: published versions, API keys, published runs, settings',
    sql: `
      CREATE TABLE published_versions (
        flowId TEXT NOT NULL,
        version INTEGER NOT NULL,
        json TEXT NOT NULL,
        flowVersion INTEGER,
        rollbackOf INTEGER,
        note TEXT,
        settings TEXT NOT NULL,
        publishedAt TEXT NOT NULL,
        PRIMARY KEY (flowId, version)
      ) WITHOUT ROWID;
      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        flows TEXT NOT NULL,
        rateLimit INTEGER,
        salt BLOB NOT NULL,
        hash BLOB NOT NULL,
        createdAt TEXT NOT NULL,
        lastUsedAt TEXT,
        revokedAt TEXT
      );
      CREATE TABLE published_runs (
        runId TEXT PRIMARY KEY,
        flowId TEXT NOT NULL,
        version INTEGER NOT NULL,
        keyId TEXT NOT NULL,
        endpoint TEXT NOT NULL
      );
      CREATE INDEX published_runs_by_key ON published_runs (keyId);
      CREATE TABLE settings (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updatedAt TEXT NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: 'index only unfinished runs by status',
    // Crash recovery looks for running and queued runs only; a full index on status was written for every run.
    sql: `
      DROP INDEX runs_by_status;
      CREATE INDEX runs_unfinished ON runs (status) WHERE status IN ('running', 'queued');
    `,
  },
  {
    version: 5,
    name: 'published bundles: the flows a published version calls, frozen with it',
    // Versions published before kept following the drafts of the flows they call: freeze those drafts once, now.
    sql: 'ALTER TABLE published_versions ADD COLUMN bundle TEXT;',
    run: (db, { registry }) => freezeLegacyBundles(db, registry),
  },
  {
    version: 6,
    name: 'run attempts: claims and fenced writes',
    // Rows from before ran once. Every later write of a run carries its attempt and is ignored once the row has a
    // newer one (a worker that lost the run cannot overwrite it).
    sql: 'ALTER TABLE runs ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1;',
  },
  {
    version: 7,
    name: 'chat memory in the numbered migrations',
    // The memory table used to create itself (IF NOT EXISTS), so older databases may have it already.
    sql: CHAT_MEMORY_SCHEMA,
  },
  {
    version: 8,
    name: 'run owners: crash recovery asks a lock that dies with its process',
    // Rows from before keep a null owner: recovery judges them by their pid, as it used to.
    sql: 'ALTER TABLE runs ADD COLUMN owner TEXT;',
  },
  {
    version: 9,
    name: 'the LLMOps loop: feedback, datasets and experiments',
    // Feedback moves to a table of its own: ids given by the client, per run (a repeated id updates), a withdrawn score
    // (null), a key, a correction, a node, a source and its author (`admin` or `key:<key id>`, who alone may change
    // it). Older rows keep their score and comment, as key "user" by the admin.
    sql: `
      CREATE TABLE feedback (
        runId TEXT NOT NULL,
        id TEXT NOT NULL,
        nodeId TEXT,
        key TEXT NOT NULL,
        score REAL,
        comment TEXT,
        correction TEXT,
        source TEXT NOT NULL,
        author TEXT NOT NULL,
        createdAt TEXT NOT NULL,
        updatedAt TEXT NOT NULL,
        PRIMARY KEY (runId, id)
      ) WITHOUT ROWID;
      CREATE INDEX feedback_by_run ON feedback (runId, createdAt);
      INSERT INTO feedback (runId, id, key, score, comment, source, author, createdAt, updatedAt)
        SELECT runId, 'fb_' || id, 'user', score, comment, 'api', 'admin', createdAt, createdAt FROM run_feedback;
      DROP TABLE run_feedback;
      CREATE TABLE datasets (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        description TEXT,
        revision INTEGER NOT NULL,
        nextSeq INTEGER NOT NULL,
        createdAt TEXT NOT NULL,
        updatedAt TEXT NOT NULL
      );
      CREATE TABLE dataset_items (
        datasetId TEXT NOT NULL,
        id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        input TEXT NOT NULL,
        expected TEXT,
        metadata TEXT,
        split TEXT,
        sourceRunId TEXT,
        sourceNodeId TEXT,
        createdAt TEXT NOT NULL,
        updatedAt TEXT NOT NULL,
        PRIMARY KEY (datasetId, id)
      ) WITHOUT ROWID;
      CREATE UNIQUE INDEX dataset_items_by_seq ON dataset_items (datasetId, seq);
      CREATE TABLE experiments (
        id TEXT PRIMARY KEY,
        name TEXT,
        status TEXT NOT NULL,
        datasetId TEXT NOT NULL,
        split TEXT,
        datasetRevision INTEGER NOT NULL,
        spec TEXT NOT NULL,
        total INTEGER NOT NULL,
        error TEXT,
        createdAt TEXT NOT NULL,
        startedAt TEXT,
        endedAt TEXT,
        ownerHost TEXT,
        ownerPid INTEGER
      );
      CREATE INDEX experiments_unfinished ON experiments (status) WHERE status IN ('queued', 'running');
      CREATE TABLE experiment_items (
        experimentId TEXT NOT NULL,
        seq INTEGER NOT NULL,
        itemId TEXT NOT NULL,
        input TEXT NOT NULL,
        expected TEXT,
        PRIMARY KEY (experimentId, seq)
      ) WITHOUT ROWID;
      CREATE TABLE experiment_cells (
        experimentId TEXT NOT NULL,
        seq INTEGER NOT NULL,
        target INTEGER NOT NULL,
        repetition INTEGER NOT NULL,
        status TEXT NOT NULL,
        runId TEXT,
        output TEXT,
        scores TEXT,
        error TEXT,
        passed INTEGER,
        durationMs REAL,
        tokens INTEGER,
        costUsd REAL,
        endedAt TEXT,
        PRIMARY KEY (experimentId, seq, target, repetition)
      ) WITHOUT ROWID;
      CREATE INDEX experiment_cells_by_run ON experiment_cells (runId) WHERE runId IS NOT NULL;
    `,
  },
  {
    version: 10,
    name: 'run jobs: what a queued run executes, for any worker',
    // The job of a run accepted by an API process (FLOWLOOM_ROLE=api): the flow, its bundle and the run's options.
    sql: 'CREATE TABLE run_jobs (runId TEXT PRIMARY KEY, job TEXT NOT NULL);',
  },
  {
    version: 11,
    name: 'run sources and time to first token (monitoring), fine-tuning jobs',
    // Runs from before have no source (shown as unknown); `ttftMs` is the time from the run's start to its first
    // streamed text.
    sql: `
      ALTER TABLE runs ADD COLUMN source TEXT;
      ALTER TABLE runs ADD COLUMN ttftMs REAL;
      CREATE TABLE fine_tune_jobs (
        id TEXT PRIMARY KEY,
        fileId TEXT NOT NULL,
        baseModel TEXT NOT NULL,
        status TEXT NOT NULL,
        fineTunedModel TEXT,
        error TEXT,
        method TEXT NOT NULL,
        examples INTEGER NOT NULL,
        tokens INTEGER NOT NULL,
        suffix TEXT,
        createdAt TEXT NOT NULL,
        updatedAt TEXT NOT NULL
      );
    `,
  },
  {
    version: 12,
    name: 'browser keys: a kind and allowed origins per API key',
    // Keys made before are secret keys with no origins (a secret key is not limited to origins).
    sql: `
      ALTER TABLE api_keys ADD COLUMN kind TEXT NOT NULL DEFAULT 'secret';
      ALTER TABLE api_keys ADD COLUMN origins TEXT NOT NULL DEFAULT '[]';
    `,
  },
  {
    version: 13,
    name: 'run origins: how an editor run was asked for (rerun, node alone, pins)',
    // JSON; null for plain runs and every run from before.
    sql: 'ALTER TABLE runs ADD COLUMN origin TEXT;',
  },
  {
    version: 14,
    name: 'a revision of the API keys: cached keys are dropped when keys change, not on every commit',
    // Bumped by triggers on any change to a key but its last use, by any connection: the key service compares it
    // (PRAGMA data_version changed on every commit of the store's writer, so cached keys were dropped every few ms).
    sql: `
      CREATE TABLE api_keys_revision (id INTEGER PRIMARY KEY CHECK (id = 1), revision INTEGER NOT NULL);
      INSERT INTO api_keys_revision (id, revision) VALUES (1, 0);
      CREATE TRIGGER api_keys_revised_by_insert AFTER INSERT ON api_keys
        BEGIN UPDATE api_keys_revision SET revision = revision + 1; END;
      CREATE TRIGGER api_keys_revised_by_update
        AFTER UPDATE OF id, name, flows, rateLimit, kind, origins, salt, hash, createdAt, revokedAt ON api_keys
        BEGIN UPDATE api_keys_revision SET revision = revision + 1; END;
      CREATE TRIGGER api_keys_revised_by_delete AFTER DELETE ON api_keys
        BEGIN UPDATE api_keys_revision SET revision = revision + 1; END;
    `,
  },
];

/** The highest applied migration version (0 for a new database). */
export function schemaVersion(db: Database.Database): number {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, appliedAt TEXT NOT NULL)`);
  const row = db.prepare('SELECT MAX(version) AS version FROM schema_migrations').get() as { version: number | null };
  return row.version ?? 0;
}

/**
 * Applies every migration newer than the database's version, each in its own IMMEDIATE transaction together with
 * its `schema_migrations` row, so a crash leaves the database at a whole version. Returns the versions applied.
 */
export function migrate(
  db: Database.Database,
  migrations: readonly Migration[] = MIGRATIONS,
  context: MigrationContext = { registry: new NodeRegistry() },
): number[] {
  const current = schemaVersion(db);
  const applied: number[] = [];
  const record = db.prepare('INSERT INTO schema_migrations (version, name, appliedAt) VALUES (?, ?, ?)');
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      migration.run?.(db, context);
      record.run(migration.version, migration.name, new Date().toISOString());
    }).immediate();
    applied.push(migration.version);
  }
  return applied;
}
