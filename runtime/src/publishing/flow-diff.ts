import {
  type EdgeRef,
  type FlowDiff,
  type FlowEdge,
  type FlowFile,
  type FlowNode,
  isDeepEqual,
  type NodeChange,
  type NodeRef,
  type ValueChange,
} from '@flowloom/nodes';

/** Differences between two records of values (params or settings), sorted by name. */
export function diffValues(
  from: Record<string, unknown> | undefined,
  to: Record<string, unknown> | undefined,
): ValueChange[] {
  const a = from ?? {};
  const b = to ?? {};
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const changes: ValueChange[] = [];
  for (const name of names) {
    const hasA = a[name] !== undefined;
    const hasB = b[name] !== undefined;
    if (hasA && !hasB) changes.push({ name, change: 'removed', from: a[name] });
    else if (!hasA && hasB) changes.push({ name, change: 'added', to: b[name] });
    else if (hasA && hasB && !isDeepEqual(a[name], b[name]))
      changes.push({ name, change: 'changed', from: a[name], to: b[name] });
  }
  return changes;
}

function edgeKey(edge: FlowEdge): string {
  return `${edge.source}\0${edge.sourcePort}\0${edge.target}\0${edge.targetPort}`;
}

function edgeRef(edge: FlowEdge): EdgeRef {
  return {
    id: edge.id,
    source: edge.source,
    sourcePort: edge.sourcePort,
    target: edge.target,
    targetPort: edge.targetPort,
  };
}

function diffNode(a: FlowNode, b: FlowNode): NodeChange | null {
  const change: NodeChange = {
    nodeId: a.id,
    params: diffValues(a.params, b.params),
    settings: diffValues(
      a.settings as Record<string, unknown> | undefined,
      b.settings as Record<string, unknown> | undefined,
    ),
    isMoved: a.position?.x !== b.position?.x || a.position?.y !== b.position?.y,
  };
  if (a.type !== b.type) change.type = { from: a.type, to: b.type };
  if (a.label !== b.label) change.label = { from: a.label, to: b.label };
  const isChanged =
    change.type !== undefined ||
    change.label !== undefined ||
    change.params.length > 0 ||
    change.settings.length > 0 ||
    change.isMoved;
  return isChanged ? change : null;
}

const FIELDS = ['name', 'description', 'tags', 'meta', 'notes', 'groups'] as const;

/**
 * What changed from `from` to `to`: nodes added, removed or changed (type, params, settings, position), edges added
 * or removed (matched by the ports they connect, not their ids) and top-level fields. Pure: no I/O, inputs untouched.
 */
export function diffFlows(from: FlowFile, to: FlowFile): FlowDiff {
  const before = new Map(from.nodes.map((node) => [node.id, node]));
  const after = new Map(to.nodes.map((node) => [node.id, node]));
  const added: NodeRef[] = [];
  const removed: NodeRef[] = [];
  const changed: NodeChange[] = [];
  for (const node of to.nodes) if (!before.has(node.id)) added.push({ nodeId: node.id, type: node.type });
  for (const node of from.nodes) {
    const next = after.get(node.id);
    if (!next) {
      removed.push({ nodeId: node.id, type: node.type });
      continue;
    }
    const change = diffNode(node, next);
    if (change) changed.push(change);
  }
  const edgesBefore = new Map(from.edges.map((edge) => [edgeKey(edge), edge]));
  const edgesAfter = new Map(to.edges.map((edge) => [edgeKey(edge), edge]));
  const edgesAdded = to.edges.filter((edge) => !edgesBefore.has(edgeKey(edge))).map(edgeRef);
  const edgesRemoved = from.edges.filter((edge) => !edgesAfter.has(edgeKey(edge))).map(edgeRef);
  const fields = diffValues(
    Object.fromEntries(FIELDS.map((name) => [name, from[name]])),
    Object.fromEntries(FIELDS.map((name) => [name, to[name]])),
  );
  const isSameBehaviour =
    added.length === 0 &&
    removed.length === 0 &&
    edgesAdded.length === 0 &&
    edgesRemoved.length === 0 &&
    changed.every((c) => !c.type && c.params.length === 0 && c.settings.length === 0);
  return {
    nodes: { added, removed, changed },
    edges: { added: edgesAdded, removed: edgesRemoved },
    fields,
    isSameBehaviour,
    isEmpty: isSameBehaviour && changed.length === 0 && fields.length === 0,
  };
}

/** One side of a bundle diff: each called flow's draft version and its flow (normalized, like `diffFlows`' sides). */
export type BundleSide = ReadonlyMap<string, { flowVersion: number; flow: FlowFile }>;

/**
 * The called flows that differ between two bundles, as `bundle.<flowId>` changes from one draft version to the
 * other: added, removed, or frozen at another version (or, at the same number, with other content: a flow deleted
 * and created again). Sorted by flow id.
 */
export function diffBundles(from: BundleSide, to: BundleSide): ValueChange[] {
  const changes: ValueChange[] = [];
  for (const flowId of [...new Set([...from.keys(), ...to.keys()])].sort()) {
    const a = from.get(flowId);
    const b = to.get(flowId);
    const name = `bundle.${flowId}`;
    if (a && !b) changes.push({ name, change: 'removed', from: a.flowVersion });
    else if (!a && b) changes.push({ name, change: 'added', to: b.flowVersion });
    else if (a && b && (a.flowVersion !== b.flowVersion || !isDeepEqual(a.flow, b.flow)))
      changes.push({ name, change: 'changed', from: a.flowVersion, to: b.flowVersion });
  }
  return changes;
}
