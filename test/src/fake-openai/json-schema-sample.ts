import { countTokens } from './directives.js';

/** The parts of a JSON Schema the fake reads to produce a valid instance. */
export type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema | JsonSchema[];
  prefixItems?: JsonSchema[];
  minItems?: number;
  maxItems?: number;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number | boolean;
  exclusiveMaximum?: number | boolean;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  definitions?: Record<string, JsonSchema>;
};

// Beyond this depth a recursive schema gets no optional array items, so generation ends.
const DEEP = 8;
const LIMIT = 64;

const FORMATS: Record<string, string> = {
  'date-time': '2024-01-01T00:00:00Z',
  date: '2024-01-01',
  time: '00:00:00Z',
  duration: 'PT1S',
  email: 'ok@example.com',
  hostname: 'example.com',
  ipv4: '127.0.0.1',
  ipv6: '::1',
  uri: 'https://example.com/ok',
  url: 'https://example.com/ok',
  uuid: '00000000-0000-4000-8000-000000000000',
};

/**
 * A small value valid against `schema`, derived deterministically from `text` (the request's words):
 * `const` and the first `enum` value win; a string is `text` when it fits the length bounds and pattern, else `ok`
 * (a known `format` gets a fixed example); a number in bounds inside [0, 1] is 0.5, otherwise its minimum, otherwise
 * the word count of `text` (kept under a maximum); an array holds `minItems` items (at least one while shallow);
 * an object holds its `required` properties, or all of them when it lists none. `$ref` (local), `allOf`, `anyOf`
 * and `oneOf` (first non-null variant) are followed. `uniqueItems` and patterns that neither `text` nor `ok` match
 * are not honoured.
 */
export function sampleFromSchema(schema: JsonSchema | undefined, text: string): unknown {
  return sample(schema, text, schema ?? {}, 0);
}

function sample(schema: JsonSchema | undefined, text: string, root: JsonSchema, depth: number): unknown {
  if (!schema) return text;
  if (depth > LIMIT) return null;
  if (schema.$ref !== undefined) return sample(resolveRef(root, schema.$ref), text, root, depth + 1);
  if (schema.const !== undefined) return schema.const;
  if (schema.enum && schema.enum.length > 0) return schema.enum[0];
  if (schema.allOf && schema.allOf.length > 0) {
    const { allOf, ...rest } = schema;
    const parts = allOf.map((part) => (part.$ref === undefined ? part : (resolveRef(root, part.$ref) ?? {})));
    return sample(parts.reduce(merge, rest), text, root, depth + 1);
  }
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants && variants.length > 0) {
    const chosen = variants.find((variant) => variant.type !== 'null') ?? variants[0];
    return sample(chosen, text, root, depth + 1);
  }
  const type = Array.isArray(schema.type) ? (schema.type.find((t) => t !== 'null') ?? 'null') : schema.type;
  switch (type) {
    case 'string':
      return sampleString(schema, text);
    case 'number':
    case 'integer':
      return sampleNumber(schema, text, type === 'integer');
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'array':
      return sampleArray(schema, text, root, depth);
    default: {
      const properties = schema.properties ?? {};
      const keys = Array.isArray(schema.required) ? schema.required : Object.keys(properties);
      const result: Record<string, unknown> = {};
      for (const key of keys) result[key] = sample(properties[key] ?? { type: 'string' }, text, root, depth + 1);
      return result;
    }
  }
}

function sampleString(schema: JsonSchema, text: string): string {
  const example = schema.format === undefined ? undefined : FORMATS[schema.format];
  if (example !== undefined) return example;
  const fits = (value: string) => {
    const length = [...value].length;
    return (
      length >= (schema.minLength ?? 0) &&
      length <= (schema.maxLength ?? Number.POSITIVE_INFINITY) &&
      (schema.pattern === undefined || matches(schema.pattern, value))
    );
  };
  if (text !== '' && fits(text)) return text;
  if (fits('ok')) return 'ok';
  return 'ok'.padEnd(schema.minLength ?? 0, 'k').slice(0, schema.maxLength ?? Number.POSITIVE_INFINITY);
}

function matches(pattern: string, value: string): boolean {
  try {
    return new RegExp(pattern, 'u').test(value);
  } catch {
    return false;
  }
}

function sampleNumber(schema: JsonSchema, text: string, isInteger: boolean): number {
  const low = bound(schema.minimum, schema.exclusiveMinimum, Math.max);
  const high = bound(schema.maximum, schema.exclusiveMaximum, Math.min);
  const fits = (value: number) =>
    (!low || value > low.value || (value === low.value && !low.isExclusive)) &&
    (!high || value < high.value || (value === high.value && !high.isExclusive));
  let value: number;
  if (!isInteger && low && high && low.value >= 0 && high.value <= 1 && fits(0.5)) value = 0.5;
  else if (low) {
    const start = isInteger ? Math.ceil(low.value) : low.value;
    // Just above an exclusive minimum: the next integer, or halfway to the maximum.
    value = fits(start) ? start : isInteger ? start + 1 : high ? (low.value + high.value) / 2 : low.value + 1;
  } else {
    value = countTokens(text);
    if (high && !fits(value)) {
      const top = isInteger ? Math.floor(high.value) : high.value;
      value = high.isExclusive && top === high.value ? top - 1 : top;
    }
  }
  if (schema.multipleOf !== undefined && schema.multipleOf > 0) {
    value = Math.ceil(value / schema.multipleOf) * schema.multipleOf;
  }
  return value;
}

/** The tighter of an inclusive bound and an exclusive one (a number, or draft-4's boolean on the inclusive one). */
function bound(
  inclusive: number | undefined,
  exclusive: number | boolean | undefined,
  tighter: (a: number, b: number) => number,
): { value: number; isExclusive: boolean } | undefined {
  if (typeof exclusive === 'boolean')
    return inclusive === undefined ? undefined : { value: inclusive, isExclusive: exclusive };
  if (exclusive === undefined) return inclusive === undefined ? undefined : { value: inclusive, isExclusive: false };
  if (inclusive === undefined) return { value: exclusive, isExclusive: true };
  const value = tighter(inclusive, exclusive);
  return { value, isExclusive: value === exclusive };
}

function sampleArray(schema: JsonSchema, text: string, root: JsonSchema, depth: number): unknown[] {
  const tuple = schema.prefixItems ?? (Array.isArray(schema.items) ? schema.items : undefined);
  if (tuple) return tuple.map((item) => sample(item, text, root, depth + 1));
  const wanted = Math.max(depth < DEEP ? 1 : 0, schema.minItems ?? 0);
  const count = Math.min(wanted, schema.maxItems ?? wanted);
  const item = Array.isArray(schema.items) ? undefined : schema.items;
  return Array.from({ length: count }, () => sample(item, text, root, depth + 1));
}

/** Follows a local JSON pointer (`#`, `#/$defs/x`, `#/definitions/x`, ...); other references resolve to nothing. */
function resolveRef(root: JsonSchema, ref: string): JsonSchema | undefined {
  if (!ref.startsWith('#')) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(1).split('/').filter(Boolean)) {
    const key = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined;
  }
  return typeof node === 'object' && node !== null ? (node as JsonSchema) : undefined;
}

function merge(into: JsonSchema, part: JsonSchema): JsonSchema {
  return {
    ...into,
    ...part,
    properties: { ...into.properties, ...part.properties },
    ...(into.required || part.required ? { required: [...(into.required ?? []), ...(part.required ?? [])] } : {}),
  };
}
