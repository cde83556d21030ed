import { defineNode } from '../define.js';
import { service } from './shared/services.js';
import { checkArguments, checkTool, toolDescriptionParam, toolNameParam, toolParametersParam } from './shared/tool.js';

export const toolCode = defineNode({
  spec: {
    type: 'tool-code',
    version: 1,
    title: 'Code tool',
    category: 'tools',
    keywords: ['agent', 'function', 'javascript'],
    description:
      'A tool for a function-calling model, answered by JavaScript in a sandbox. The code sees the call as `args` (and the optional context input as `context`) and returns the result.',
    inputs: [{ name: 'context', dataType: 'any', description: 'Extra data the code sees as `context`.' }],
    outputs: [{ name: 'tool', dataType: 'tool', description: 'Wire into a function-call node.' }],
    params: [
      toolNameParam,
      toolDescriptionParam,
      toolParametersParam,
      {
        name: 'code',
        kind: 'code',
        language: 'javascript',
        required: true,
        default: 'return { received: args };',
        maxLength: 200_000,
        description: 'Body of an async function of `args` and `context`; `return` the result (JSON).',
      },
      { name: 'timeoutMs', kind: 'number', default: 1_000, min: 10, max: 30_000, integer: true },
      { name: 'memoryMb', kind: 'number', default: 32, min: 1, max: 256, integer: true },
    ],
  },
  async execute({ params }, ctx) {
    const parameters = checkTool(params.name, params.parameters);
    return { tool: { name: params.name, description: params.description, parameters, nodeId: ctx.nodeId } };
  },
  async invoke(args, { inputs, params }, ctx) {
    checkArguments(params.name, params.parameters, args);
    return service(ctx, 'sandbox').run(
      params.code,
      { args, context: inputs.context ?? null },
      {
        signal: ctx.signal,
        timeoutMs: params.timeoutMs,
        memoryBytes: params.memoryMb * 1024 * 1024,
        onLog: (line) => ctx.log(line),
      },
    );
  },
});
