import { Type } from 'typebox';

export const ProviderResponse = Type.Object({
  baseURL: Type.Union([Type.String(), Type.Null()]),
  apiKey: Type.Object({ isSet: Type.Boolean(), preview: Type.Union([Type.String(), Type.Null()]) }),
  source: Type.Union([Type.Literal('env'), Type.Literal('settings'), Type.Literal('none')], {
    description: 'env: OPENAI_API_KEY/OPENAI_BASE_URL are set and win; settings: these are used; none: no provider',
  }),
  updatedAt: Type.Union([Type.String(), Type.Null()]),
});

export const ProviderBody = Type.Object(
  {
    baseURL: Type.Optional(
      Type.Union([Type.String({ pattern: '^https?://\\S+$', maxLength: 500 }), Type.Null()], {
        description: 'An OpenAI-compatible server (…/v1); null clears it',
      }),
    ),
    apiKey: Type.Optional(
      Type.Union([Type.String({ minLength: 1, maxLength: 500 }), Type.Null()], {
        description: 'Stored encrypted, never answered back; null clears it',
      }),
    ),
  },
  { additionalProperties: false },
);

const BaseURL = Type.String({
  pattern: '^https?://\\S+$',
  maxLength: 500,
  description: 'An OpenAI-compatible server (…/v1)',
});
const ApiKeyValue = Type.String({ minLength: 1, maxLength: 500, description: 'Stored encrypted, never answered back' });

export const NamedProvider = Type.Object({
  id: Type.String({ description: 'What an llm node’s `provider` param holds' }),
  name: Type.String(),
  kind: Type.Union([Type.Literal('openai'), Type.Literal('compatible')], {
    description: 'openai: OpenAI itself (no base URL); compatible: the server at baseURL',
  }),
  baseURL: Type.Union([Type.String(), Type.Null()]),
  apiKey: Type.Object({ isSet: Type.Boolean(), preview: Type.Union([Type.String(), Type.Null()]) }),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

export const ProvidersResponse = Type.Object({
  providers: Type.Array(NamedProvider),
  default: Type.Object(
    {
      source: Type.Union([
        Type.Literal('env'),
        Type.Literal('settings'),
        Type.Literal('providers'),
        Type.Literal('none'),
      ]),
      provider: Type.Union([Type.String(), Type.Null()], { description: 'With source "providers": its id' }),
      baseURL: Type.Union([Type.String(), Type.Null()], { description: 'With source "env" or "settings"' }),
    },
    {
      description:
        'What answers nodes that name no provider: env (OPENAI_API_KEY / OPENAI_BASE_URL), settings (PUT /api/settings/provider), providers (the first of the list), none',
    },
  ),
});

export const ProviderParams = Type.Object({
  id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,39}$', description: 'A provider id' }),
});

export const ModelsProviderParams = Type.Object({
  id: Type.String({
    pattern: '^[a-z0-9][a-z0-9-]{0,39}$',
    description: 'A provider id, or "default" for the one nodes without a provider use',
  }),
});

export const CreateProviderBody = Type.Object(
  {
    id: Type.Optional(
      Type.String({
        // `default` names the provider of nodes that name none (GET /api/settings/providers/default/models).
        pattern: '^(?!default$)[a-z0-9][a-z0-9-]{0,39}$',
        description: 'Default: made from the name. Never "default" (reserved)',
      }),
    ),
    name: Type.String({ minLength: 1, maxLength: 100 }),
    baseURL: Type.Optional(Type.Union([BaseURL, Type.Null()], { description: 'Absent or null: OpenAI itself' })),
    apiKey: Type.Optional(Type.Union([ApiKeyValue, Type.Null()])),
  },
  { additionalProperties: false },
);

export const UpdateProviderBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    baseURL: Type.Optional(Type.Union([BaseURL, Type.Null()], { description: 'null: OpenAI itself' })),
    apiKey: Type.Optional(Type.Union([ApiKeyValue, Type.Null()], { description: 'null clears it; absent keeps it' })),
  },
  { additionalProperties: false },
);

export const ModelsResponse = Type.Object({ models: Type.Array(Type.String()) });
