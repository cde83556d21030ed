import { Type } from 'typebox';

const Component = Type.Object(
  { status: Type.String({ description: 'ok, disabled, unavailable or starting' }) },
  { additionalProperties: true },
);

export const HealthResponse = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  version: Type.String(),
  role: Type.Union([Type.Literal('all'), Type.Literal('api'), Type.Literal('worker')], {
    description: 'FLOWLOOM_ROLE of the process that answered',
  }),
  storage: Component,
  queue: Component,
  vectorStore: Component,
});
