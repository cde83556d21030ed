import { defineNode } from '../define.js';

export const input = defineNode({
  spec: {
    type: 'input',
    version: 1,
    title: 'Input',
    category: 'io',
    keywords: ['question', 'parameter', 'start', 'variable', 'field'],
    description:
      'A value given to the flow when it runs, by name. Chat flows take one text input named "question" or "message", and may take the conversation so far in an optional messages input.',
    flowIO: 'input',
    inputs: [],
    outputs: [{ name: 'value', dataType: 'text', dataTypeFromParam: 'dataType' }],
    params: [
      { name: 'name', kind: 'string', required: true, default: 'question', description: 'Name of the run input.' },
      {
        name: 'dataType',
        kind: 'select',
        options: ['text', 'number', 'boolean', 'json', 'messages', 'documents'],
        default: 'text',
        description: 'Type of the value.',
      },
      { name: 'required', kind: 'boolean', default: true, description: 'Refuse runs that leave it out.' },
      { name: 'default', kind: 'json', description: 'Value used when the run leaves it out.' },
      { name: 'description', kind: 'text', default: '', description: 'Shown in the run form and API docs.' },
    ],
  },
  // The engine validates and places the run input in ctx.request.inputs before the node runs.
  async execute({ params }, ctx) {
    const inputs = (ctx.request.inputs ?? {}) as Record<string, unknown>;
    const value = inputs[params.name] ?? params.default;
    return { value };
  },
});
