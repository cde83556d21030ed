import { AppError, type FlowFile, findValueProblem, type NodeRegistry, nodePorts, type Values } from '@flowloom/nodes';

/** A 400 VALIDATION_FAILED naming one field of the request body. */
function invalid(field: string, message: string): AppError {
  return new AppError('VALIDATION_FAILED', `${field}: ${message}`, { details: [{ field, message }] });
}

/** The ports of a flow's node, resolved from its params (dynamic ports included); undefined for an unknown node. */
function portsOf(flow: FlowFile, registry: NodeRegistry, nodeId: string) {
  const node = flow.nodes.find((n) => n.id === nodeId);
  const spec = node && registry.lookup(node.type);
  return spec && nodePorts(spec, node.params);
}

/** Refuses a value the trace could not store (deeper than `MAX_VALUE_DEPTH`), naming its field. */
function checkStorable(field: string, value: unknown): void {
  if (value === null || typeof value !== 'object') return;
  const found = findValueProblem(value, { prefix: field });
  if (found) throw invalid(field, `${found.path} ${found.message}`);
}

/**
 * Checks pinned outputs (editor runs: `{nodeId: outputs}`) against the flow and returns them as the engine's `reuse`
 * map. Throws VALIDATION_FAILED (400) naming `body.pins.<node>` for a node not in the flow and
 * `body.pins.<node>.<port>` for an output the node does not have.
 */
export function checkPins(flow: FlowFile, registry: NodeRegistry, pins: Record<string, unknown>): Map<string, Values> {
  const checked = new Map<string, Values>();
  for (const [nodeId, outputs] of Object.entries(pins)) {
    const field = `body.pins.${nodeId}`;
    const ports = portsOf(flow, registry, nodeId);
    if (!ports) throw invalid(field, `node "${nodeId}" is not in flow "${flow.id}"`);
    if (outputs === null || typeof outputs !== 'object' || Array.isArray(outputs)) {
      throw invalid(field, `the pinned outputs of node "${nodeId}" must be an object of output ports`);
    }
    for (const [port, value] of Object.entries(outputs)) {
      if (!ports.outputs.has(port)) {
        const known = [...ports.outputs.keys()].join(', ') || 'none';
        throw invalid(`${field}.${port}`, `node "${nodeId}" has no output "${port}" (its outputs: ${known})`);
      }
      checkStorable(`${field}.${port}`, value);
    }
    checked.set(nodeId, outputs as Values);
  }
  return checked;
}

/**
 * Checks the inputs of a node to run alone: NOT_FOUND (404) naming the node when it is not in the flow;
 * VALIDATION_FAILED (400) naming `body.inputs.<port>` for an input port the node does not have, or a required one
 * that is missing.
 */
export function checkNodeAlone(flow: FlowFile, registry: NodeRegistry, nodeId: string, inputs: Values): void {
  const ports = portsOf(flow, registry, nodeId);
  if (!ports) throw new AppError('NOT_FOUND', `node "${nodeId}" is not in flow "${flow.id}"`, { status: 404 });
  for (const [port, value] of Object.entries(inputs)) {
    if (!ports.inputs.has(port)) {
      const known = [...ports.inputs.keys()].join(', ') || 'none';
      throw invalid(`body.inputs.${port}`, `node "${nodeId}" has no input "${port}" (its inputs: ${known})`);
    }
    checkStorable(`body.inputs.${port}`, value);
  }
  for (const port of ports.inputs.values()) {
    if (port.required && (inputs[port.name] === undefined || inputs[port.name] === null)) {
      throw invalid(`body.inputs.${port.name}`, `input "${port.name}" of node "${nodeId}" is required`);
    }
  }
}
