import type { EmbeddingService, ErrorBody, FlowFile, RunStatus, SpecLookup, Values } from '@flowloom/nodes';
import type { ValidateFunction } from 'ajv';

/** Every evaluator type (docs/contracts.md §7). */
export const EVALUATOR_TYPES = [
  'exact',
  'contains',
  'regex',
  'json_schema',
  'bleu',
  'rouge',
  'similarity',
  'llm_judge',
  'latency',
  'cost',
  'flow',
] as const;

export type EvaluatorType = (typeof EVALUATOR_TYPES)[number];

/**
 * The score from which an evaluator passes when it sets no `threshold` (a score passes when it is at least the
 * threshold). The checks that are true or false (and the limits, which score 1 within them) need 1; BLEU and ROUGE
 * need half the overlap; similarity needs a close cosine; a judge or a flow needs its own middle of the scale.
 */
export const DEFAULT_THRESHOLDS: Readonly<Record<EvaluatorType, number>> = {
  exact: 1,
  contains: 1,
  regex: 1,
  json_schema: 1,
  bleu: 0.5,
  rouge: 0.5,
  similarity: 0.8,
  llm_judge: 0.5,
  latency: 1,
  cost: 1,
  flow: 0.5,
};

/** What every evaluator object may say (docs/contracts.md §7). */
export interface EvaluatorCommon {
  /** The key of its score; default the type (`contains`, then `contains-2`... for repeats). */
  name?: string;
  /** 0..1; default `DEFAULT_THRESHOLDS[type]`. */
  threshold?: number;
  /** The flow output evaluated; default the only one, or all outputs as an object when the flow has several. */
  output?: string;
  /** What to compare with instead of the case's or the dataset item's `expected`. */
  expected?: unknown;
}

export type BleuSmoothingName = 'exp' | 'floor' | 'add-k';
export type RougeVariantName = 'rouge1' | 'rouge2' | 'rougeL' | 'rougeLsum';
export type RougeMeasure = 'f' | 'p' | 'r';

/** An evaluator object as written in a test file or an experiment request. */
export type EvaluatorSpec = EvaluatorCommon &
  (
    | { type: 'exact' }
    | { type: 'contains' }
    | { type: 'regex'; pattern: string; flags?: string }
    | { type: 'json_schema'; schema: Record<string, unknown> }
    | { type: 'bleu'; smoothing?: BleuSmoothingName }
    | { type: 'rouge'; variant: RougeVariantName; measure?: RougeMeasure }
    | { type: 'similarity'; embedder?: string }
    | { type: 'llm_judge'; rubric: string; model?: string }
    | { type: 'latency'; maxMs: number }
    | { type: 'cost'; maxUsd: number }
    | { type: 'flow'; flowId: string }
  );

/** What `parseEvaluators` adds: a settled name and threshold, and the compiled regex or schema. */
interface Settled {
  name: string;
  threshold: number;
}

/** An evaluator checked by `parseEvaluators`, ready for `evaluate`. */
export type Evaluator = {
  [T in EvaluatorType]: Extract<EvaluatorSpec, { type: T }> &
    Settled &
    (T extends 'regex' ? { regex: RegExp } : T extends 'json_schema' ? { validate: ValidateFunction } : unknown);
}[EvaluatorType];

/** The evaluator of one type. */
export type EvaluatorOf<T extends EvaluatorType> = Extract<Evaluator, { type: T }>;

/** A run as evaluators see it: `runFlow`'s answer, and what `latency`, `cost` and linked runs read. */
export interface EvalRun {
  runId: string;
  status: RunStatus;
  outputs?: Values;
  error?: ErrorBody;
  durationMs?: number;
  costUsd?: number;
}

/** One thing to score: a case's or a dataset item's input and expected value, and what a run of the flow gave. */
export interface EvalSample {
  /** The flow inputs. */
  input: Values;
  /** The run's outputs by name. */
  outputs: Values;
  /** The case's or item's expected value (an evaluator's own `expected` wins). */
  expected?: unknown;
  /** The evaluated run: `latency` and `cost` read it, and the runs of judges and evaluator flows point back to it. */
  run?: Pick<EvalRun, 'runId' | 'durationMs' | 'costUsd'>;
}

/** One evaluator's verdict (docs/contracts.md §7); the shape is the API's, in `@flowloom/nodes/spec`. */
export type { EvalScore } from '@flowloom/nodes';

/** What the evaluators that run things need; build it from a run service with `evalServices`. */
export interface EvalServices {
  /** A flow by id (the saved draft, or a flow of a test's bundle). Throws FLOW_NOT_FOUND. */
  resolveFlow(flowId: string): Promise<{ flow: FlowFile; version: number | null }>;
  /** Runs a flow as a run of its own, an ordinary run in the history, and resolves with its final state. */
  runFlow(
    flow: FlowFile,
    inputs: Values,
    options: { signal: AbortSignal; parentRunId?: string; version?: number | null },
  ): Promise<EvalRun>;
  /** The node kinds' specs, to read a flow's inputs. */
  lookup: SpecLookup;
  /** Embeddings for `similarity` (the kernel's service, so recorded calls replay here too). */
  embeddings?: EmbeddingService;
}

/** What one scorer answers: a score with its reason, or an error (each may name the run that produced it). */
export type Scored = { score: number; reason?: string; runId?: string } | { error: ErrorBody; runId?: string };

/** Scores one sample with one evaluator of type T. Throws or answers `{error}` when it cannot score. */
export type Scorer<T extends EvaluatorType> = (
  evaluator: EvaluatorOf<T>,
  sample: EvalSample,
  context: { services: EvalServices; signal: AbortSignal },
) => Scored | Promise<Scored>;
