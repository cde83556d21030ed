import type { FlowFile } from './flow.js';
import type { SpecLookup } from './node-spec.js';
import { isParamActive, withDefaults } from './ports.js';

/** A node that calls a flow: the flow it belongs to, the node, and the param of kind `flow` naming the called flow. */
export interface FlowCall {
  /** The flow the calling node belongs to. */
  flowId: string;
  nodeId: string;
  param: string;
  /** The flow it calls. */
  calledFlowId: string;
}

/**
 * The flows a flow's nodes call: one entry per active param of kind `flow` with a non-empty string value (defaults
 * applied), in node order. Other values are left to validation, which reports them.
 */
export function flowCalls(flow: FlowFile, lookup: SpecLookup): FlowCall[] {
  const calls: FlowCall[] = [];
  for (const node of flow.nodes) {
    const spec = lookup(node.type);
    if (!spec?.params.some((param) => param.kind === 'flow')) continue;
    const values = withDefaults(spec, node.params);
    for (const param of spec.params) {
      const value = values[param.name];
      if (param.kind !== 'flow' || !isParamActive(param, values) || typeof value !== 'string' || value === '') continue;
      calls.push({ flowId: flow.id, nodeId: node.id, param: param.name, calledFlowId: value });
    }
  }
  return calls;
}

/** One flow reached from a root flow: the first call that reaches it, and what `load` gave for it. */
export interface CalledFlow<T> {
  call: FlowCall;
  /** Undefined when `load` knows no such flow. */
  loaded: T | undefined;
}

/**
 * Every flow `root` calls, directly or through the flows it calls (breadth first), each once, with the first call
 * that reaches it. `load` reads a flow by id. A flow calling itself or an earlier one (a cycle) adds nothing: the
 * root is never listed, since calls to it resolve to the root itself.
 */
export function collectFlowCalls<T extends { flow: FlowFile }>(
  root: FlowFile,
  load: (flowId: string) => T | undefined,
  lookup: SpecLookup,
): CalledFlow<T>[] {
  const seen = new Set([root.id]);
  const found: CalledFlow<T>[] = [];
  const queue: FlowFile[] = [root];
  for (let flow = queue.shift(); flow; flow = queue.shift()) {
    for (const call of flowCalls(flow, lookup)) {
      if (seen.has(call.calledFlowId)) continue;
      seen.add(call.calledFlowId);
      const loaded = load(call.calledFlowId);
      found.push({ call, loaded });
      if (loaded) queue.push(loaded.flow);
    }
  }
  return found;
}
