import {
  AppError,
  type CalledFlow,
  collectFlowCalls,
  type FlowFile,
  fillDefaults,
  migrateFlow,
  type NodeRegistry,
  overridableParam,
  type SpecLookup,
  serializeFlow,
} from '@flowloom/nodes';
import type Database from 'better-sqlite3';
import type { PublishedTable } from './types.js';

/**
 * A row of `published_versions`: a frozen flow (`json`), the flows it calls frozen with it (`bundle`, see
 * `encodeBundle`) and its settings (`settings`, JSON).
 */
export interface PublishedRow {
  flowId: string;
  version: number;
  json: string;
  /** Null only in a row an older runtime wrote after migration 5: it calls nothing (published runs read no draft). */
  bundle: string | null;
  flowVersion: number | null;
  rollbackOf: number | null;
  note: string | null;
  settings: string;
  publishedAt: string;
}

/** The published face that served a run: the run endpoint, chat completions or the Responses API. */
export type PublishedEndpoint = 'run' | 'chat' | 'responses';

/** Which version, key and face served a run. */
export interface PublishedRunRow {
  runId: string;
  flowId: string;
  version: number;
  keyId: string;
  endpoint: PublishedEndpoint;
}

/** A flow frozen in a published version's bundle: a called flow's draft, with full params, and its draft version. */
export interface FrozenFlow {
  flowId: string;
  flowVersion: number;
  flow: FlowFile;
}

/** The called flows `collectFlowCalls` found (those it could load), as a bundle: sorted by id. */
export function bundleOf(called: readonly CalledFlow<{ flow: FlowFile; version: number }>[]): FrozenFlow[] {
  return called
    .flatMap(({ call, loaded }) =>
      loaded ? [{ flowId: call.calledFlowId, flowVersion: loaded.version, flow: loaded.flow }] : [],
    )
    .sort((a, b) => (a.flowId < b.flowId ? -1 : a.flowId > b.flowId ? 1 : 0));
}

/** The `bundle` column's text: each flow with full params (`fillDefaults`), so no kind default change reaches it. */
export function encodeBundle(flows: readonly FrozenFlow[], lookup: SpecLookup): string {
  return JSON.stringify(flows.map((frozen) => ({ ...frozen, flow: fillDefaults(frozen.flow, lookup) })));
}

/** The frozen flows of a `bundle` column (none when null). */
export function decodeBundle(text: string | null): FrozenFlow[] {
  return text === null ? [] : (JSON.parse(text) as FrozenFlow[]);
}

/**
 * Migration 5's data step: a version published before bundles existed ran the current drafts of the flows it calls.
 * Freezes those drafts now (full params, kinds migrated), once, and writes the version's own flow with full params
 * too, so from now on it changes with neither drafts nor kind defaults. A called flow that no longer exists stays
 * out of the bundle: calling it fails as it did before (FLOW_NOT_FOUND), and rolling back to the version is refused
 * (FLOW_CALL_NOT_FOUND). Params naming a flow leave `settings.overridable`: they could be listed then, and are never
 * overridable now (a version publishing inherits them from would be refused).
 */
export function freezeLegacyBundles(db: Database.Database, registry: NodeRegistry): void {
  const rows = db
    .prepare('SELECT flowId, version, json, settings FROM published_versions WHERE bundle IS NULL')
    .all() as { flowId: string; version: number; json: string; settings: string }[];
  const readDraft = db.prepare('SELECT version, json FROM flows WHERE id = ?');
  const update = db.prepare(
    'UPDATE published_versions SET json = ?, bundle = ?, settings = ? WHERE flowId = ? AND version = ?',
  );
  const drafts = new Map<string, { flow: FlowFile; version: number } | undefined>();
  const load = (flowId: string) => {
    if (!drafts.has(flowId)) {
      const row = readDraft.get(flowId) as { version: number; json: string } | undefined;
      drafts.set(
        flowId,
        row && { flow: migrateFlow(JSON.parse(row.json) as FlowFile, registry).flow, version: row.version },
      );
    }
    return drafts.get(flowId);
  };
  for (const row of rows) {
    const flow = migrateFlow(JSON.parse(row.json) as FlowFile, registry).flow;
    const bundle = bundleOf(collectFlowCalls(flow, load, registry.lookup));
    const settings = JSON.parse(row.settings) as { overridable?: string[] };
    const overridable = settings.overridable?.filter(
      (path) => overridableParam(flow, path, registry.lookup)?.kind !== 'flow',
    );
    update.run(
      serializeFlow(fillDefaults(flow, registry.lookup)),
      encodeBundle(bundle, registry.lookup),
      JSON.stringify(overridable ? { ...settings, overridable } : settings),
      row.flowId,
      row.version,
    );
  }
}

