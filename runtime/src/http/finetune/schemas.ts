import { FLOW_ID_PATTERN } from '@flowloom/nodes';
import { Type } from 'typebox';

const Filters = {
  flowId: Type.Optional(Type.String({ pattern: FLOW_ID_PATTERN })),
  nodeId: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Only this llm/function-call node' })),
  minScore: Type.Optional(
    Type.Number({ minimum: -1, maximum: 1, description: 'Only runs whose mean feedback score is at least this' }),
  ),
  since: Type.Optional(Type.String({ format: 'date-time', description: 'Runs started at or after' })),
  until: Type.Optional(Type.String({ format: 'date-time', description: 'Runs started before' })),
  experimentId: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 200,
      description:
        "openai-dpo: pairs from this experiment's cells (per item and repetition, the best-scoring target's model " +
        "call preferred to the worst's, on the winner's input) instead of feedback; not with flowId, minScore, since, until",
    }),
  ),
  evaluator: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 200,
      description: "With experimentId: score cells by this evaluator (default: the mean of a cell's scores)",
    }),
  ),
};

const Format = Type.Union([Type.Literal('openai-sft'), Type.Literal('openai-dpo')], {
  description:
    'openai-sft: supervised examples; openai-dpo: preference pairs (thumbs up vs down on the same input, a correction ' +
    "vs the answer it corrects, or an experiment's better target vs its worse)",
});

export const ExportQuerySchema = Type.Object({ format: Format, ...Filters }, { additionalProperties: false });

export const StartFineTuneBody = Type.Object(
  {
    format: Type.Optional(Format),
    ...Filters,
    model: Type.String({ minLength: 1, maxLength: 200, description: 'The base model to fine-tune' }),
    suffix: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9_-]+$' })),
  },
  { additionalProperties: false },
);

export const FineTuneJobSchema = Type.Object({
  id: Type.String(),
  fileId: Type.String(),
  baseModel: Type.String(),
  status: Type.String({ description: 'validating_files, queued, running, succeeded, failed or cancelled' }),
  fineTunedModel: Type.Union([Type.String(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  method: Type.String(),
  examples: Type.Integer(),
  tokens: Type.Integer(),
  suffix: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

export const JobParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });
export const JobsResponse = Type.Object({ jobs: Type.Array(FineTuneJobSchema) });
export const ModelsResponse = Type.Object({
  models: Type.Array(Type.Object({ id: Type.String(), baseModel: Type.String(), jobId: Type.String() })),
});
