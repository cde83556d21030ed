import { AppError } from '../../spec/index.js';

/** One step of a JSON path: a property name, an array index (negative counts from the end) or `*`. */
export type PathSegment = { key: string } | { index: number } | { wildcard: true };

const CACHE = new Map<string, PathSegment[]>();

/**
 * Parses a JSON path: `$.a.b[0]`, `a.b[-1]`, `$['odd key'].c`, `items[*].name`, `$.*`. The leading `$` is optional;
 * `$` or an empty path is the whole value. Throws NODE_PARAM_INVALID naming the position of a syntax error.
 */
export function parseJsonPath(path: string): PathSegment[] {
  const cached = CACHE.get(path);
  if (cached) return cached;
  const segments: PathSegment[] = [];
  let i = path.startsWith('$') ? 1 : 0;
  const fail = (why: string): never => {
    throw new AppError('NODE_PARAM_INVALID', `JSON path "${path}" is invalid at position ${i}: ${why}`);
  };
  const readName = () => {
    const start = i;
    while (i < path.length && /[^.[\]]/.test(path[i] as string)) i++;
    if (i === start) fail('a property name is expected');
    return path.slice(start, i);
  };
  if (i < path.length && path[i] !== '.' && path[i] !== '[') segments.push(nameSegment(readName()));
  while (i < path.length) {
    const ch = path[i];
    if (ch === '.') {
      i++;
      segments.push(nameSegment(readName()));
    } else if (ch === '[') {
      i++;
      const quote = path[i];
      if (quote === "'" || quote === '"') {
        const end = path.indexOf(quote, i + 1);
        if (end < 0) fail('unclosed quote');
        segments.push({ key: path.slice(i + 1, end) });
        i = end + 1;
      } else {
        const end = path.indexOf(']', i);
        if (end < 0) fail('unclosed bracket');
        const inner = path.slice(i, end).trim();
        if (inner === '*') segments.push({ wildcard: true });
        else if (/^-?\d+$/.test(inner)) segments.push({ index: Number(inner) });
        else fail('an index, * or a quoted name is expected in brackets');
        i = end;
      }
      if (path[i] !== ']') fail('] is expected');
      i++;
    } else fail(`unexpected "${ch}"`);
  }
  if (CACHE.size > 500) CACHE.clear();
  CACHE.set(path, segments);
  return segments;
}

function nameSegment(name: string): PathSegment {
  return name === '*' ? { wildcard: true } : { key: name };
}

function step(value: unknown, segment: PathSegment): unknown[] {
  if ('wildcard' in segment) {
    if (Array.isArray(value)) return value;
    return value !== null && typeof value === 'object' ? Object.values(value) : [];
  }
  if ('index' in segment) {
    if (!Array.isArray(value)) return [];
    const at = segment.index < 0 ? value.length + segment.index : segment.index;
    return at >= 0 && at < value.length ? [value[at]] : [];
  }
  if (value !== null && typeof value === 'object' && Object.hasOwn(value, segment.key)) {
    return [(value as Record<string, unknown>)[segment.key]];
  }
  return [];
}

/**
 * Every value a path selects, in document order. A path without wildcards selects at most one value; `found`
 * tells "no match" apart from a stored `null`.
 */
export function queryJsonPath(value: unknown, path: string): { found: boolean; values: unknown[]; wildcard: boolean } {
  const segments = parseJsonPath(path);
  let current: unknown[] = [value];
  for (const segment of segments) current = current.flatMap((v) => step(v, segment));
  return { found: current.length > 0, values: current, wildcard: segments.some((s) => 'wildcard' in s) };
}

/** The value at a path: the single match, the list of matches for wildcard paths, or undefined. */
export function extractJsonPath(value: unknown, path: string): unknown {
  const result = queryJsonPath(value, path);
  if (result.wildcard) return result.values;
  return result.values[0];
}
