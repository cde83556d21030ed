import { defineNode } from '../define.js';
import { renderTemplate } from '../spec/index.js';

export const prompt = defineNode({
  spec: {
    type: 'prompt',
    version: 1,
    title: 'Prompt',
    category: 'prompts',
    keywords: ['template', 'format', 'message', 'instructions', 'system prompt'],
    description: 'Fills a text template. Each {{variable}} in the template becomes an input port.',
    inputs: [],
    outputs: [
      { name: 'prompt', dataType: 'text', description: 'The filled template.' },
      { name: 'messages', dataType: 'messages', description: 'The filled template as one user message.' },
    ],
    params: [{ name: 'template', kind: 'template', required: true, default: '{{question}}', maxLength: 200_000 }],
    dynamicInputs: { fromParam: 'template', source: 'template', dataType: 'text', required: true },
  },
  async execute({ inputs, params }) {
    const text = renderTemplate(params.template, inputs);
    return { prompt: text, messages: [{ role: 'user', content: text }] };
  },
});
