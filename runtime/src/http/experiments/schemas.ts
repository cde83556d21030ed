import { FLOW_ID_PATTERN } from '@flowloom/nodes';
import { Type } from 'typebox';
import { ITEM_ID_PATTERN, SPLIT_PATTERN } from '../../datasets/import.js';
import { ErrorBody, RunStatus } from '../runs/schemas.js';

const Status = RunStatus;
const Version = Type.Union([Type.Literal('draft'), Type.Integer({ minimum: 1 })], {
  description: '"draft" (the saved draft as it is now) or a published version',
});

export const ExperimentParams = Type.Object({
  id: Type.String({ pattern: ITEM_ID_PATTERN, description: 'Experiment id (ex_...)' }),
});

export const CreateExperimentBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    datasetId: Type.String({ pattern: ITEM_ID_PATTERN }),
    split: Type.Optional(Type.String({ pattern: SPLIT_PATTERN })),
    targets: Type.Array(
      Type.Object(
        { flowId: Type.String({ pattern: FLOW_ID_PATTERN }), version: Version },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 8 },
    ),
    evaluators: Type.Array(Type.Unknown(), {
      maxItems: 20,
      description: 'Evaluator objects (docs/contracts.md §7), checked whole before anything starts',
    }),
    concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 32, default: 4 })),
    repetitions: Type.Optional(Type.Integer({ minimum: 1, maximum: 20, default: 1 })),
  },
  { additionalProperties: false },
);
export const ExperimentAccepted = Type.Object({ experimentId: Type.String(), status: Status });

const Progress = Type.Object({ done: Type.Integer(), total: Type.Integer(), errors: Type.Integer() });
const Target = Type.Object({
  flowId: Type.String(),
  version: Type.Union([Type.Literal('draft'), Type.Integer()]),
  flowVersion: Type.Union([Type.Integer(), Type.Null()], { description: 'The saved draft version it runs' }),
});
const Summary = Type.Object({
  target: Type.Integer({ description: 'Index in targets' }),
  flowId: Type.String(),
  version: Type.Union([Type.Literal('draft'), Type.Integer()]),
  done: Type.Integer(),
  total: Type.Integer(),
  passRate: Type.Union([Type.Number(), Type.Null()]),
  scores: Type.Record(Type.String(), Type.Number(), {
    description:
      'Mean score per evaluator over the finished cells, an error counting as 0 (as the comparison counts it)',
  }),
  scored: Type.Record(Type.String(), Type.Integer(), { description: 'Finished cells each evaluator scored' }),
  latencyMs: Type.Object({
    p50: Type.Union([Type.Number(), Type.Null()]),
    p95: Type.Union([Type.Number(), Type.Null()]),
  }),
  tokens: Type.Number(),
  costUsd: Type.Number(),
  errors: Type.Integer(),
});

export const ExperimentSchema = Type.Object({
  experimentId: Type.String(),
  name: Type.Optional(Type.String()),
  status: Status,
  datasetId: Type.String(),
  split: Type.Optional(Type.String()),
  datasetRevision: Type.Integer(),
  targets: Type.Array(Target),
  evaluators: Type.Array(Type.Unknown()),
  concurrency: Type.Integer(),
  repetitions: Type.Integer(),
  progress: Progress,
  summary: Type.Optional(Type.Array(Summary)),
  error: Type.Optional(ErrorBody),
  createdAt: Type.String(),
  startedAt: Type.Optional(Type.String()),
  endedAt: Type.Optional(Type.String()),
});
export const ExperimentsResponse = Type.Object({ experiments: Type.Array(ExperimentSchema) });

const Verdict = Type.Object(
  {
    score: Type.Union([Type.Number(), Type.Null()]),
    pass: Type.Boolean(),
    reason: Type.Optional(Type.String()),
    error: Type.Optional(ErrorBody),
    runId: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);
const Cell = Type.Object({
  target: Type.Integer(),
  repetition: Type.Integer(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('running'), Type.Literal('done'), Type.Literal('error')], {
    description: '`running`: its run (`runId`) has started',
  }),
  runId: Type.Optional(Type.String()),
  output: Type.Optional(Type.Unknown()),
  scores: Type.Optional(Type.Record(Type.String(), Verdict)),
  isPassed: Type.Optional(Type.Boolean()),
  error: Type.Optional(ErrorBody),
  durationMs: Type.Optional(Type.Number()),
  tokens: Type.Optional(Type.Number()),
  costUsd: Type.Optional(Type.Number()),
});
export const ResultsQuery = Type.Object(
  {
    cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  },
  { additionalProperties: false },
);
export const ResultsResponse = Type.Object({
  rows: Type.Array(
    Type.Object({
      itemId: Type.String(),
      input: Type.Record(Type.String(), Type.Unknown()),
      expected: Type.Optional(Type.Unknown()),
      cells: Type.Array(Cell),
    }),
  ),
  cursor: Type.Optional(Type.String()),
});

export const CompareQuery = Type.Object(
  {
    baseline: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
    candidate: Type.Optional(Type.Integer({ minimum: 0, default: 1 })),
    evaluator: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, description: 'Default: every evaluator’s mean' }),
    ),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 4294967295, default: 1 })),
    resamples: Type.Optional(
      Type.Integer({
        minimum: 100,
        maximum: 100_000,
        default: 2000,
        description: 'Bootstrap resamples; fewer when resamples × pairs would pass 2,000,000',
      }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'Deltas per page' })),
    cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$', description: 'From the previous page' })),
  },
  { additionalProperties: false },
);
const Number_ = Type.Union([Type.Number(), Type.Null()]);
export const CompareResponse = Type.Object({
  experimentId: Type.String(),
  baseline: Type.Integer(),
  candidate: Type.Integer(),
  evaluator: Type.Union([Type.String(), Type.Null()]),
  paired: Type.Integer(),
  unpaired: Type.Integer(),
  baselineMean: Number_,
  candidateMean: Number_,
  meanDelta: Number_,
  ci95: Type.Union([Type.Tuple([Type.Number(), Type.Number()]), Type.Null()]),
  isSignificant: Type.Boolean({ description: 'At least minPairs pairs and a 95 % interval that leaves 0 out' }),
  minPairs: Type.Integer({ description: 'The fewest paired items that can be significant' }),
  note: Type.String({ description: 'Why the difference is significant or not' }),
  wins: Type.Integer(),
  losses: Type.Integer(),
  ties: Type.Integer(),
  method: Type.Union([Type.Literal('bootstrap'), Type.Literal('normal')], {
    description: 'The interval: a paired bootstrap, or the normal approximation for very many pairs',
  }),
  resamples: Type.Integer(),
  seed: Type.Integer(),
  deltas: Type.Array(
    Type.Object({ itemId: Type.String(), baseline: Type.Number(), candidate: Type.Number(), delta: Type.Number() }),
    { description: 'A page of the items, the largest regression first' },
  ),
  cursor: Type.Optional(Type.String({ description: 'The next page of deltas' })),
});