/** The CONFLICT of a publish that lost the race for a version number. */
export function publishConflict(flowId: string, latest: number | undefined): AppError {
  return new AppError('CONFLICT', `flow "${flowId}" was published meanwhile (now version ${latest})`);
}

/** `published_versions` and `published_runs` in SQLite; the published service holds the rules. */
export class SqlitePublishedTable implements PublishedTable {
  readonly #db: Database.Database;
  readonly #record: (run: PublishedRunRow) => void;
  readonly #flush: () => void;
  readonly #sql;

  /**
   * `record` queues a `published_runs` row for the store's next group commit; `flush` commits what is queued (before
   * a read of those rows).
   */
  constructor(db: Database.Database, record: (run: PublishedRunRow) => void, flush: () => void = () => {}) {
    this.#db = db;
    this.#record = record;
    this.#flush = flush;
    this.#sql = {
      insert:
        db.prepare(`INSERT INTO published_versions (flowId, version, json, bundle, flowVersion, rollbackOf, note, settings, publishedAt)
        VALUES (@flowId, @version, @json, @bundle, @flowVersion, @rollbackOf, @note, @settings, @publishedAt)`),
      get: db.prepare('SELECT * FROM published_versions WHERE flowId = ? AND version = ?'),
      latest: db.prepare('SELECT * FROM published_versions WHERE flowId = ? ORDER BY version DESC LIMIT 1'),
      list: db.prepare(
        'SELECT flowId, version, flowVersion, rollbackOf, note, settings, publishedAt FROM published_versions WHERE flowId = ? ORDER BY version DESC',
      ),
      flows: db.prepare('SELECT DISTINCT flowId FROM published_versions ORDER BY flowId'),
      remove: db.prepare('DELETE FROM published_versions WHERE flowId = ?'),
      getRun: db.prepare('SELECT runId, flowId, version, keyId, endpoint FROM published_runs WHERE runId = ?'),
    };
  }

  /** Inside an IMMEDIATE transaction, so a concurrent publish of the same flow gets the next number or CONFLICT. */
  async insertNext(row: PublishedRow): Promise<void> {
    this.#db
      .transaction(() => {
        const last = this.#latest(row.flowId);
        if ((last?.version ?? 0) !== row.version - 1) throw publishConflict(row.flowId, last?.version);
        this.#sql.insert.run(row);
      })
      .immediate();
  }

  async get(flowId: string, version: number): Promise<PublishedRow | undefined> {
    return this.#sql.get.get(flowId, version) as PublishedRow | undefined;
  }

  async latest(flowId: string): Promise<PublishedRow | undefined> {
    return this.#latest(flowId);
  }

  #latest(flowId: string): PublishedRow | undefined {
    return this.#sql.latest.get(flowId) as PublishedRow | undefined;
  }

  async list(flowId: string): Promise<Omit<PublishedRow, 'json' | 'bundle'>[]> {
    return this.#sql.list.all(flowId) as Omit<PublishedRow, 'json' | 'bundle'>[];
  }

  async flowIds(): Promise<string[]> {
    return (this.#sql.flows.all() as { flowId: string }[]).map((row) => row.flowId);
  }

  async remove(flowId: string): Promise<number> {
    return this.#sql.remove.run(flowId).changes;
  }

  recordRun(run: PublishedRunRow): void {
    this.#record(run);
  }

  async getRun(runId: string): Promise<PublishedRunRow | undefined> {
    this.#flush();
    return this.#sql.getRun.get(runId) as PublishedRunRow | undefined;
  }
}
