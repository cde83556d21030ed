import { defineNode } from '../define.js';
import { AppError } from '../spec/index.js';
import { httpRequestParams, sendTemplated } from './shared/http.js';
import { checkArguments, checkTool, toolDescriptionParam, toolNameParam, toolParametersParam } from './shared/tool.js';

const MAX_ERROR_BODY = 500;

export const toolHttp = defineNode({
  spec: {
    type: 'tool-http',
    version: 1,
    title: 'HTTP tool',
    category: 'tools',
    keywords: ['agent', 'function', 'api', 'request'],
    description:
      'A tool for a function-calling model, answered by an HTTP request. The URL, headers and body are templates filled from the call arguments; with no body template, the arguments are sent as JSON.',
    inputs: [],
    outputs: [{ name: 'tool', dataType: 'tool', description: 'Wire into a function-call node.' }],
    params: [toolNameParam, toolDescriptionParam, toolParametersParam, ...httpRequestParams],
  },
  async execute({ params }, ctx) {
    const parameters = checkTool(params.name, params.parameters);
    return { tool: { name: params.name, description: params.description, parameters, nodeId: ctx.nodeId } };
  },
  async invoke(args, { params }, ctx) {
    checkArguments(params.name, params.parameters, args);
    const response = await sendTemplated(ctx, params, args, args);
    if (response.status >= 400) {
      const text = typeof response.body === 'string' ? response.body : JSON.stringify(response.body);
      throw new AppError('TOOL_FAILED', `HTTP ${response.status}: ${text.slice(0, MAX_ERROR_BODY)}`);
    }
    return response.body;
  },
});
