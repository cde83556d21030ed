import { defineNode } from '../define.js';
import { AppError, listNames, type Values } from '../spec/index.js';
import { flowIdParam, runSavedFlow } from './shared/flows.js';

export const subflow = defineNode({
  spec: {
    type: 'subflow',
    version: 1,
    title: 'Subflow',
    category: 'flows',
    keywords: ['call', 'nested', 'reuse', 'module'],
    description:
      'Runs another saved flow as one step. List the flow\'s input names to get one input port each, and its output names to get one output port each; "outputs" carries them all.',
    inputs: [{ name: 'inputs', dataType: 'json', description: 'An object of flow inputs (named ports win).' }],
    outputs: [{ name: 'outputs', dataType: 'json', description: 'Every output of the flow, by name.' }],
    dynamicInputs: { fromParam: 'inputNames', source: 'list', dataType: 'any', required: false },
    dynamicOutputs: { fromParam: 'outputNames', source: 'list', dataType: 'any' },
    params: [
      flowIdParam,
      {
        name: 'inputNames',
        kind: 'json',
        default: [],
        description: 'Input names of the flow, each an input port here.',
      },
      {
        name: 'outputNames',
        kind: 'json',
        default: [],
        description: 'Output names of the flow, each an output port here.',
      },
    ],
  },
  async execute({ inputs, params }, ctx) {
    const object = inputs.inputs;
    if (object !== undefined && (object === null || typeof object !== 'object' || Array.isArray(object))) {
      throw new AppError('NODE_INPUT_INVALID', 'the "inputs" input must be an object of flow inputs');
    }
    const values: Values = { ...(object as Values | undefined) };
    for (const name of listNames(params.inputNames)) if (inputs[name] !== undefined) values[name] = inputs[name];
    const outputs = await ctx.span(`flow ${params.flowId}`, values, (child) =>
      runSavedFlow(child, params.flowId, values),
    );
    const named: Values = {};
    for (const name of listNames(params.outputNames)) named[name] = outputs[name];
    return { ...named, outputs };
  },
});
