import { FLOW_ID_PATTERN } from '@flowloom/nodes';
import { Type } from 'typebox';

export const MetricsQuerySchema = Type.Object(
  {
    flowId: Type.Optional(Type.String({ pattern: FLOW_ID_PATTERN })),
    version: Type.Optional(Type.Integer({ minimum: 1, description: 'A published version: the runs it served' })),
    nodeId: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: "The node's executions instead" })),
    source: Type.Optional(
      Type.String({
        pattern:
          '^(production|editor|api|openai|widget|experiment|test|cli)(,(editor|api|openai|widget|experiment|test|cli))*$',
        description:
          'Comma-separated run sources (editor, api, openai, widget, experiment, test, cli); `production` = api,openai,widget',
      }),
    ),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'Default: 24 hours before `to`' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'Default: now' })),
    bucket: Type.Optional(
      Type.Union(
        ['1m', '5m', '15m', '1h', '6h', '1d'].map((b) => Type.Literal(b)),
        { default: '1h' },
      ),
    ),
  },
  { additionalProperties: false },
);

const Percentile = Type.Union([Type.Number(), Type.Null()]);
const Figures = {
  runs: Type.Integer(),
  failed: Type.Integer(),
  latencyMs: Type.Object({ p50: Percentile, p95: Percentile, p99: Percentile }),
  ttftMs: Type.Object({ p50: Percentile, p95: Percentile }),
  tokens: Type.Number(),
  costUsd: Type.Number(),
  feedback: Type.Object({ count: Type.Integer(), mean: Percentile }),
  evals: Type.Record(Type.String(), Type.Number(), {
    description: "Each evaluator's mean score over the scores it gave the experiment runs counted",
  }),
  evalCounts: Type.Record(Type.String(), Type.Integer(), { description: 'How many scores each mean is of' }),
};

export const MetricsResponse = Type.Object({
  from: Type.String(),
  to: Type.String(),
  bucket: Type.String(),
  buckets: Type.Array(Type.Object({ at: Type.String(), ...Figures })),
  totals: Type.Object(Figures),
});
