import {
  AppError,
  type ChatShape,
  chatShape,
  checkParams,
  type FlowFile,
  fillDefaults,
  findParam,
  migrateFlow,
  type NodeRegistry,
  type PublishedSummary,
  type PublishedVersion,
  type PublishSettings,
  serializeFlow,
  type Values,
  validateFlow,
} from '@flowloom/nodes';
import type { PublishedRow } from '../store/published.js';
import type { Store } from '../store/types.js';

export type { PublishedSummary, PublishedVersion, PublishSettings };

export interface PublishOptions {
  /** Republish this older published version as the newest (rollback) instead of the draft. */
  fromVersion?: number;
  note?: string;
  /** Unset fields keep the previous version's settings (or the defaults for a first version). */
  settings?: Partial<PublishSettings>;
}

function toSummary(row: Omit<PublishedRow, 'json'>): PublishedSummary {
  return {
    flowId: row.flowId,
    version: row.version,
    flowVersion: row.flowVersion,
    rollbackOf: row.rollbackOf,
    note: row.note,
    settings: JSON.parse(row.settings) as PublishSettings,
    publishedAt: row.publishedAt,
  };
}

/** `overrides` of a published run: node id → param → value. */
export type Overrides = Record<string, Record<string, unknown>>;

/**
 * Published versions in `published_versions`: immutable snapshots of a flow's draft, numbered per flow from 1.
 * The newest version of each flow, and the list of published flows, are cached in memory (the hot path of every
 * published call reads them): a call answered from the cache waits for nothing. Changes made here drop the cache at
 * once; changes made by another process (Postgres shared by several) are not seen yet (the queue phase adds that).
 */
export class PublishedService {
  readonly #store: Store;
  readonly #registry: NodeRegistry;
  readonly #defaults: PublishSettings;
  readonly #latest = new Map<string, PublishedVersion | null>();
  /** The chat shape of each cached version (versions are immutable). */
  readonly #chat = new WeakMap<PublishedVersion, ChatShape | null>();
  #flowIds: string[] | undefined;
  /** Bumped by every publish and unpublish: a read that started before one does not fill the cache. */
  #changes = 0;

  constructor(store: Store, registry: NodeRegistry, defaults: Partial<PublishSettings> = {}) {
    this.#store = store;
    this.#registry = registry;
    this.#defaults = { allowedOrigins: [], timeoutMs: 120_000, overridable: [], ...defaults };
  }

