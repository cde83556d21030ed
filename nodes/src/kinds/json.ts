import { defineNode } from '../define.js';
import { AppError } from '../spec/index.js';
import { queryJsonPath } from './shared/json-path.js';

const MAX_PARSE_CHARS = 20_000_000;

export const json = defineNode({
  spec: {
    type: 'json',
    version: 1,
    title: 'JSON',
    category: 'data',
    keywords: ['parse', 'extract', 'path', 'object', 'schema'],
    description:
      'Parses JSON text, extracts a part of a value by JSON path (e.g. $.items[0].name, $.items[*].id), or writes a value as JSON text.',
    inputs: [{ name: 'value', dataType: 'any', required: true, description: 'JSON text or a value.' }],
    outputs: [
      { name: 'value', dataType: 'json', description: 'The parsed value, or the part the path selects.' },
      { name: 'text', dataType: 'text', description: 'The result as JSON text.' },
      { name: 'found', dataType: 'boolean', description: 'Whether the path matched.' },
    ],
    params: [
      {
        name: 'mode',
        kind: 'select',
        options: ['parse', 'extract', 'stringify'],
        default: 'extract',
        description:
          'parse: text to value (then the path); extract: the path of a value (text is parsed first); stringify: value to text.',
      },
      { name: 'path', kind: 'string', default: '$', maxLength: 1_000, description: 'JSON path; $ is the whole value.' },
      { name: 'pretty', kind: 'boolean', default: false, description: 'Indent the JSON text.' },
    ],
  },
  async execute({ inputs, params }) {
    let value: unknown = inputs.value;
    if (params.mode === 'parse' || (params.mode === 'extract' && typeof value === 'string')) {
      if (typeof value !== 'string') throw new AppError('NODE_INPUT_INVALID', 'parse needs JSON text as its value');
      if (value.length > MAX_PARSE_CHARS)
        throw new AppError('NODE_INPUT_INVALID', `the JSON text is longer than ${MAX_PARSE_CHARS} characters`);
      try {
        value = JSON.parse(value);
      } catch (err) {
        if (params.mode === 'parse') {
          throw new AppError('NODE_INPUT_INVALID', `the value is not valid JSON: ${(err as Error).message}`);
        }
        // extract on plain text: the text itself is the value
      }
    }
    const path = params.path.trim();
    let found = true;
    if (path !== '' && path !== '$') {
      const query = queryJsonPath(value, path);
      found = query.found;
      value = query.wildcard ? query.values : query.values[0];
    }
    const text = value === undefined ? '' : (JSON.stringify(value, null, params.pretty ? 2 : undefined) ?? '');
    return { value: value ?? null, text, found };
  },
});
