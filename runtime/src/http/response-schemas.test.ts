import SerializerSelector from '@fastify/fast-json-stringify-compiler';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { startTestApp, type TestApp } from '../testing/fixtures.js';

// The app compiles each response serializer on its first response (serializers.ts), so a schema that cannot compile
// would show only when its route first answers with that status. Here the app gets fast-json-stringify's own, eager
// compiler instead, the one Fastify uses by default: building the app compiles every response schema of every route,
// as a server's start did before, and fails on any that does not compile.
const compiled = vi.hoisted(() => ({ count: 0 }));
vi.mock('./serializers.js', () => ({
  lazySerializers: (): SerializerSelector.SerializerFactory => {
    const eager = SerializerSelector();
    return (external, options) => {
      const compile = eager(external, options);
      return (route) => {
        compiled.count++;
        return compile(route);
      };
    };
  },
}));

describe('response schemas', () => {
  let test: TestApp | undefined;
  afterAll(async () => {
    await test?.close();
  });

  it('every route’s response schemas compile (each would otherwise compile on its first answer)', async () => {
    test = await startTestApp();
    await test.app.ready();
    expect(compiled.count).toBeGreaterThan(100);
  });
});
