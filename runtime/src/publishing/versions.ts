import {
  AppError,
  type CalledFlow,
  type ChatShape,
  chatShape,
  checkParams,
  collectFlowCalls,
  type FlowFile,
  fillDefaults,
  findParam,
  migrateFlow,
  type NodeRegistry,
  overridableParam,
  type Problem,
  type PublishedSummary,
  type PublishedVersion,
  type PublishSettings,
  type SpecLookup,
  serializeFlow,
  type Values,
  validateFlow,
} from '@flowloom/nodes';
import {
  bundleOf,
  decodeBundle,
  encodeBundle,
  type FrozenFlow,
  type PublishedEndpoint,
  type PublishedRow,
} from '../store/published.js';
import type { Store, StoredFlow } from '../store/types.js';
import { FrozenBundle } from './frozen-bundle.js';

export type { PublishedSummary, PublishedVersion, PublishSettings };

/** A published version as the runtime holds it: its data, and the frozen bundle its flow calls resolve in. */
export interface FrozenVersion extends PublishedVersion {
  readonly frozen: FrozenBundle;
}

export interface PublishOptions {
  /** Republish this older published version as the newest (rollback) instead of the draft. */
  fromVersion?: number;
  note?: string;
  /**
   * Unset fields keep the previous version's settings (or the defaults for a first version); of the `overridable`
   * entries kept, those the flow no longer allows are dropped. Given entries that name no param, or a flow param, are
   * refused.
   */
  settings?: Partial<PublishSettings>;
}

