import { defineNode, type NodeContext } from '../define.js';
import { AppError } from '../spec/index.js';
import { queryJsonPath } from './shared/json-path.js';

export const CONDITION_OPERATORS = [
  'equals',
  'not-equals',
  'contains',
  'not-contains',
  'regex',
  'gt',
  'gte',
  'lt',
  'lte',
  'exists',
  'not-exists',
  'empty',
  'not-empty',
] as const;
type Operator = (typeof CONDITION_OPERATORS)[number];

const MAX_PATTERN = 1_000;
const MAX_REGEX_SUBJECT = 100_000;
const REGEX_TIMEOUT_MS = 1_000;

export const condition = defineNode({
  spec: {
    type: 'condition',
    version: 1,
    title: 'Condition',
    category: 'logic',
    keywords: ['if', 'else', 'branch', 'switch', 'compare'],
    description:
      'If/else: tests a rule on its value (equals, contains, regex, number comparison, JSON path exists, empty) and passes the value on the "true" or the "false" branch; nodes on the other branch are skipped.',
    branching: true,
    inputs: [
      { name: 'value', dataType: 'any', required: true, description: 'The value to test; passed on unchanged.' },
      { name: 'compareTo', dataType: 'any', description: 'Compared against; overrides the compareTo param.' },
    ],
    outputs: [
      { name: 'true', dataType: 'any', description: 'The value, when the rule holds.' },
      { name: 'false', dataType: 'any', description: 'The value, when it does not.' },
      { name: 'result', dataType: 'boolean', description: 'Whether the rule held.' },
    ],
    params: [
      { name: 'operator', kind: 'select', options: CONDITION_OPERATORS, default: 'equals' },
      {
        name: 'path',
        kind: 'string',
        default: '',
        maxLength: 1_000,
        description: 'JSON path of the part of the value to test (e.g. $.user.age); empty tests the whole value.',
      },
      {
        name: 'compareTo',
        kind: 'string',
        default: '',
        maxLength: 10_000,
        description: 'The value or pattern to compare with.',
      },
      { name: 'caseSensitive', kind: 'boolean', default: true },
    ],
  },
  async execute({ inputs, params }, ctx) {
    const operator = params.operator as Operator;
    const path = params.path.trim();
    const query =
      path === '' || path === '$'
        ? { found: inputs.value !== undefined, values: [inputs.value] }
        : queryJsonPath(inputs.value, path);
    const subject = query.values.length > 1 ? query.values : query.values[0];
    const comparand = inputs.compareTo !== undefined ? inputs.compareTo : params.compareTo;
    const fold = (text: string) => (params.caseSensitive ? text : text.toLowerCase());
    let result: boolean;
    switch (operator) {
      case 'equals':
      case 'not-equals':
        result = equal(subject, comparand, fold) === (operator === 'equals');
        break;
      case 'contains':
      case 'not-contains':
        result = contains(subject, comparand, fold) === (operator === 'contains');
        break;
      case 'regex':
        result = await matches(subject, String(comparand), params.caseSensitive, ctx);
        break;
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte': {
        const a = toNumber(subject, 'the value');
        const b = toNumber(comparand, 'compareTo');
        result = operator === 'gt' ? a > b : operator === 'gte' ? a >= b : operator === 'lt' ? a < b : a <= b;
        break;
      }
      case 'exists':
      case 'not-exists':
        result = (query.found && subject !== undefined) === (operator === 'exists');
        break;
      default:
        result = isEmpty(subject) === (operator === 'empty');
    }
    ctx.log(
      `${path || 'value'} ${operator}${operator.includes('exists') || operator.includes('empty') ? '' : ` ${preview(comparand)}`}: ${result}`,
    );
    return result ? { true: inputs.value, result } : { false: inputs.value, result };
  },
});

function preview(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

function parseMaybeJson(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** Equality across types: strings compare as text (numbers and booleans by their text), objects structurally. */
function equal(a: unknown, b: unknown, fold: (text: string) => string): boolean {
  if (a !== null && typeof a === 'object') return canonical(a) === canonical(parseMaybeJson(b));
  if (a === undefined || a === null) return b === null || b === undefined || b === '' || b === 'null';
  if (b !== null && typeof b === 'object') return false;
  return fold(String(a)) === fold(String(b));
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Text contains text; a list contains an equal item; an object contains a key. */
function contains(subject: unknown, needle: unknown, fold: (text: string) => string): boolean {
  if (typeof subject === 'string')
    return fold(subject).includes(fold(typeof needle === 'string' ? needle : JSON.stringify(needle)));
  if (Array.isArray(subject)) return subject.some((item) => equal(item, needle, fold));
  if (subject !== null && typeof subject === 'object') return Object.hasOwn(subject, String(needle));
  if (typeof subject === 'number' || typeof subject === 'boolean')
    return fold(String(subject)).includes(fold(String(needle)));
  return false;
}

/**
 * Tests a user regex. In the sandbox when the runtime has one, so a catastrophic pattern is stopped by its time
 * limit (SANDBOX_TIMEOUT) instead of blocking the server.
 */
async function matches(subject: unknown, pattern: string, caseSensitive: boolean, ctx: NodeContext): Promise<boolean> {
  if (pattern.length > MAX_PATTERN)
    throw new AppError('NODE_PARAM_INVALID', `the regex is longer than ${MAX_PATTERN} characters`);
  const flags = caseSensitive ? 'u' : 'iu';
  try {
    new RegExp(pattern, flags);
  } catch (err) {
    throw new AppError('NODE_PARAM_INVALID', `"${pattern}" is not a valid regex: ${(err as Error).message}`);
  }
  ctx.signal.throwIfAborted();
  const text = typeof subject === 'string' ? subject : (JSON.stringify(subject) ?? '');
  if (text.length > MAX_REGEX_SUBJECT) {
    throw new AppError('NODE_INPUT_INVALID', `regex conditions test at most ${MAX_REGEX_SUBJECT} characters`);
  }
  const sandbox = ctx.services.sandbox;
  if (!sandbox) return new RegExp(pattern, flags).test(text);
  const result = await sandbox.run(
    'return new RegExp(pattern, flags).test(text);',
    { pattern, flags, text },
    {
      signal: ctx.signal,
      timeoutMs: REGEX_TIMEOUT_MS,
    },
  );
  return result === true;
}

function toNumber(value: unknown, what: string): number {
  const number =
    typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  if (!Number.isFinite(number)) throw new AppError('NODE_INPUT_INVALID', `${what} is not a number: ${preview(value)}`);
  return number;
}

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value === 'string') return value.trim() === '';
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}
