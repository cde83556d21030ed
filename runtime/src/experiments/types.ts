import type { ErrorBody, Values } from '@flowloom/nodes';
import type { EvalScore } from '../evals/index.js';
import type { ExperimentStatus } from '../store/types.js';

/** A flow an experiment runs: its draft (frozen at the version it had when the experiment was made) or a version. */
export interface TargetRequest {
  flowId: string;
  version: 'draft' | number;
}

/** A target as the experiment keeps it: a draft names the saved draft version it runs. */
export interface Target extends TargetRequest {
  /** The draft version (draft targets), or the draft version a published one froze. */
  flowVersion: number | null;
}

/** What `POST /api/experiments` takes (docs/contracts.md §7). */
export interface ExperimentRequest {
  name?: string;
  datasetId: string;
  split?: string;
  targets: TargetRequest[];
  /** Evaluator objects, checked by `parseEvaluators`. */
  evaluators: unknown[];
  /** Cells run at once, 1 to 32 (default 4). */
  concurrency?: number;
  /** Runs per item and target (default 1). */
  repetitions?: number;
}

/** The `spec` column: what an experiment needs to run again after a restart. */
export interface ExperimentSpec {
  targets: Target[];
  evaluators: unknown[];
  concurrency: number;
  repetitions: number;
}

/** Finished cells of all, and how many of them are errors. */
export interface Progress {
  done: number;
  total: number;
  errors: number;
}

/** One target's results (docs/contracts.md §7). */
export interface TargetSummary {
  target: number;
  flowId: string;
  version: 'draft' | number;
  /** Finished cells and cells in all, of this target. */
  done: number;
  total: number;
  /** Finished cells whose run completed and whose every evaluator passed, of the finished ones (null: none yet). */
  passRate: number | null;
  /**
   * The mean score of each evaluator over the finished cells, a cell it could not score (an error) counting as 0, as
   * the comparison counts it.
   */
  scores: Record<string, number>;
  /** How many finished cells each evaluator scored. */
  scored: Record<string, number>;
  latencyMs: { p50: number | null; p95: number | null };
  tokens: number;
  costUsd: number;
  errors: number;
}

/** An experiment as the API answers it. */
export interface ExperimentView {
  experimentId: string;
  name?: string;
  status: ExperimentStatus;
  datasetId: string;
  split?: string;
  datasetRevision: number;
  targets: Target[];
  evaluators: unknown[];
  concurrency: number;
  repetitions: number;
  progress: Progress;
  summary?: TargetSummary[];
  error?: ErrorBody;
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
}

/** One cell of a results row. */
export interface ResultCell {
  target: number;
  repetition: number;
  /** `running`: its run (`runId`) has started. */
  status: 'pending' | 'running' | 'done' | 'error';
  runId?: string;
  output?: unknown;
  scores?: Record<string, EvalScore>;
  isPassed?: boolean;
  error?: ErrorBody;
  durationMs?: number;
  tokens?: number;
  costUsd?: number;
}

/** A dataset item with the cells of every target and repetition, keyed by the item's id. */
export interface ResultRow {
  itemId: string;
  input: Values;
  expected?: unknown;
  cells: ResultCell[];
}

/** One item's score on two targets (the mean over its repetitions) and the difference. */
export interface ItemDelta {
  itemId: string;
  baseline: number;
  candidate: number;
  delta: number;
}

/** `GET /api/experiments/:id/compare`. */
export interface Comparison {
  experimentId: string;
  baseline: number;
  candidate: number;
  /** The evaluator compared, or null for the mean of every evaluator's score. */
  evaluator: string | null;
  /** Items with finished cells on both targets. */
  paired: number;
  /** Items left out: a target has no finished cell for them yet. */
  unpaired: number;
  baselineMean: number | null;
  candidateMean: number | null;
  meanDelta: number | null;
  /** 95 % paired bootstrap interval of the mean difference (null: no pairs). */
  ci95: [number, number] | null;
  /** At least `minPairs` pairs and an interval that leaves 0 out: the difference is unlikely to be chance. */
  isSignificant: boolean;
  /** The fewest pairs that can be significant. */
  minPairs: number;
  /** Why the difference is significant or not, in one sentence. */
  note: string;
  wins: number;
  losses: number;
  ties: number;
  /** How the interval was made: a paired bootstrap, or the normal approximation when there are very many pairs. */
  method: 'bootstrap' | 'normal';
  /** The bootstrap's resamples (fewer than asked when resamples × pairs would pass 2,000,000; 0 for `normal`). */
  resamples: number;
  seed: number;
  /** A page of the items, the largest regression (most negative delta) first; `cursor` asks for the next. */
  deltas: ItemDelta[];
  cursor?: string;
}