function toSummary(row: Omit<PublishedRow, 'json' | 'bundle'>): PublishedSummary {
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

function timeoutAboveCeiling(ceilingMs: number): AppError {
  const message = `must be at most ${ceilingMs} ms, the server's limit (FLOWLOOM_RUN_TIMEOUT_MS)`;
  return new AppError('VALIDATION_FAILED', `body.settings.timeoutMs ${message}`, {
    details: [{ field: 'body.settings.timeoutMs', message }],
  });
}

/**
 * The drafts a flow calls, directly or not, read from the store ahead of `collectFlowCalls` (which reads
 * synchronously): one round of reads per level of calls. Answers the loader to hand it.
 */
export async function readCalledDrafts(
  store: Pick<Store, 'getFlow'>,
  flow: FlowFile,
  lookup: SpecLookup,
): Promise<(flowId: string) => StoredFlow | undefined> {
  const drafts = new Map<string, StoredFlow | undefined>();
  for (;;) {
    const missing: string[] = [];
    collectFlowCalls(
      flow,
      (id) => {
        if (!drafts.has(id)) missing.push(id);
        return drafts.get(id);
      },
      lookup,
    );
    if (missing.length === 0) return (id) => drafts.get(id);
    const read = await Promise.all(missing.map((id) => store.getFlow(id)));
    missing.forEach((id, i) => {
      drafts.set(id, read[i]);
    });
  }
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
  /**
   * The newest version of each published flow. Only what exists is kept: flow ids come from requests (an anonymous
   * preflight, a chat completion's `model`), and keeping every miss would grow without bound.
   */
  readonly #latest = new Map<string, FrozenVersion>();
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
   * Freezes the flow's draft (or, with `fromVersion`, an older published version) as the next version, with its
   * bundle: every flow it calls through params of kind `flow`, directly or not, as their current drafts (or, for a
   * rollback, as the older version froze them). Everything with full params (`fillDefaults`: every default written
   * in, every node's kind version recorded), so neither a draft nor a kind's default changes what the version runs.
   * Refuses a flow with problems, or one calling a flow that is missing or has problems (FLOW_INVALID listing them
   * all): a published endpoint must be runnable.
   */
  async publish(flowId: string, options: PublishOptions = {}): Promise<FrozenVersion> {
    const previous = await this.latest(flowId);
    let flow: FlowFile;
    let flowVersion: number | null;
    let rollbackOf: number | null = null;
    let settings = { ...this.#defaults, ...previous?.settings };
    let load: (calledFlowId: string) => { flow: FlowFile; version: number } | undefined;
    if (options.fromVersion !== undefined) {
      const source = await this.get(flowId, options.fromVersion);
      flow = source.flow;
      flowVersion = source.flowVersion;
      rollbackOf = source.version;
      settings = { ...source.settings };
      load = (id) => {
        const frozen = source.frozen.frozen(id);
        return frozen && { flow: frozen.flow, version: frozen.flowVersion };
      };
    } else {
      const stored = await this.#store.getFlow(flowId);
      if (!stored) throw new AppError('FLOW_NOT_FOUND', `flow "${flowId}" does not exist`);
      flow = stored.flow;
      flowVersion = stored.version;
      load = await readCalledDrafts(this.#store, flow, this.#registry.lookup);
    }
    const given = options.settings ?? {};
    if ((given.timeoutMs ?? 0) > this.runTimeoutCeilingMs) throw timeoutAboveCeiling(this.runTimeoutCeilingMs);
    const called = collectFlowCalls(flow, load, this.#registry.lookup);
    const problems = [...validateFlow(flow, this.#registry.lookup), ...this.#callProblems(flowId, called)];
    if (problems.length > 0) {
      throw new AppError(
        'FLOW_INVALID',
        `flow "${flowId}" has ${problems.length} problem(s): fix them before publishing`,
        {
          details: problems,
        },
      );
    }
    if (given.overridable) this.#checkOverridable(flow, given.overridable);
    // Inherited entries the flow no longer allows (a flow param listed before versions froze the flows they call, a
    // node since removed from the draft) are dropped: only what this request gives is refused.
    const overridable = given.overridable ?? settings.overridable.filter((path) => this.#isOverridable(flow, path));
    settings = { ...settings, ...given, overridable };
    const publishedAt = new Date().toISOString();
    const version = (previous?.version ?? 0) + 1;
    this.#changes++;
    await this.#store.published.insertNext({
      flowId,
      version,
      json: serializeFlow(fillDefaults(flow, this.#registry.lookup)),
      bundle: encodeBundle(bundleOf(called), this.#registry.lookup),
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
   * The longest any published run may take (FLOWLOOM_RUN_TIMEOUT_MS): the limit of a version that sets none, and the
   * most one may set.
   */
  get runTimeoutCeilingMs(): number {
    return this.#defaults.timeoutMs;
  }

  /** A problem per called flow that is missing or has problems, on the node that calls it. */
  #callProblems(rootId: string, called: readonly CalledFlow<{ flow: FlowFile }>[]): Problem[] {
    const problems: Problem[] = [];
    for (const { call, loaded } of called) {
      const where = {
        nodeId: call.nodeId,
        path: `params.${call.param}`,
        ...(call.flowId !== rootId && { flowId: call.flowId }),
        calledFlowId: call.calledFlowId,
      };
      const caller =
        call.flowId === rootId ? `node "${call.nodeId}"` : `node "${call.nodeId}" of flow "${call.flowId}"`;
      if (!loaded) {
        problems.push({
          ...where,
          code: 'FLOW_CALL_NOT_FOUND',
          message: `${caller} calls flow "${call.calledFlowId}", which does not exist`,
        });
        continue;
      }
      const found = validateFlow(loaded.flow, this.#registry.lookup);
      if (found.length === 0) continue;
      problems.push({
        ...where,
        code: 'FLOW_CALL_INVALID',
        message: `${caller} calls flow "${call.calledFlowId}", which has ${found.length} problem(s): ${found
          .map((p) => (p.nodeId ? `${p.nodeId}: ${p.message}` : p.message))
          .join('; ')}`,
      });
    }
    return problems;
  }

  /**
   * The newest published version of a flow when the cache has it, without waiting (undefined: not cached, or not
   * published; then ask `latest`). The published endpoints' hot path.
   */
  cachedLatest(flowId: string): FrozenVersion | undefined {
    return this.#latest.get(flowId);
  }

  /** How many flows' newest versions the cache holds (at most one per published flow). */
  get cachedCount(): number {
    return this.#latest.size;
  }

  /** The newest published version of a flow, or undefined when it was never published. Cached when there is one. */
  async latest(flowId: string): Promise<FrozenVersion | undefined> {
    const cached = this.#latest.get(flowId);
    if (cached) return cached;
    const changes = this.#changes;
    const row = await this.#store.published.latest(flowId);
    if (!row) return undefined;
    const version = this.#toVersion(row);
    if (changes === this.#changes) this.#latest.set(flowId, version);
    return version;
  }

  /** One published version. Throws VERSION_NOT_FOUND (or FLOW_NOT_FOUND when nothing of the flow is published). */
  async get(flowId: string, version: number): Promise<FrozenVersion> {
    const row = await this.#store.published.get(flowId, version);
    if (!row) {
      if (!(await this.latest(flowId))) throw new AppError('FLOW_NOT_FOUND', `flow "${flowId}" is not published`);
      throw new AppError('VERSION_NOT_FOUND', `flow "${flowId}" has no published version ${version}`);
    }
    return this.#toVersion(row);
  }

  /**
   * A stored version with its bundle, every flow's nodes migrated to their kinds' current versions (it may predate a
   * kind's new version). Parsed once per read: the cached newest version hands runs the same flow objects every time.
   */
  #toVersion(row: PublishedRow): FrozenVersion {
    const migrated = (json: FlowFile) => migrateFlow(json, this.#registry).flow;
    const summary = toSummary(row);
    const flow = migrated(JSON.parse(row.json) as FlowFile);
    const flows: FrozenFlow[] = decodeBundle(row.bundle).map((frozen) => ({ ...frozen, flow: migrated(frozen.flow) }));
    const frozen = new FrozenBundle({ ...summary, flow }, flows);
    return { ...summary, flow, bundle: frozen.refs(), frozen };
  }

  /** Every published version of a flow, newest first (empty when never published). */
  async list(flowId: string): Promise<PublishedSummary[]> {
    return (await this.#store.published.list(flowId)).map(toSummary);
  }

  /**
   * Records which version, key and face served a run (the run itself is in `runs`). The row goes with the store's
   * next group commit, together with the run's own row and events (not one write per request).
   */
  recordRun(runId: string, flowId: string, version: number, keyId: string, endpoint: PublishedEndpoint): void {
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
   * the version allows (`nodeId.param`), may change, and never a param of kind `flow` (the flows a version calls are
   * frozen with it); anything else is refused with OVERRIDE_NOT_ALLOWED naming every offending `nodeId.param`. The
   * values themselves are checked by the engine like any param.
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
        else if (param.kind === 'flow')
          refused.push({ param: path, message: `"${path}" names a flow, frozen with the published version` });
        else if (param.kind === 'provider')
          refused.push({ param: path, message: `"${path}" names a model provider, frozen with the published version` });
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

  #isOverridable(flow: FlowFile, path: string): boolean {
    const param = overridableParam(flow, path, this.#registry.lookup);
    return param !== undefined && param.kind !== 'flow' && param.kind !== 'provider';
  }

  #checkOverridable(flow: FlowFile, overridable: readonly string[]): void {
    const problems: { param: string; message: string }[] = [];
    for (const path of overridable) {
      const param = overridableParam(flow, path, this.#registry.lookup);
      if (!param) {
        problems.push({ param: path, message: `"${path}" names no param of the flow (use nodeId.param)` });
      } else if (param.kind === 'flow') {
        problems.push({
          param: path,
          message: `"${path}" names a flow: which flows a published version calls is frozen with it, never overridable`,
        });
      } else if (param.kind === 'provider') {
        // Callers (anyone holding a public browser key) would pick which server, with which key, answers them.
        problems.push({
          param: path,
          message: `"${path}" names a model provider: which provider a published version uses is frozen with it, never overridable`,
        });
      }
    }
    if (problems.length > 0) {
      throw new AppError('VALIDATION_FAILED', `settings.overridable: ${problems.map((p) => p.param).join(', ')}`, {
        details: problems.map((p) => ({ field: 'body.settings.overridable', ...p })),
      });
    }
  }
}
