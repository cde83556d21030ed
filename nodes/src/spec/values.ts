/** Port data types (docs/contracts.md §2). */
export const DATA_TYPES = [
  'text',
  'number',
  'boolean',
  'json',
  'messages',
  'documents',
  'embedding',
  'tool',
  'any',
] as const;
export type DataType = (typeof DATA_TYPES)[number];

/** A retrieved or ingested piece of text. */
export interface Document {
  id: string;
  text: string;
  metadata: Record<string, unknown>;
  score?: number;
}

/** A tool call requested by a model, in OpenAI's wire shape. */
export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** One OpenAI chat message. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string | null;
  name?: string;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
}

/**
 * What a tool node outputs on its `tool` port: the schema the model sees, plus the node that answers the call.
 * The engine invokes `nodeId` when a model calls `name`.
 */
export interface ToolRef {
  name: string;
  description: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
  nodeId: string;
}

/** Port name → value. */
export type Values = Record<string, unknown>;

/** Token usage of one model call or a sum of them. */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

/** The TypeScript type carried by each port data type. */
export interface DataTypeMap {
  text: string;
  number: number;
  boolean: boolean;
  json: unknown;
  messages: ChatMessage[];
  documents: Document[];
  embedding: number[];
  tool: ToolRef;
  any: unknown;
}

/** Adds usage b into a, returning a new object. */
export function addUsage(a: Usage | undefined, b: Usage | undefined): Usage | undefined {
  if (!a) return b;
  if (!b) return a;
  return { promptTokens: a.promptTokens + b.promptTokens, completionTokens: a.completionTokens + b.completionTokens };
}

/**
 * How deep objects and arrays may nest in a value that enters a run (run inputs, flow params, node outputs, tool
 * arguments): docs/contracts.md §2. Deeper values are refused where they enter, naming where, because storing,
 * streaming and comparing them would overflow the stack.
 */
export const MAX_VALUE_DEPTH = 128;

/** What `findValueProblem` found: where (a path like `inputs.q.a[0]`) and why. */
export interface ValueProblem {
  path: string;
  message: string;
}

const PATH_SEGMENTS_SHOWN = 6;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

interface Visit {
  value: unknown;
  depth: number;
  key: string | number | undefined;
  parent: Visit | undefined;
}

function pathOf(visit: Visit, prefix: string): string {
  const keys: (string | number)[] = [];
  for (let at: Visit | undefined = visit; at?.key !== undefined; at = at.parent) keys.push(at.key);
  keys.reverse();
  const shown = keys.slice(0, PATH_SEGMENTS_SHOWN).map((key, i) => {
    if (typeof key === 'number') return `[${key}]`;
    if (!IDENTIFIER.test(key)) return `[${JSON.stringify(key)}]`;
    return i === 0 && prefix === '' ? key : `.${key}`;
  });
  return `${prefix}${shown.join('')}${keys.length > PATH_SEGMENTS_SHOWN ? '…' : ''}`;
}

/** The deepest `maxDepth` that `exceeds` may recurse to: far below any stack limit. */
const MAX_RECURSIVE_DEPTH = 1024;

/**
 * Whether an object nests objects or arrays more than `levels` deep counting itself (or, with `forbidProtoKeys`, has
 * a `__proto__` key anywhere). Recursive, but never deeper than `levels`, and allocates nothing for JSON values.
 */
function exceeds(value: object, levels: number, forbidProtoKeys: boolean): boolean {
  if (levels < 1) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item !== null && typeof item === 'object' && exceeds(item, levels - 1, forbidProtoKeys)) return true;
    }
    return false;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (forbidProtoKeys && key === '__proto__') return true;
    const item: unknown = (value as Record<string, unknown>)[key];
    if (item !== null && typeof item === 'object' && exceeds(item, levels - 1, forbidProtoKeys)) return true;
  }
  return false;
}

/**
 * The first place where a JSON-like value nests objects or arrays deeper than `maxDepth` (a scalar is depth 0, `{}`
 * depth 1), or, with `forbidProtoKeys`, has a `__proto__` key; undefined when there is none. Iterative, so it never
 * overflows the stack however deep the value is. `prefix` starts the reported path (e.g. `body`).
 */
export function findValueProblem(
  value: unknown,
  options: { maxDepth?: number; prefix?: string; forbidProtoKeys?: boolean } = {},
): ValueProblem | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const maxDepth = options.maxDepth ?? MAX_VALUE_DEPTH;
  const forbidProtoKeys = options.forbidProtoKeys === true;
  // Nearly every value is fine: say so without allocating, and walk again to name the place only when it is not.
  if (maxDepth <= MAX_RECURSIVE_DEPTH && !exceeds(value, maxDepth, forbidProtoKeys)) return undefined;
  const prefix = options.prefix ?? '';
  const stack: Visit[] = [{ value, depth: 0, key: undefined, parent: undefined }];
  for (let visit = stack.pop(); visit; visit = stack.pop()) {
    const current = visit.value;
    if (current === null || typeof current !== 'object') continue;
    const depth = visit.depth + 1;
    if (depth > maxDepth) return { path: pathOf(visit, prefix), message: `is nested deeper than ${maxDepth} levels` };
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) {
        const item: unknown = current[i];
        if (item !== null && typeof item === 'object') stack.push({ value: item, depth, key: i, parent: visit });
      }
      continue;
    }
    for (const key of Object.keys(current)) {
      const item: unknown = (current as Record<string, unknown>)[key];
      if (forbidProtoKeys && key === '__proto__') {
        return { path: pathOf({ value: item, depth, key, parent: visit }, prefix), message: 'is not an allowed key' };
      }
      if (item !== null && typeof item === 'object') stack.push({ value: item, depth, key, parent: visit });
    }
  }
  return undefined;
}

/** The path of the first object or array nested deeper than `maxDepth` in `value`, else undefined (see above). */
export function tooDeepPath(value: unknown, prefix = '', maxDepth = MAX_VALUE_DEPTH): string | undefined {
  return findValueProblem(value, { prefix, maxDepth })?.path;
}