  /**
   * Freezes the flow's draft (or, with `fromVersion`, an older published version) as the next version, with full
   * params (`fillDefaults`: every default written in, every node's kind version recorded), so a later change of a
   * kind's default never changes what the version runs. Refuses a draft with problems (FLOW_INVALID listing them): a
   * published endpoint must be runnable.
   */
  async publish(flowId: string, options: PublishOptions = {}): Promise<PublishedVersion> {
    const previous = await this.latest(flowId);
    let flow: FlowFile;
    let flowVersion: number | null;
    let rollbackOf: number | null = null;
    let settings = { ...this.#defaults, ...previous?.settings };
    if (options.fromVersion !== undefined) {
      const source = await this.get(flowId, options.fromVersion);
      flow = source.flow;
      flowVersion = source.flowVersion;
      rollbackOf = source.version;
      settings = { ...source.settings };
    } else {
      const stored = await this.#store.getFlow(flowId);
      if (!stored) throw new AppError('FLOW_NOT_FOUND', `flow "${flowId}" does not exist`);
      flow = stored.flow;
      flowVersion = stored.version;
    }
    settings = { ...settings, ...options.settings };
    const problems = validateFlow(flow, this.#registry.lookup);
    if (problems.length > 0) {
      throw new AppError(
        'FLOW_INVALID',
        `flow "${flowId}" has ${problems.length} problem(s): fix them before publishing`,
        {
          details: problems,
        },
      );
    }
    this.#checkOverridable(flow, settings.overridable);
    const publishedAt = new Date().toISOString();
    const version = (previous?.version ?? 0) + 1;
    this.#changes++;
    await this.#store.published.insertNext({
      flowId,
      version,
      json: serializeFlow(fillDefaults(flow, this.#registry.lookup)),
      flowVersion,
      rollbackOf,
      note: options.note ?? null,
      settings: JSON.stringify(settings),
      publishedAt,
    });
    this.#forget(flowId);
    return this.get(flowId, version);
  }

  /**
   * The newest published version of a flow when the cache has it, without waiting (undefined: not cached, or not
   * published; then ask `latest`). The published endpoints' hot path.
   */
  cachedLatest(flowId: string): PublishedVersion | undefined {
    return this.#latest.get(flowId) ?? undefined;
  }

  /** The newest published version of a flow, or undefined when it was never published. Cached. */
  async latest(flowId: string): Promise<PublishedVersion | undefined> {
    const cached = this.#latest.get(flowId);
    if (cached !== undefined) return cached ?? undefined;
    const changes = this.#changes;
    const row = await this.#store.published.latest(flowId);
    const version = row ? this.#toVersion(row) : null;
    if (changes === this.#changes) this.#latest.set(flowId, version);
    return version ?? undefined;
  }

  /** One published version. Throws VERSION_NOT_FOUND (or FLOW_NOT_FOUND when nothing of the flow is published). */
  async get(flowId: string, version: number): Promise<PublishedVersion> {
    const row = await this.#store.published.get(flowId, version);
    if (!row) {
      if (!(await this.latest(flowId))) throw new AppError('FLOW_NOT_FOUND', `flow "${flowId}" is not published`);
      throw new AppError('VERSION_NOT_FOUND', `flow "${flowId}" has no published version ${version}`);
    }
    return this.#toVersion(row);
  }

  /** A stored version, its nodes migrated to their kinds' current versions (it may predate a kind's new version). */
  #toVersion(row: PublishedRow): PublishedVersion {
    return { ...toSummary(row), flow: migrateFlow(JSON.parse(row.json) as FlowFile, this.#registry).flow };
  }

  /** Every published version of a flow, newest first (empty when never published). */
  async list(flowId: string): Promise<PublishedSummary[]> {
    return (await this.#store.published.list(flowId)).map(toSummary);
  }

  /**
   * Records which version, key and face served a run (the run itself is in `runs`). The row goes with the store's
   * next group commit, together with the run's own row and events (not one write per request).
   */
  recordRun(runId: string, flowId: string, version: number, keyId: string, endpoint: 'run' | 'chat'): void {
    this.#store.published.recordRun({ runId, flowId, version, keyId, endpoint });
  }

  /** Ids of every flow with at least one published version. Cached. */
  async flowIds(): Promise<string[]> {
    if (this.#flowIds) return this.#flowIds;
    const changes = this.#changes;
    const ids = await this.#store.published.flowIds();
    if (changes === this.#changes) this.#flowIds = ids;
    return ids;
  }

  /** Removes every published version of a flow: its endpoints answer 404 from now on. False when none existed. */
  async unpublish(flowId: string): Promise<boolean> {
    this.#changes++;
    const removed = await this.#store.published.remove(flowId);
    this.#forget(flowId);
    return removed > 0;
  }

  #forget(flowId: string): void {
    this.#changes++;
    this.#latest.delete(flowId);
    this.#flowIds = undefined;
  }

  /** The chat shape of a published version, or null when it is not a chat flow. Cached per version. */
  chatShape(published: PublishedVersion): ChatShape | null {
    let shape = this.#chat.get(published);
    if (shape === undefined) {
      shape = chatShape(published.flow, this.#registry.lookup);
      this.#chat.set(published, shape);
    }
    return shape;
  }

  /**
   * Applies per-request param overrides to a copy of the flow. Only params the catalog marks `overridable`, or that
   * the version allows (`nodeId.param`), may change; anything else is refused with OVERRIDE_NOT_ALLOWED naming
   * every offending `nodeId.param`. The values themselves are checked by the engine like any param.
   */
  applyOverrides(published: PublishedVersion, overrides: Overrides | undefined): FlowFile {
    if (!overrides || Object.keys(overrides).length === 0) return published.flow;
    const allowed = new Set(published.settings.overridable);
    const refused: { param: string; message: string }[] = [];
    const byId = new Map(published.flow.nodes.map((node) => [node.id, node]));
    for (const [nodeId, params] of Object.entries(overrides)) {
      const node = byId.get(nodeId);
      for (const name of Object.keys(params ?? {})) {
        const path = `${nodeId}.${name}`;
        if (!node) {
          refused.push({ param: path, message: `the flow has no node "${nodeId}"` });
          continue;
        }
        const spec = this.#registry.get(node.type)?.spec;
        const param = spec && findParam(spec, name);
        if (!param) refused.push({ param: path, message: `node "${nodeId}" (${node.type}) has no param "${name}"` });
        else if (!param.overridable && !allowed.has(path))
          refused.push({ param: path, message: `"${path}" is not overridable in this published version` });
      }
    }
    if (refused.length > 0) {
      throw new AppError('OVERRIDE_NOT_ALLOWED', `overrides not allowed: ${refused.map((r) => r.param).join(', ')}`, {
        details: refused,
      });
    }
    const flow = {
      ...published.flow,
      nodes: published.flow.nodes.map((node) => {
        const extra = overrides[node.id];
        return extra ? { ...node, params: { ...node.params, ...(extra as Values) } } : node;
      }),
    };
    // Values the param's spec refuses are the caller's mistake, named as such (not a broken flow).
    const invalid: { field: string; message: string }[] = [];
    for (const node of flow.nodes) {
      const given = overrides[node.id];
      const spec = given && this.#registry.get(node.type)?.spec;
      if (!spec) continue;
      for (const problem of checkParams(spec, node.params)) {
        if (Object.hasOwn(given, problem.param)) {
          invalid.push({ field: `body.overrides.${node.id}.${problem.param}`, message: problem.message });
        }
      }
    }
    if (invalid.length > 0) {
      throw new AppError('VALIDATION_FAILED', invalid.map((p) => `${p.field}: ${p.message}`).join('; '), {
        details: invalid,
      });
    }
    return flow;
  }

  #checkOverridable(flow: FlowFile, overridable: readonly string[]): void {
    const problems: { param: string; message: string }[] = [];
    for (const path of overridable) {
      const [nodeId, name] = path.split('.', 2) as [string, string | undefined];
      const node = flow.nodes.find((n) => n.id === nodeId);
      const spec = node && this.#registry.get(node.type)?.spec;
      if (!spec || !name || !findParam(spec, name)) {
        problems.push({ param: path, message: `"${path}" names no param of the flow (use nodeId.param)` });
      }
    }
    if (problems.length > 0) {
      throw new AppError('VALIDATION_FAILED', `settings.overridable: ${problems.map((p) => p.param).join(', ')}`, {
        details: problems.map((p) => ({ field: 'body.settings.overridable', ...p })),
      });
    }
  }
}
