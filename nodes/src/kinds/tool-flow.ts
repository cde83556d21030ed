import { defineNode } from '../define.js';
import type { FlowDescription } from '../services.js';
import { AppError } from '../spec/index.js';
import { flowIdParam, runSavedFlow } from './shared/flows.js';
import { service } from './shared/services.js';
import { checkArguments, checkTool } from './shared/tool.js';

const SCHEMA_BY_TYPE: Record<string, Record<string, unknown>> = {
  text: { type: 'string' },
  number: { type: 'number' },
  boolean: { type: 'boolean' },
  json: {},
  messages: { type: 'array', items: { type: 'object' } },
  documents: { type: 'array', items: { type: 'object' } },
};

/** The arguments schema of a flow used as a tool: one property per input node. */
export function flowParameters(flow: FlowDescription): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const input of flow.inputs) {
    properties[input.name] = {
      ...(SCHEMA_BY_TYPE[input.dataType] ?? {}),
      ...(input.description && { description: input.description }),
    };
    if (input.required && input.default === undefined) required.push(input.name);
  }
  return { type: 'object', properties, required, additionalProperties: false };
}

export const toolFlow = defineNode({
  spec: {
    type: 'tool-flow',
    version: 1,
    title: 'Flow tool',
    category: 'tools',
    keywords: ['agent', 'function', 'subflow'],
    description:
      "Another saved flow as a tool for a function-calling model. Its parameters are the flow's inputs; the answer is its output (or all outputs when it has several).",
    inputs: [],
    outputs: [{ name: 'tool', dataType: 'tool', description: 'Wire into a function-call node.' }],
    params: [
      flowIdParam,
      {
        name: 'name',
        kind: 'string',
        default: '',
        maxLength: 64,
        description: 'Function name; empty uses the flow id.',
      },
      {
        name: 'description',
        kind: 'text',
        default: '',
        maxLength: 4_000,
        description: "Empty uses the flow's description.",
      },
      {
        name: 'parameters',
        kind: 'json',
        description: "JSON Schema of the arguments; empty derives it from the flow's inputs.",
      },
    ],
  },
  async execute({ params }, ctx) {
    const flows = service(ctx, 'flows');
    let description = params.description;
    let parameters = params.parameters;
    if (parameters === undefined || parameters === null || description === '') {
      if (!flows.describe) {
        throw new AppError(
          'SERVICE_NOT_CONFIGURED',
          'this runtime cannot describe saved flows; set the "parameters" param',
        );
      }
      const flow = await flows.describe(params.flowId);
      parameters ??= flowParameters(flow);
      if (description === '') description = flow.description || flow.name || `Runs the flow "${flow.id}".`;
    }
    const name = params.name || params.flowId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
    const schema = checkTool(name, parameters);
    return { tool: { name, description, parameters: schema, nodeId: ctx.nodeId } };
  },
  async invoke(args, { params }, ctx) {
    const name = params.name || params.flowId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
    if (params.parameters !== undefined && params.parameters !== null) checkArguments(name, params.parameters, args);
    const outputs = await runSavedFlow(ctx, params.flowId, args);
    const names = Object.keys(outputs);
    return names.length === 1 ? outputs[names[0] as string] : outputs;
  },
});
