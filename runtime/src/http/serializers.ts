import SerializerSelector from '@fastify/fast-json-stringify-compiler';

/**
 * Fastify's response serializers (fast-json-stringify), each compiled on the first response it writes instead of all
 * at start: about 0.2 s and a few MB of heap for the API's routes, most of which a given server never answers (one
 * serving published endpoints, a test's). The first response of a route and status pays its own compile, a few
 * milliseconds; what it writes is the same.
 */
export function lazySerializers(
  factory: SerializerSelector.SerializerFactory = SerializerSelector(),
): SerializerSelector.SerializerFactory {
  return (externalSchemas, options) => {
    const compile = factory(externalSchemas, options);
    return (route) => {
      let serialize: SerializerSelector.Serializer | undefined;
      return (doc) => {
        serialize ??= compile(route);
        return serialize(doc);
      };
    };
  };
}
