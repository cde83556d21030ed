import { FLOW_ID_PATTERN } from '@flowloom/nodes';
import { Type } from 'typebox';

const Values = Type.Record(Type.String(), Type.Unknown());
export const RunStatus = Type.Union(
  [
    Type.Literal('queued'),
    Type.Literal('running'),
    Type.Literal('paused'),
    Type.Literal('completed'),
    Type.Literal('failed'),
    Type.Literal('cancelled'),
  ],
  { description: 'queued, running, paused (waits at a breakpoint or an approval), completed, failed or cancelled' },
);
export const ErrorBody = Type.Object(
  { code: Type.String(), message: Type.String(), details: Type.Optional(Type.Array(Type.Unknown())) },
  { additionalProperties: true },
);
const Usage = Type.Object(
  { promptTokens: Type.Number(), completionTokens: Type.Number() },
  { additionalProperties: true },
);

export const RunIdParams = Type.Object({
  runId: Type.String({ pattern: '^r_[A-Za-z0-9_-]{1,64}$', description: 'Run id (r_...)' }),
});
export const FlowParams = Type.Object({ id: Type.String({ pattern: FLOW_ID_PATTERN }) });

/** Editor runs: pinned outputs by node id (published runs never take pins). */
const Pins = Type.Record(Type.String(), Type.Record(Type.String(), Type.Unknown()), {
  description:
    'Pinned outputs by node id, `{nodeId: {port: value}}`: those nodes do not execute, their `node.completed` says ' +
    '`reused: true, pinned: true` and downstream gets the pinned values. 400 naming `body.pins.<node>` (or `.<port>`) ' +
    'for a node not in the flow or an output it does not have.',
});

const Breakpoints = Type.Array(Type.String({ minLength: 1, maxLength: 128 }), {
  maxItems: 1_000,
  description: 'Node ids the run pauses before (editor runs; docs/contracts.md §9)',
});

export const RunBody = Type.Object(
  {
    inputs: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Run inputs by input node name' })),
    sessionId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    pins: Type.Optional(Pins),
    breakpoints: Type.Optional(Breakpoints),
  },
  { additionalProperties: false },
);
export const StartRunBody = Type.Object(
  {
    flowId: Type.String({ pattern: FLOW_ID_PATTERN }),
    inputs: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    sessionId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    breakpoints: Type.Optional(Breakpoints),
  },
  { additionalProperties: false },
);

export const RerunBody = Type.Object(
  {
    fromNode: Type.String({
      minLength: 1,
      maxLength: 128,
      description: 'The node to run again, with what depends on it',
    }),
    inputs: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), { description: "Run inputs; default: the earlier run's" }),
    ),
    sessionId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    pins: Type.Optional(Pins),
  },
  { additionalProperties: false },
);

export const NodeRunParams = Type.Object({
  id: Type.String({ pattern: FLOW_ID_PATTERN }),
  nodeId: Type.String({ minLength: 1, maxLength: 128, description: 'The node to run alone' }),
});
export const NodeRunBody = Type.Object(
  {
    inputs: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), { description: "The node's inputs by input port name" }),
    ),
    sessionId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);

/** `POST /api/runs/:runId/resume` (docs/contracts.md §9). */
export const ResumeBody = Type.Object(
  {
    nodeId: Type.String({ minLength: 1, maxLength: 128, description: 'The node the run waits at' }),
    action: Type.Union(
      [Type.Literal('continue'), Type.Literal('step'), Type.Literal('approve'), Type.Literal('reject')],
      { description: 'continue or step at a breakpoint; approve or reject at an approval node' },
    ),
    inputs: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), { description: "Replaces the paused node's inputs, by port" }),
    ),
    value: Type.Optional(Type.Unknown({ description: 'approve: the value the approval node passes on (the edit)' })),
  },
  { additionalProperties: false },
);

/** The answer of a run request (JSON): the run's final state, whatever it is. */
export const RunAnswer = Type.Object({
  runId: Type.String(),
  flowId: Type.String(),
  status: RunStatus,
  outputs: Values,
  error: Type.Optional(ErrorBody),
  startedAt: Type.String(),
  durationMs: Type.Number(),
  usage: Type.Optional(Usage),
  costUsd: Type.Optional(Type.Number()),
});

/** The answer of a run request with `Prefer: respond-async`: the run has started and goes on. */
export const RunAccepted = Type.Object({
  runId: Type.String(),
  status: Type.Literal('running'),
});

