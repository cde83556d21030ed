import type { FlowFile, FlowNode } from './flow.js';
import type { NodeSpec, SpecLookup } from './node-spec.js';
import { withDefaults } from './ports.js';

/**
 * Deep equality of JSON values: objects are equal when they hold the same keys with equal values, in any key order
 * (a key holding `undefined` counts as absent, as in JSON); arrays when they hold equal values in the same order.
 */
export function isDeepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((value, i) => isDeepEqual(value, b[i]));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left).filter((key) => left[key] !== undefined);
  if (keys.length !== Object.keys(right).filter((key) => right[key] !== undefined).length) return false;
  return keys.every((key) => Object.hasOwn(right, key) && isDeepEqual(left[key], right[key]));
}

/** Whether a node was written for its kind's current version (`typeVersion` absent means 1). */
function isAtKindVersion(node: FlowNode, spec: NodeSpec): boolean {
  return (node.typeVersion ?? 1) === spec.version;
}

/**
 * What a flow file keeps of a node's params: params equal to their kind's default are dropped (a flow file holds only
 * the user's choices, docs/contracts.md §1), and so are undefined ones and an empty `params`. Only a node at its
 * kind's version is compared with the defaults: an older node's params were chosen against the older defaults (its
 * migration may write the old default into a param it leaves out), a newer node's against newer ones, so those keep
 * every param, like nodes of unknown kinds.
 */
export function normalizeFlow(flow: FlowFile, lookup: SpecLookup): FlowFile {
  const nodes = flow.nodes.map((node) => {
    if (!node.params) return node;
    const spec = lookup(node.type);
    const defaults = spec && isAtKindVersion(node, spec) ? spec.params : [];
    const params: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(node.params)) {
      if (value === undefined) continue;
      const param = defaults.find((p) => p.name === name);
      if (param && param.default !== undefined && isDeepEqual(param.default, value)) continue;
      params[name] = value;
    }
    const { params: _dropped, ...rest } = node;
    return Object.keys(params).length > 0 ? { ...rest, params } : rest;
  });
  return { ...flow, nodes };
}

/**
 * The flow with every node's params complete: each param its kind defines, with the kind's default where the node
 * leaves it out, and the kind's version as `typeVersion`. What a published version freezes, so that a later change of
 * a kind's default never changes a published endpoint (`normalizeFlow` is the way back). Only nodes at their kind's
 * version are filled: migrate the flow first (`migrateFlow`), since an older node's missing params mean the older
 * defaults. Nodes of another version (a newer one stays newer, validation reports it) and of unknown kinds stay as
 * they are.
 */
export function fillDefaults(flow: FlowFile, lookup: SpecLookup): FlowFile {
  const nodes = flow.nodes.map((node) => {
    const spec = lookup(node.type);
    if (!spec || !isAtKindVersion(node, spec)) return node;
    const params = withDefaults(spec, node.params);
    const { params: _given, ...rest } = node;
    return { ...rest, typeVersion: spec.version, ...(Object.keys(params).length > 0 && { params }) };
  });
  return { ...flow, nodes };
}
