import type { NodeSpec } from '@flowloom/nodes/spec';

/** A small catalog shaped like GET /api/nodes, for unit tests (the editor knows no kind by itself). */
export const TEST_KINDS: NodeSpec[] = [
  {
    type: 'input',
    version: 1,
    title: 'Input',
    category: 'io',
    description: 'A run input.',
    flowIO: 'input',
    inputs: [],
    outputs: [{ name: 'value', dataType: 'text', dataTypeFromParam: 'dataType' }],
    params: [
      { name: 'name', kind: 'string', required: true, default: 'question' },
      { name: 'dataType', kind: 'select', options: ['text', 'number', 'json', 'messages'], default: 'text' },
    ],
  },
  {
    type: 'prompt',
    version: 1,
    title: 'Prompt',
    category: 'prompts',
    description: 'Fills a template.',
    inputs: [],
    outputs: [
      { name: 'prompt', dataType: 'text' },
      { name: 'messages', dataType: 'messages' },
    ],
    params: [{ name: 'template', kind: 'template', required: true, default: '{{question}}' }],
    dynamicInputs: { fromParam: 'template', source: 'template', dataType: 'text', required: true },
  },
  {
    type: 'llm',
    version: 1,
    title: 'LLM',
    category: 'models',
    description: 'Calls a model.',
    streams: true,
    inputs: [
      { name: 'prompt', dataType: 'text' },
      { name: 'messages', dataType: 'messages' },
    ],
    outputs: [
      { name: 'text', dataType: 'text' },
      { name: 'messages', dataType: 'messages' },
    ],
    params: [
      { name: 'model', kind: 'model', required: true, default: 'gpt-4o-mini' },
      { name: 'temperature', kind: 'number', default: 0.7, min: 0, max: 2 },
    ],
  },
  {
    type: 'output',
    version: 1,
    title: 'Output',
    category: 'io',
    description: 'A result.',
    flowIO: 'output',
    inputs: [{ name: 'value', dataType: 'any', required: true }],
    outputs: [{ name: 'value', dataType: 'any' }],
    params: [{ name: 'name', kind: 'string', required: true, default: 'answer' }],
  },
  {
    type: 'merge',
    version: 1,
    title: 'Merge',
    category: 'data',
    description: 'Collects values.',
    inputs: [{ name: 'values', dataType: 'any', multiple: true }],
    outputs: [{ name: 'list', dataType: 'json' }],
    params: [],
  },
];
