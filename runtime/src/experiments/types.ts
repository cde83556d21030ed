import type { ExperimentTarget } from '@flowloom/nodes';

/** The API's experiment shapes live in `@flowloom/nodes/spec` (llmops-api.ts); these are the names the runtime uses. */
export type {
  ExperimentComparison as Comparison,
  ExperimentProgress as Progress,
  ExperimentRequest,
  ExperimentResultCell as ResultCell,
  ExperimentResultRow as ResultRow,
  ExperimentTarget as Target,
  ExperimentTargetRequest as TargetRequest,
  ExperimentView,
  ItemDelta,
  TargetSummary,
} from '@flowloom/nodes';

/** The `spec` column: what an experiment needs to run again after a restart. */
export interface ExperimentSpec {
  targets: ExperimentTarget[];
  evaluators: unknown[];
  concurrency: number;
  repetitions: number;
}
