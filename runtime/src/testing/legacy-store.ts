import { join } from 'node:path';
import type { FlowFile } from '@flowloom/nodes';
import Database from 'better-sqlite3';
import { MIGRATIONS, migrate } from '../store/migrations.js';
import { DB_FILE } from '../store/store.js';

/** A published version's settings as that runtime stored them (it let a flow param be overridable). */
export interface LegacySettings {
  allowedOrigins: string[];
  timeoutMs: number;
  overridable: string[];
}

/**
 * Writes a data folder as the runtime wrote it before published bundles (schema version 4): drafts at version 1 and
 * published versions holding only their flow, as given (no bundle, defaults left out), with `settings`. Opening a
 * store on it applies the newer migrations.
 */
export function writeLegacyStore(
  dataDir: string,
  drafts: readonly FlowFile[],
  published: readonly FlowFile[],
  settings: LegacySettings = { allowedOrigins: [], timeoutMs: 120_000, overridable: [] },
): void {
  const db = new Database(join(dataDir, DB_FILE));
  try {
    migrate(
      db,
      MIGRATIONS.filter((m) => m.version <= 4),
    );
    const now = new Date().toISOString();
    const insertFlow = db.prepare(
      'INSERT INTO flows (id, name, version, json, createdAt, updatedAt) VALUES (?, ?, 1, ?, ?, ?)',
    );
    for (const flow of drafts) insertFlow.run(flow.id, flow.name, JSON.stringify({ ...flow, version: 1 }), now, now);
    const insertVersion = db.prepare(
      `INSERT INTO published_versions (flowId, version, json, flowVersion, rollbackOf, note, settings, publishedAt)
       VALUES (?, 1, ?, 1, NULL, NULL, ?, ?)`,
    );
    for (const flow of published) insertVersion.run(flow.id, JSON.stringify(flow), JSON.stringify(settings), now);
  } finally {
    db.close();
  }
}
