/**
 * The data the HTTP API answers and the editor reads (docs/contracts.md §3): one TypeScript type per answer, shared by both
 * sides so they cannot drift. The runtime's route schemas (TypeBox) describe the same shapes for validation and the
 * OpenAPI document.
 */
import type { FlowFile } from './flow.js';
import type { ChatShape, FlowInputSpec, FlowOutputSpec } from './flow-io.js';
import type { BundledFlow, PublishedSummary } from './publishing.js';

/** One static problem of a flow, tied to the node (and port or edge) it concerns; `nodeId` is null for flow-level ones. */
export interface Problem {
  nodeId: string | null;
  port?: string;
  edgeId?: string;
  /** JSON pointer into the flow file for schema problems, `params.<name>` for param problems. */
  path?: string;
  /** Publishing: the flow the node belongs to, when it is a flow the published one calls rather than itself. */
  flowId?: string;
  /** Publishing: the flow the node calls, which is missing or has problems (`FLOW_CALL_NOT_FOUND`, `FLOW_CALL_INVALID`). */
  calledFlowId?: string;
  code: string;
  message: string;
}

/** `POST /api/validate` and `POST /api/flows/:id/validate`. */
export interface ValidateAnswer {
  ok: boolean;
  problems: Problem[];
}

/** `GET /api/flows/:id/inputs`: the run inputs and outputs of the saved draft, and its chat face if it is a chat flow. */
export interface FlowInputsAnswer {
  inputs: FlowInputSpec[];
  outputs: FlowOutputSpec[];
  chat: ChatShape | null;
}

/** One param (or setting, or top-level field) that differs between two versions. */
export interface ValueChange {
  name: string;
  change: 'added' | 'removed' | 'changed';
  from?: unknown;
  to?: unknown;
}

/** A node present in both versions whose user choices differ. */
export interface NodeChange {
  nodeId: string;
  /** Set when the node's kind changed (same id, another type). */
  type?: { from: string; to: string };
  label?: { from?: string; to?: string };
  params: ValueChange[];
  settings: ValueChange[];
  /** Only the position changed (or also it): layout, no effect on runs. */
  isMoved: boolean;
}

/** A node added or removed between two versions. */
export interface NodeRef {
  nodeId: string;
  type: string;
}

/** An edge, named by what it connects (ids of edges are not stable across edits). */
export interface EdgeRef {
  id: string;
  source: string;
  sourcePort: string;
  target: string;
  targetPort: string;
}

/** What changed from one flow version to another. Pure data: the editor renders it as is. */
export interface FlowDiff {
  nodes: { added: NodeRef[]; removed: NodeRef[]; changed: NodeChange[] };
  edges: { added: EdgeRef[]; removed: EdgeRef[] };
  /** Top-level fields that differ (name, description, tags, meta, notes, groups; `settings.<name>` between versions). */
  fields: ValueChange[];
  /** True when the two versions behave the same (only layout, notes or descriptive fields differ, or nothing). */
  isSameBehaviour: boolean;
  /** True when nothing at all differs (positions included). */
  isEmpty: boolean;
}

/** `GET /api/flows/:id/diff`: the diff and the two sides it compares (`draft`, `draft:N` or a published `N`). */
export interface FlowDiffAnswer extends FlowDiff {
  flowId: string;
  from: string;
  to: string;
}

/** A published version with its frozen flow (`GET /api/flows/:id/published/:version`). */
export interface PublishedVersion extends PublishedSummary {
  flow: FlowFile;
  /** The flows it calls, frozen with it, sorted by id (empty when it calls none). */
  bundle: BundledFlow[];
}

/**
 * `POST /api/flows/:id/publish` and rollback: the new version, the flows it froze with it, its run endpoint and its
 * chat face if it has one.
 */
export interface PublishAnswer extends PublishedSummary {
  /** The flows it calls, frozen with it, sorted by id (empty when it calls none). */
  bundle: BundledFlow[];
  endpoint: string;
  chat: { model: string; input: string; output: string; endpoint: string } | null;
}

/** `GET /api/flows/:id/published`: every published version, newest first. */
export interface PublishedVersionsAnswer {
  flowId: string;
  latest: number | null;
  endpoint: string;
  versions: PublishedSummary[];
  /**
   * The most `settings.timeoutMs` may be: the server's `FLOWLOOM_RUN_TIMEOUT_MS`, the limit of every published run
   * and of a version that sets none.
   */
  runTimeoutCeilingMs: number;
}

/** Monitoring figures of one time bucket, or of a whole range (`GET /api/metrics`, docs/contracts.md §7). */
export interface MetricsFigures {
  runs: number;
  failed: number;
  /** Nearest-rank percentiles of the runs that ended; null where none did. */
  latencyMs: { p50: number | null; p95: number | null; p99: number | null };
  ttftMs: { p50: number | null; p95: number | null };
  tokens: number;
  costUsd: number;
  feedback: { count: number; mean: number | null };
  /** Mean evaluation scores by evaluator name (of experiment runs: the scores their evaluators gave). */
  evals: Record<string, number>;
  /** How many scores each mean of `evals` is of. */
  evalCounts: Record<string, number>;
}

/** `GET /api/metrics`: every bucket of the range (empty ones too) and the range's totals. */
export interface MetricsAnswer {
  from: string;
  to: string;
  bucket: string;
  buckets: (MetricsFigures & { at: string })[];
  totals: MetricsFigures;
}
