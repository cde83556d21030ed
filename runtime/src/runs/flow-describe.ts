import { type FlowDescription, type FlowFile, flowInputs, flowOutputs, type NodeRegistry } from '@flowloom/nodes';

/** A saved flow's public face for `FlowRunner.describe` (tool-flow derives its parameters from it). */
export function describeFlow(flow: FlowFile, registry: NodeRegistry): FlowDescription {
  return {
    id: flow.id,
    name: flow.name,
    ...(flow.description && { description: flow.description }),
    inputs: flowInputs(flow, registry.lookup).map((input) => ({
      name: input.name,
      dataType: input.dataType,
      required: input.required,
      ...(input.description !== undefined && { description: input.description }),
      ...(input.default !== undefined && { default: input.default }),
    })),
    outputs: flowOutputs(flow, registry.lookup).map((output) => ({ name: output.name })),
  };
}