export const RunSummary = Type.Object({
  runId: Type.String(),
  flowId: Type.String(),
  flowVersion: Type.Union([Type.Integer(), Type.Null()]),
  status: RunStatus,
  inputs: Values,
  outputs: Type.Optional(Values),
  error: Type.Optional(ErrorBody),
  usage: Type.Optional(Usage),
  costUsd: Type.Optional(Type.Number()),
  startedAt: Type.String(),
  endedAt: Type.Optional(Type.String()),
  durationMs: Type.Optional(Type.Number()),
  sessionId: Type.Optional(Type.String()),
  parentRunId: Type.Optional(Type.String()),
  depth: Type.Integer(),
  source: Type.Optional(Type.String({ description: 'editor, api, openai, widget, experiment, test or cli' })),
  ttftMs: Type.Optional(Type.Number({ description: 'Time from the start to the first streamed text' })),
  origin: Type.Optional(
    Type.Object(
      {
        rerunOf: Type.Optional(Type.String({ description: 'The run this one reran (run from a node)' })),
        fromNode: Type.Optional(Type.String({ description: 'The node it reran from' })),
        node: Type.Optional(Type.String({ description: 'The node run alone' })),
        pinned: Type.Optional(Type.Array(Type.String(), { description: 'Nodes whose pinned outputs it used' })),
      },
      { description: 'How an editor run was asked for, when not as a plain run' },
    ),
  ),
  publishedVersion: Type.Optional(Type.Integer({ description: 'The published version that served the run (lists)' })),
  feedback: Type.Optional(Type.Object({ count: Type.Integer(), mean: Type.Number() })),
});

/** A trace event (docs/contracts.md §4). */
export const TraceEventSchema = Type.Object(
  {
    runId: Type.String(),
    seq: Type.Integer(),
    at: Type.String(),
    type: Type.String(),
    flowId: Type.String(),
    nodeId: Type.Optional(Type.String()),
    spanId: Type.Optional(Type.String()),
    parentSpanId: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    data: Type.Unknown(),
  },
  { additionalProperties: true },
);

export const FeedbackSchema = Type.Object({
  id: Type.String(),
  runId: Type.String(),
  key: Type.String(),
  score: Type.Union([Type.Number(), Type.Null()]),
  comment: Type.Optional(Type.String()),
  correction: Type.Optional(Type.Unknown()),
  nodeId: Type.Optional(Type.String()),
  source: Type.String(),
  author: Type.String({ description: '`admin` (the editor) or `key:<key id>` (a published flow’s caller)' }),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

export const RunDetailResponse = Type.Object({
  ...RunSummary.properties,
  events: Type.Array(TraceEventSchema),
  feedback: Type.Array(FeedbackSchema),
  experiment: Type.Optional(
    Type.Object(
      { experimentId: Type.String(), itemId: Type.String(), target: Type.Integer(), repetition: Type.Integer() },
      { description: 'The experiment cell this run was made for (docs/contracts.md §7)' },
    ),
  ),
});

export const RunsQuery = Type.Object(
  {
    flowId: Type.Optional(Type.String({ pattern: FLOW_ID_PATTERN })),
    status: Type.Optional(RunStatus),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    source: Type.Optional(
      Type.String({
        pattern:
          '^(production|editor|api|openai|widget|experiment|test|cli)(,(editor|api|openai|widget|experiment|test|cli))*$',
        description: 'Comma-separated sources; `production` = api,openai,widget',
      }),
    ),
    version: Type.Optional(Type.Integer({ minimum: 1, description: 'Runs served by this published version' })),
    feedback: Type.Optional(
      Type.Union(
        ['positive', 'negative', 'any', 'none'].map((f) => Type.Literal(f)),
        {
          description: 'positive (mean score above 0), negative, any or none',
        },
      ),
    ),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Text the inputs contain' })),
    before: Type.Optional(Type.String({ format: 'date-time', description: 'Runs started before (paging)' })),
  },
  { additionalProperties: false },
);
export const RunsResponse = Type.Object({ runs: Type.Array(RunSummary) });

const feedbackFields = {
  id: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9_.:-]{1,200}$',
      description: 'Your id for this feedback on this run: sending it again replaces it. Default: a new one.',
    }),
  ),
  key: Type.Optional(
    Type.String({ minLength: 1, maxLength: 100, description: 'What is rated (default "user": thumbs)' }),
  ),
  score: Type.Union([Type.Number({ minimum: -1, maximum: 1 }), Type.Null()], {
    description: '-1 (bad) to 1 (good); null withdraws the feedback of this id',
  }),
  comment: Type.Optional(Type.String({ maxLength: 5000 })),
  correction: Type.Optional(Type.Unknown({ description: 'What the answer should have been' })),
  nodeId: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'A node of the run' })),
};

export const FeedbackBody = Type.Object(
  {
    ...feedbackFields,
    source: Type.Optional(
      Type.String({ pattern: '^[a-z][a-z0-9_-]{0,31}$', description: 'Who gives it: editor, widget, api...' }),
    ),
  },
  { additionalProperties: false },
);
/** A published flow's caller's feedback: the same, but its source is `api` (default) or `widget`. */
export const CallerFeedbackBody = Type.Object(
  {
    ...feedbackFields,
    source: Type.Optional(
      Type.Union([Type.Literal('api'), Type.Literal('widget')], { description: 'api (default) or widget' }),
    ),
  },
  { additionalProperties: false },
);
export const FeedbackResponse = Type.Object({ feedback: FeedbackSchema });
