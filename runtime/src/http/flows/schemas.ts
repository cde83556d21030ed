import { FLOW_ID_PATTERN, FLOW_SCHEMA, type FlowFile } from '@flowloom/nodes';
import { Type } from 'typebox';

const { $id: _id, ...flowSchema } = FLOW_SCHEMA;

/** A flow file as a request body: validated against the flow JSON Schema (every problem reported). */
export const FlowBody = Type.Unsafe<FlowFile>(flowSchema);

/** A flow file in an answer (served as stored; see `GET /api/schema/flow.json` for its schema). */
export const FlowResponse = Type.Unsafe<FlowFile>({
  type: 'object',
  additionalProperties: true,
  description: 'A flow file (docs/contracts.md §1); its JSON Schema is served at GET /api/schema/flow.json',
});

export const FlowId = Type.String({ pattern: FLOW_ID_PATTERN, description: 'Flow id: lowercase slug' });
export const FlowParams = Type.Object({ id: FlowId });
export const FlowVersionParams = Type.Object({ id: FlowId, version: Type.Integer({ minimum: 1 }) });

export const FlowSummary = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.Optional(Type.String()),
  tags: Type.Optional(Type.Array(Type.String())),
  version: Type.Integer(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
export const FlowsResponse = Type.Object({ flows: Type.Array(FlowSummary) });

export const PutHeaders = Type.Object({
  'if-match': Type.Optional(
    Type.String({ description: 'The version being replaced ("3" or 3); a mismatch answers 409' }),
  ),
});

export const Problem = Type.Object(
  {
    nodeId: Type.Union([Type.String(), Type.Null()]),
    port: Type.Optional(Type.String()),
    edgeId: Type.Optional(Type.String()),
    path: Type.Optional(Type.String()),
    code: Type.String(),
    message: Type.String(),
  },
  { additionalProperties: true },
);
export const ValidateResponse = Type.Object({ ok: Type.Boolean(), problems: Type.Array(Problem) });
/** `POST /api/validate` and `POST /api/flows/:id/validate` take any JSON: shape problems are part of the answer. */
export const AnyBody = Type.Unknown({ description: 'A flow file, possibly invalid' });

export const VersionsResponse = Type.Object({
  versions: Type.Array(Type.Object({ version: Type.Integer(), savedAt: Type.String() })),
});

export const FlowInput = Type.Object(
  {
    nodeId: Type.String(),
    name: Type.String(),
    dataType: Type.String(),
    required: Type.Boolean(),
    default: Type.Optional(Type.Unknown()),
    description: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);
export const ChatShapeSchema = Type.Object(
  {
    input: Type.String({ description: 'The text input that takes the question' }),
    output: Type.String(),
    answerNodeId: Type.String({ description: 'The node whose streamed text is the answer' }),
    historyInput: Type.Optional(Type.String({ description: 'The messages input that takes the earlier conversation' })),
  },
  { additionalProperties: true },
);
export const InputsResponse = Type.Object({
  inputs: Type.Array(FlowInput),
  outputs: Type.Array(Type.Object({ nodeId: Type.String(), name: Type.String() })),
  chat: Type.Union([ChatShapeSchema, Type.Null()], {
    description: 'How the chat playground and the OpenAI-compatible face call it; null when it is not a chat flow',
  }),
});

export const TemplateSummary = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.Optional(Type.String()),
  tags: Type.Optional(Type.Array(Type.String())),
});
export const TemplatesResponse = Type.Object({ templates: Type.Array(TemplateSummary) });
