import { FLOW_ID_PATTERN } from '@flowloom/nodes';
import { Type } from 'typebox';

export const ApiKeySchema = Type.Object({
  id: Type.String({ description: 'Public key id (12 hex digits), part of the secret' }),
  name: Type.String(),
  flows: Type.Array(Type.String(), { description: 'Flow ids the key may call; empty = every published flow' }),
  rateLimit: Type.Union([Type.Integer(), Type.Null()], { description: 'Requests per minute; null = runtime default' }),
  kind: Type.Union([Type.Literal('secret'), Type.Literal('browser')], {
    description: 'secret: for servers; browser: for web pages, one flow, from its origins only',
  }),
  origins: Type.Array(Type.String(), { description: 'The origins a browser key works from; empty for secret keys' }),
  preview: Type.String({ description: 'The start of the secret, to recognise it' }),
  createdAt: Type.String(),
  lastUsedAt: Type.Union([Type.String(), Type.Null()]),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
});

export const CreateKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    flows: Type.Optional(
      Type.Array(Type.String({ pattern: FLOW_ID_PATTERN }), {
        maxItems: 200,
        description: 'Scope: the flow ids this key may call (omit or empty for every flow)',
      }),
    ),
    rateLimit: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1, maximum: 1_000_000_000 }), Type.Null()], {
        description: 'Requests per minute for this key',
      }),
    ),
    kind: Type.Optional(
      Type.Union([Type.Literal('secret'), Type.Literal('browser')], {
        description:
          'secret (default): for servers, never in a web page. browser: safe to put in a web page (the chat widget): ' +
          'runs only its one flow (`flows` names exactly one), only from a browser on one of `origins`',
      }),
    ),
    origins: Type.Optional(
      Type.Array(
        Type.String({
          pattern: '^https?://[^/\\s]+$',
          maxLength: 300,
          description:
            'A browser origin exactly as browsers send it: scheme://host[:port], lowercase host, no default port, no user',
        }),
        { maxItems: 50, description: 'For browser keys: the origins of the pages that use it (at least one)' },
      ),
    ),
  },
  { additionalProperties: false },
);

export const CreatedKeyResponse = Type.Object({
  ...ApiKeySchema.properties,
  key: Type.String({ description: 'The secret (flk_...): shown only in this answer' }),
});
export const KeysResponse = Type.Object({ keys: Type.Array(ApiKeySchema) });
export const KeyParams = Type.Object({
  id: Type.String({ pattern: '^[0-9a-f]{12}$', description: 'The key id: 12 hex digits, as listed (not the secret)' }),
});
export const RevokedResponse = Type.Object({ key: ApiKeySchema });
