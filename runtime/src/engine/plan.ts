import {
  type AnyNodeDefinition,
  AppError,
  type DataType,
  type FlowFile,
  type FlowInputSpec,
  flowInputs,
  inspectFlow,
  type NodePorts,
  type NodeRegistry,
  type NodeSettings,
  prepareValidation,
} from '@flowloom/nodes';

// The flow schema's validator is compiled when the engine loads (a server at start), not by the first run it plans.
prepareValidation();

/** An edge leaving a node, resolved to indexes so the hot path does no lookups. */
export interface PlanEdge {
  sourcePort: string;
  target: number;
  /** Index of the target input port in `PlanNode.ports`. */
  port: number;
  fromType: DataType;
  toType: DataType;
}

export interface PlanPort {
  name: string;
  multiple: boolean;
  /** How many edges feed this port. */
  edges: number;
}

/** One node, compiled: its kind, params with defaults applied, input ports and outgoing edges. */
export interface PlanNode {
  index: number;
  id: string;
  type: string;
  definition: AnyNodeDefinition;
  params: Record<string, unknown>;
  settings: Required<NodeSettings>;
  ports: PlanPort[];
  /** Number of incoming edges: the node is ready when all of them resolved. */
  incoming: number;
  out: PlanEdge[];
  branching: boolean;
  flowIO?: 'input' | 'output';
}

/** A validated flow compiled for execution. Plans are immutable and cached per flow object. */
export interface Plan {
  flow: FlowFile;
  nodes: PlanNode[];
  byId: Map<string, PlanNode>;
  inputs: FlowInputSpec[];
}

const DEFAULT_SETTINGS: Required<NodeSettings> = { timeoutMs: 0, retries: 0, retryBackoffMs: 250 };
const cache = new WeakMap<NodeRegistry, WeakMap<FlowFile, Plan>>();

/**
 * Validates and compiles a flow. Throws FLOW_INVALID with every problem in `details`.
 * The result is cached for the same flow object and registry, so repeated runs of a stored flow skip this work.
 */
export function compileFlow(flow: FlowFile, registry: NodeRegistry): Plan {
  let plans = cache.get(registry);
  if (!plans) {
    plans = new WeakMap();
    cache.set(registry, plans);
  }
  const cached = plans.get(flow);
  if (cached) return cached;

  // Validation resolves every node's ports and defaulted params: the plan is built from them.
  const { problems, ports: resolved } = inspectFlow(flow, registry.lookup);
  if (problems.length > 0) {
    throw new AppError(
      'FLOW_INVALID',
      `flow "${(flow as { id?: unknown }).id}" has ${problems.length} problem(s): ${problems[0]?.message}`,
      {
        details: problems,
      },
    );
  }
  const byId = new Map<string, PlanNode>();
  const nodes = flow.nodes.map((node, index): PlanNode => {
    const definition = registry.get(node.type) as AnyNodeDefinition;
    const spec = definition.spec;
    const ports = resolved.get(node.id) as NodePorts;
    const params = ports.params;
    const planNode: PlanNode = {
      index,
      id: node.id,
      type: node.type,
      definition,
      params,
      settings: { ...DEFAULT_SETTINGS, ...spec.defaults, ...node.settings },
      ports: [...ports.inputs.values()].map((p) => ({ name: p.name, multiple: p.multiple === true, edges: 0 })),
      incoming: 0,
      out: [],
      branching: spec.branching === true,
      flowIO: spec.flowIO,
    };
    byId.set(node.id, planNode);
    return planNode;
  });
  for (const edge of flow.edges) {
    const source = byId.get(edge.source) as PlanNode;
    const target = byId.get(edge.target) as PlanNode;
    const sourcePorts = resolved.get(source.id) as NodePorts;
    const targetPorts = resolved.get(target.id) as NodePorts;
    const port = target.ports.findIndex((p) => p.name === edge.targetPort);
    (target.ports[port] as PlanPort).edges++;
    target.incoming++;
    source.out.push({
      sourcePort: edge.sourcePort,
      target: target.index,
      port,
      fromType: sourcePorts.outputs.get(edge.sourcePort)?.dataType ?? 'any',
      toType: targetPorts.inputs.get(edge.targetPort)?.dataType ?? 'any',
    });
  }
  const plan: Plan = { flow, nodes, byId, inputs: flowInputs(flow, registry.lookup) };
  plans.set(flow, plan);
  return plan;
}
