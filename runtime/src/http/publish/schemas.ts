import { FLOW_ID_PATTERN } from '@flowloom/nodes';
import { Type } from 'typebox';

export const FlowParams = Type.Object({ id: Type.String({ pattern: FLOW_ID_PATTERN }) });
export const VersionParams = Type.Object({
  id: Type.String({ pattern: FLOW_ID_PATTERN }),
  version: Type.Integer({ minimum: 1, description: 'Published version number' }),
});

const Origin = Type.String({
  pattern: '^(\\*|https?://[^/\\s]+)$',
  description: 'A browser origin (scheme://host[:port]) or * for any',
});

export const PublishSettingsSchema = Type.Object({
  allowedOrigins: Type.Array(Origin, { maxItems: 100 }),
  timeoutMs: Type.Integer({ minimum: 100, maximum: 3_600_000 }),
  overridable: Type.Array(Type.String({ pattern: '^[^.]+\\.[^.]+$' }), {
    maxItems: 200,
    description: 'Extra overridable params as nodeId.param (catalog params marked overridable always are)',
  }),
});

export const PublishBody = Type.Object(
  {
    note: Type.Optional(Type.String({ maxLength: 2000 })),
    fromVersion: Type.Optional(
      Type.Integer({ minimum: 1, description: 'Republish this published version as the newest (rollback)' }),
    ),
    settings: Type.Optional(Type.Partial(PublishSettingsSchema, { additionalProperties: false })),
  },
  { additionalProperties: false },
);
export const RollbackBody = Type.Object(
  { note: Type.Optional(Type.String({ maxLength: 2000 })) },
  { additionalProperties: false },
);

const Summary = {
  flowId: Type.String(),
  version: Type.Integer(),
  flowVersion: Type.Union([Type.Integer(), Type.Null()], { description: 'The draft version it froze' }),
  rollbackOf: Type.Union([Type.Integer(), Type.Null()], { description: 'The published version it republished' }),
  note: Type.Union([Type.String(), Type.Null()]),
  settings: PublishSettingsSchema,
  publishedAt: Type.String(),
};
export const PublishedSummarySchema = Type.Object(Summary);

const Bundle = Type.Array(
  Type.Object({
    flowId: Type.String(),
    flowVersion: Type.Integer({ description: 'The draft version of the called flow that was frozen' }),
  }),
  {
    description:
      'The flows this version calls (subflow, map, tool-flow; directly or not), frozen with it, sorted by id: its runs use these, never the drafts',
  },
);

export const PublishResponse = Type.Object({
  ...Summary,
  bundle: Bundle,
  endpoint: Type.String({ description: 'Path of the published run endpoint' }),
  chat: Type.Union([
    Type.Object({ model: Type.String(), input: Type.String(), output: Type.String(), endpoint: Type.String() }),
    Type.Null(),
  ]),
});

export const VersionsResponse = Type.Object({
  flowId: Type.String(),
  latest: Type.Union([Type.Integer(), Type.Null()]),
  endpoint: Type.String(),
  versions: Type.Array(PublishedSummarySchema),
  runTimeoutCeilingMs: Type.Integer({
    description:
      'The most settings.timeoutMs may be (FLOWLOOM_RUN_TIMEOUT_MS): the limit of every published run, and of a version that sets none',
  }),
});

export const VersionResponse = Type.Object({
  ...Summary,
  bundle: Bundle,
  flow: Type.Unsafe<Record<string, unknown>>({ type: 'object', additionalProperties: true }),
});

export const DiffQuery = Type.Object(
  {
    from: Type.Optional(
      Type.String({
        pattern: '^(draft|\\d+|draft:\\d+)$',
        description: 'A published version (3), the current draft (draft) or a saved draft version (draft:7)',
      }),
    ),
    to: Type.Optional(Type.String({ pattern: '^(draft|\\d+|draft:\\d+)$' })),
  },
  { additionalProperties: false },
);

const ValueChange = Type.Object({
  name: Type.String(),
  change: Type.Union([Type.Literal('added'), Type.Literal('removed'), Type.Literal('changed')]),
  from: Type.Optional(Type.Unknown()),
  to: Type.Optional(Type.Unknown()),
});
const NodeRef = Type.Object({ nodeId: Type.String(), type: Type.String() });
const EdgeRef = Type.Object({
  id: Type.String(),
  source: Type.String(),
  sourcePort: Type.String(),
  target: Type.String(),
  targetPort: Type.String(),
});
export const DiffResponse = Type.Object({
  flowId: Type.String(),
  from: Type.String(),
  to: Type.String(),
  nodes: Type.Object({
    added: Type.Array(NodeRef),
    removed: Type.Array(NodeRef),
    changed: Type.Array(
      Type.Object({
        nodeId: Type.String(),
        type: Type.Optional(Type.Object({ from: Type.String(), to: Type.String() })),
        label: Type.Optional(Type.Object({ from: Type.Optional(Type.String()), to: Type.Optional(Type.String()) })),
        params: Type.Array(ValueChange),
        settings: Type.Array(ValueChange),
        isMoved: Type.Boolean(),
      }),
    ),
  }),
  edges: Type.Object({ added: Type.Array(EdgeRef), removed: Type.Array(EdgeRef) }),
  fields: Type.Array(ValueChange),
  isSameBehaviour: Type.Boolean(),
  isEmpty: Type.Boolean(),
});
