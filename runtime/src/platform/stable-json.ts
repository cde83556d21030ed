/**
 * JSON whose object keys are sorted, so equal values always give the same text: for hashes of requests, and for files
 * that diff well. With `indent` it is pretty-printed like `JSON.stringify(value, null, indent)`, except that an array
 * of numbers stays on one line (an embedding is one line, not 1,536). Undefined values are left out as in JSON;
 * numbers that JSON cannot hold become null.
 */
export function stableJson(value: unknown, indent = 0): string {
  return write(value, indent, '') ?? 'null';
}

function write(value: unknown, indent: number, padding: string): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'object':
      break;
    default:
      return undefined; // undefined, functions, symbols: absent, as in JSON
  }
  const inner = padding + ' '.repeat(indent);
  const open = indent > 0 ? `\n${inner}` : '';
  const close = indent > 0 ? `\n${padding}` : '';
  const comma = indent > 0 ? `,\n${inner}` : ',';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const items = value.map((item) => write(item, indent, inner) ?? 'null');
    if (indent > 0 && value.every((item) => typeof item === 'number')) return `[${items.join(', ')}]`;
    return `[${open}${items.join(comma)}${close}]`;
  }
  const colon = indent > 0 ? ': ' : ':';
  const entries: string[] = [];
  for (const key of Object.keys(value).sort()) {
    const text = write((value as Record<string, unknown>)[key], indent, inner);
    if (text !== undefined) entries.push(`${JSON.stringify(key)}${colon}${text}`);
  }
  return entries.length === 0 ? '{}' : `{${open}${entries.join(comma)}${close}}`;
}
