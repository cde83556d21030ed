import { isDeepStrictEqual } from 'node:util';
import type { FlowFile, NodeRegistry } from '@flowloom/nodes';

/**
 * What the store keeps of a flow: params equal to their kind's default are dropped (a flow file holds only the
 * user's choices), empty `params` disappear, and `version` is left to the store. Unknown kinds keep their params.
 */
export function normalizeFlow(flow: FlowFile, registry: NodeRegistry): FlowFile {
  const nodes = flow.nodes.map((node) => {
    const spec = registry.get(node.type)?.spec;
    if (!spec || !node.params) return node;
    const params: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(node.params)) {
      const param = spec.params.find((p) => p.name === name);
      if (value === undefined) continue;
      if (param && param.default !== undefined && isDeepStrictEqual(param.default, value)) continue;
      params[name] = value;
    }
    const { params: _dropped, ...rest } = node;
    return Object.keys(params).length > 0 ? { ...rest, params } : rest;
  });
  const { version: _version, ...rest } = flow;
  return { ...rest, nodes };
}
