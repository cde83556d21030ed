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
