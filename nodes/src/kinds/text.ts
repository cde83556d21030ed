import { defineNode } from '../define.js';
import { AppError, renderTemplate } from '../spec/index.js';

const MAX_ITEMS = 100_000;

/** A separator as typed in a form: `\n`, `\t` and `\\` are read as escapes. */
function readEscapes(separator: string): string {
  return separator.replace(/\\([nt\\r])/g, (_, ch: string) =>
    ch === 'n' ? '\n' : ch === 't' ? '\t' : ch === 'r' ? '\r' : '\\',
  );
}

function itemText(item: unknown): string {
  if (typeof item === 'string') return item;
  if (item && typeof item === 'object' && typeof (item as { text?: unknown }).text === 'string')
    return (item as { text: string }).text;
  return JSON.stringify(item) ?? '';
}

export const text = defineNode({
  spec: {
    type: 'text',
    version: 1,
    title: 'Text',
    category: 'data',
    keywords: ['string', 'split', 'join', 'format', 'regex', 'replace', 'concatenate'],
    description:
      'Joins a list into text, splits text into a list, or fills a template whose {{variables}} become inputs.',
    inputs: [
      { name: 'text', dataType: 'text', description: 'Text to split.' },
      { name: 'items', dataType: 'any', description: 'A list to join (documents join by their text).' },
    ],
    outputs: [
      { name: 'text', dataType: 'text' },
      { name: 'items', dataType: 'json', description: 'The parts, when splitting.' },
    ],
    dynamicInputs: { fromParam: 'template', source: 'template', dataType: 'text', required: true },
    params: [
      { name: 'mode', kind: 'select', options: ['format', 'join', 'split'], default: 'join' },
      {
        name: 'template',
        kind: 'template',
        default: '',
        maxLength: 200_000,
        showIf: { param: 'mode', equals: 'format' },
        description: 'For format: the text, with {{variable}} placeholders.',
      },
      {
        name: 'separator',
        kind: 'string',
        default: '\\n',
        maxLength: 100,
        description: 'For join and split; \\n is a newline.',
      },
      { name: 'trim', kind: 'boolean', default: true, description: 'For split: trim parts and drop empty ones.' },
    ],
  },
  async execute({ inputs, params }) {
    const separator = readEscapes(params.separator);
    if (params.mode === 'format') return { text: renderTemplate(params.template, inputs) };
    if (params.mode === 'join') {
      const items = inputs.items;
      if (items === undefined) throw new AppError('NODE_INPUT_INVALID', 'join needs a list on the "items" input');
      const list = Array.isArray(items) ? items : [items];
      return { text: list.map(itemText).join(separator), items: list };
    }
    const source = inputs.text ?? (typeof inputs.items === 'string' ? inputs.items : undefined);
    if (typeof source !== 'string') throw new AppError('NODE_INPUT_INVALID', 'split needs text on the "text" input');
    if (separator === '') throw new AppError('NODE_PARAM_INVALID', 'param "separator" must not be empty for split');
    let parts = source.split(separator);
    if (params.trim) parts = parts.map((part) => part.trim()).filter((part) => part !== '');
    if (parts.length > MAX_ITEMS) throw new AppError('NODE_INPUT_INVALID', `split gives more than ${MAX_ITEMS} parts`);
    return { items: parts, text: parts.join('\n') };
  },
});
