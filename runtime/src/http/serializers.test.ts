import SerializerSelector from '@fastify/fast-json-stringify-compiler';
import { describe, expect, it } from 'vitest';
import { lazySerializers } from './serializers.js';

const schema = { type: 'object', properties: { id: { type: 'string' }, count: { type: 'integer' } } };
const route = (url: string) => ({ method: 'GET', url, httpStatus: '200', schema });

describe('lazySerializers', () => {
  it('compiles a route’s serializer on its first response, once, and writes what fast-json-stringify writes', () => {
    const real = SerializerSelector();
    let compiles = 0;
    const counted: SerializerSelector.SerializerFactory = (external, options) => {
      const compile = real(external, options);
      return (definition) => {
        compiles++;
        return compile(definition);
      };
    };
    const compiler = lazySerializers(counted)({}, {});
    const serializers = ['/a', '/b', '/c'].map((url) => compiler(route(url)));
    expect(compiles).toBe(0);
    const doc = { id: 'x', count: 2.7, extra: 'dropped' };
    const expected = real({}, {})(route('/a'))(doc);
    expect(serializers[0]?.(doc)).toBe(expected);
    expect(serializers[0]?.(doc)).toBe(expected);
    expect(expected).toBe('{"id":"x","count":2}');
    expect(compiles).toBe(1);
  });
});
