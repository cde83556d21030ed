import { defineNode } from '../define.js';

export const output = defineNode({
  spec: {
    type: 'output',
    version: 1,
    title: 'Output',
    category: 'io',
    keywords: ['result', 'answer', 'end', 'return', 'response'],
    description: 'A result of the flow, by name. The run answer holds one field per output node.',
    flowIO: 'output',
    inputs: [{ name: 'value', dataType: 'any', required: true }],
    outputs: [{ name: 'value', dataType: 'any' }],
    params: [
      { name: 'name', kind: 'string', required: true, default: 'answer', description: 'Name of the output field.' },
    ],
  },
  async execute({ inputs }) {
    return { value: inputs.value };
  },
});
