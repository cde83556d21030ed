import { FLOW_ID_PATTERN } from '@flowloom/nodes';
import { Type } from 'typebox';

/**
 * Errors of the published API: the shape of docs/contracts.md §3, `{error: {code, message, details?}}`, plus OpenAI's `type` and
 * `param`, so OpenAI clients read them as their own.
 */
export const V1ErrorResponse = Type.Object({
  error: Type.Object(
    {
      code: Type.String(),
      message: Type.String(),
      details: Type.Optional(Type.Array(Type.Unknown())),
      type: Type.String(),
      param: Type.Union([Type.String(), Type.Null()]),
    },
    { additionalProperties: true },
  ),
});
export const v1ErrorResponses = { '4xx': V1ErrorResponse, '5xx': V1ErrorResponse } as const;

export const FlowParams = Type.Object({ id: Type.String({ pattern: FLOW_ID_PATTERN }) });

export const PublishedRunBody = Type.Object(
  {
    inputs: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Run inputs by input name' })),
    sessionId: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Chat memory session' })),
    overrides: Type.Optional(
      Type.Record(Type.String(), Type.Record(Type.String(), Type.Unknown()), {
        description: 'nodeId → param → value, only for params the author made overridable',
      }),
    ),
  },
  { additionalProperties: false },
);

const ContentPart = Type.Object(
  { type: Type.String(), text: Type.Optional(Type.String()) },
  { additionalProperties: true },
);
const ChatMessageSchema = Type.Object(
  {
    // OpenAI's roles; `developer` and `function` reach the flow's history as `system` and `user`.
    role: Type.Union(
      ['system', 'developer', 'user', 'assistant', 'tool', 'function'].map((role) => Type.Literal(role)),
    ),
    content: Type.Optional(Type.Union([Type.String(), Type.Array(ContentPart), Type.Null()])),
  },
  { additionalProperties: true },
);

/** OpenAI's chat completion request; fields the runtime does not use are accepted and ignored. */
export const ChatCompletionBody = Type.Object(
  {
    model: Type.String({ pattern: FLOW_ID_PATTERN, description: 'The published chat flow id' }),
    messages: Type.Array(ChatMessageSchema, { minItems: 1, maxItems: 1000 }),
    stream: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    stream_options: Type.Optional(
      Type.Union([
        Type.Object({ include_usage: Type.Optional(Type.Boolean()) }, { additionalProperties: true }),
        Type.Null(),
      ]),
    ),
    user: Type.Optional(Type.String({ maxLength: 200 })),
    session_id: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'Flowloom: chat memory session' }),
    ),
  },
  { additionalProperties: true },
);

export const ChatCompletionResponse = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('chat.completion'),
    created: Type.Integer(),
    model: Type.String(),
    choices: Type.Array(
      Type.Object({
        index: Type.Integer(),
        message: Type.Object({ role: Type.Literal('assistant'), content: Type.String(), refusal: Type.Null() }),
        finish_reason: Type.String(),
        logprobs: Type.Null(),
      }),
    ),
    usage: Type.Object({
      prompt_tokens: Type.Integer(),
      completion_tokens: Type.Integer(),
      total_tokens: Type.Integer(),
    }),
    flowloom: Type.Optional(
      Type.Object(
        { tools: Type.Array(Type.String(), { description: 'The tools the flow called, once each, first call first' }) },
        { description: 'Flowloom’s addition (OpenAI clients ignore it): set when the flow called tools' },
      ),
    ),
  },
  { additionalProperties: true },
);

const Model = Type.Object({
  id: Type.String(),
  object: Type.Literal('model'),
  created: Type.Integer(),
  owned_by: Type.String(),
});
export const ModelsResponse = Type.Object({ object: Type.Literal('list'), data: Type.Array(Model) });
export const ModelResponse = Model;
export const ModelParams = Type.Object({ model: Type.String({ minLength: 1, maxLength: 100 }) });
export const ResponseParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 200, description: 'The response id: resp_<runId>' }),
});

/** The header naming the run on every published answer (docs/contracts.md §7). */
export const RUN_ID_HEADER = 'x-flowloom-run-id';

/** A run of a published flow: its id, or the OpenAI face's answer id (`chatcmpl-<runId>`). */
export const PublishedRunParams = Type.Object({
  runId: Type.String({
    pattern: '^(chatcmpl-)?r_[A-Za-z0-9_-]{1,64}$',
    description: 'The run id (r_...), or the id of an OpenAI-compatible answer (chatcmpl-r_...)',
  }),
});

const ResponsesContentPart = Type.Object(
  { type: Type.String(), text: Type.Optional(Type.String()) },
  { additionalProperties: true },
);
const ResponsesInputItem = Type.Object(
  {
    type: Type.Optional(Type.String()),
    role: Type.Optional(Type.String()),
    content: Type.Optional(Type.Union([Type.String(), Type.Array(ResponsesContentPart), Type.Null()])),
    id: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

/** OpenAI's Responses request (`responses.create`); fields the runtime does not use are accepted and ignored. */
export const ResponsesBody = Type.Object(
  {
    model: Type.String({ pattern: FLOW_ID_PATTERN, description: 'The published chat flow id' }),
    input: Type.Union([Type.String(), Type.Array(ResponsesInputItem, { minItems: 1, maxItems: 1000 })], {
      description: 'Text (one user message) or a list of messages (`input_text` / `output_text` content)',
    }),
    instructions: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    previous_response_id: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
    stream: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    metadata: Type.Optional(Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()])),
    user: Type.Optional(Type.String({ maxLength: 200 })),
    session_id: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'Flowloom: chat memory session' }),
    ),
  },
  { additionalProperties: true },
);

/** OpenAI's Response object, as far as a chat flow fills it (every field it sends is serialized). */
export const ResponseObject = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('response'),
    created_at: Type.Integer(),
    status: Type.String(),
    model: Type.String(),
    output: Type.Array(Type.Unknown()),
  },
  { additionalProperties: true },
);
