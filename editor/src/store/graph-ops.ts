import {
  connectProblem,
  FLOW_FORMAT,
  type FlowFile,
  type FlowNode,
  type NodeSpec,
  normalizeFlow,
  type PortSpec,
  resolveInputs,
  resolveOutputs,
  type SpecLookup,
} from '@flowloom/nodes/spec';
import type { Connection } from '@xyflow/react';
import {
  type CanvasEdge,
  type CanvasNode,
  type FlowCanvasNode,
  type FlowMeta,
  type GraphDoc,
  isFlowNode,
  NOTE_PREFIX,
  type NoteCanvasNode,
} from './graph-types';

export type Catalog = Record<string, NodeSpec>;

export function edgeId(source: string, sourcePort: string, target: string, targetPort: string): string {
  return `${source}.${sourcePort}->${target}.${targetPort}`;
}

function toCanvasEdge(edge: {
  id: string;
  source: string;
  sourcePort: string;
  target: string;
  targetPort: string;
}): CanvasEdge {
  return {
    id: edge.id,
    source: edge.source,
    sourceHandle: edge.sourcePort,
    target: edge.target,
    targetHandle: edge.targetPort,
    type: 'value',
  };
}

function toCanvasNode(node: FlowNode): FlowCanvasNode {
  const data: FlowCanvasNode['data'] = { type: node.type, params: { ...(node.params ?? {}) } };
  if (node.typeVersion !== undefined) data.typeVersion = node.typeVersion;
  if (node.label !== undefined) data.label = node.label;
  if (node.settings !== undefined) data.settings = { ...node.settings };
  // A size guess until React Flow measures the node, so a large flow can skip drawing what is off screen.
  return { id: node.id, type: 'flow', position: { ...node.position }, data, initialWidth: 236, initialHeight: 160 };
}

/** A flow file as React Flow nodes and edges, plus the fields the canvas keeps aside. */
export function flowToCanvas(flow: FlowFile): GraphDoc & { meta: FlowMeta } {
  const nodes: CanvasNode[] = flow.nodes.map(toCanvasNode);
  for (const note of flow.notes ?? []) {
    const node: NoteCanvasNode = {
      id: NOTE_PREFIX + note.id,
      type: 'note',
      position: { ...note.position },
      data: { text: note.text },
      zIndex: -1,
    };
    if (note.size) {
      node.width = note.size.width;
      node.height = note.size.height;
    }
    nodes.push(node);
  }
  const meta: FlowMeta = { id: flow.id, name: flow.name };
  if (flow.description !== undefined) meta.description = flow.description;
  if (flow.version !== undefined) meta.version = flow.version;
  if (flow.tags !== undefined) meta.tags = flow.tags;
  if (flow.groups !== undefined) meta.groups = flow.groups;
  if (flow.meta !== undefined) meta.meta = flow.meta;
  return { nodes, edges: flow.edges.map(toCanvasEdge), meta };
}

/** A SpecLookup over the catalog, for the flow model functions of `@flowloom/nodes/spec`. */
export function catalogLookup(catalog: Catalog): SpecLookup {
  return (type) => (Object.hasOwn(catalog, type) ? catalog[type] : undefined);
}

const round = (n: number) => Math.round(n * 10) / 10;

/** The document as a flow file: user choices only (no selection, sizes or catalog copies). */
export function canvasToFlow(meta: FlowMeta, doc: GraphDoc, catalog: Catalog): FlowFile {
  const flow: FlowFile = { format: FLOW_FORMAT, id: meta.id, name: meta.name, nodes: [], edges: [] };
  if (meta.description !== undefined) flow.description = meta.description;
  if (meta.version !== undefined) flow.version = meta.version;
  if (meta.tags !== undefined) flow.tags = meta.tags;
  const notes: NonNullable<FlowFile['notes']> = [];
  for (const node of doc.nodes) {
    const position = { x: round(node.position.x), y: round(node.position.y) };
    if (isFlowNode(node)) {
      const out: FlowNode = { id: node.id, type: node.data.type, position, params: node.data.params };
      if (node.data.typeVersion !== undefined) out.typeVersion = node.data.typeVersion;
      if (node.data.label) out.label = node.data.label;
      if (node.data.settings && Object.keys(node.data.settings).length > 0) out.settings = node.data.settings;
      flow.nodes.push(out);
    } else {
      const note: NonNullable<FlowFile['notes']>[number] = {
        id: node.id.slice(NOTE_PREFIX.length),
        text: node.data.text,
        position,
      };
      const width = node.width ?? node.measured?.width;
      const height = node.height ?? node.measured?.height;
      if (width && height) note.size = { width: Math.round(width), height: Math.round(height) };
      notes.push(note);
    }
  }
  flow.edges = doc.edges.map((e) => ({
    id: e.id,
    source: e.source,
    sourcePort: e.sourceHandle ?? '',
    target: e.target,
    targetPort: e.targetHandle ?? '',
  }));
  if (notes.length > 0) flow.notes = notes;
  if (meta.groups !== undefined) flow.groups = meta.groups;
  if (meta.meta !== undefined) flow.meta = meta.meta;
  // Only what differs from the kinds' defaults (docs/contracts.md §1), by the same rule the runtime stores flows with.
  return normalizeFlow(flow, catalogLookup(catalog));
}

/** `base`, or `base-2`, `base-3`... whichever is free. */
export function uniqueId(base: string, taken: ReadonlySet<string>): string {
  const clean = base.replace(/[^A-Za-z0-9_.-]/g, '-') || 'node';
  if (!taken.has(clean)) return clean;
  for (let i = 2; ; i++) if (!taken.has(`${clean}-${i}`)) return `${clean}-${i}`;
}

/** A lowercase slug usable as a flow id (docs/contracts.md §1). */
export function slugify(name: string): string {
  // Decompose (ü → u + ¨, № → No, ﬁ → fi) and drop the combining marks, which would otherwise become dashes.
  const slug = name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48);
  return /^[a-z0-9]/.test(slug) ? slug : `flow-${slug}`.replace(/-+$/, '');
}

/** The nodes reachable from `start` along the edges, `start` included. */
function downstreamOf(edges: readonly CanvasEdge[], start: string): Set<string> {
  const next = new Map<string, string[]>();
  for (const e of edges) {
    const targets = next.get(e.source);
    if (targets) targets.push(e.target);
    else next.set(e.source, [e.target]);
  }
  const seen = new Set<string>();
  const stack = [start];
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const target of next.get(id) ?? []) stack.push(target);
  }
  return seen;
}

/** Whether adding source → target would close a cycle. */
export function wouldCycle(edges: readonly CanvasEdge[], source: string, target: string): boolean {
  return source === target || downstreamOf(edges, target).has(source);
}

export function findPort(ports: readonly PortSpec[], name: string | null | undefined): PortSpec | undefined {
  return ports.find((p) => p.name === name);
}

/** Why a drag-connection is refused, in words for the user; null when it is fine. */
export function connectionProblem(
  catalog: Catalog,
  nodes: readonly CanvasNode[],
  edges: readonly CanvasEdge[],
  connection: Pick<Connection, 'source' | 'target' | 'sourceHandle' | 'targetHandle'>,
): string | null {
  const source = nodes.find((n) => n.id === connection.source);
  const target = nodes.find((n) => n.id === connection.target);
  if (!source || !target || !isFlowNode(source) || !isFlowNode(target)) return 'notes have no ports';
  if (source.id === target.id) return 'a node cannot feed itself';
  const sourceSpec = catalog[source.data.type];
  const targetSpec = catalog[target.data.type];
  if (!sourceSpec || !targetSpec) return 'unknown node kind';
  const out = findPort(resolveOutputs(sourceSpec, source.data.params), connection.sourceHandle);
  const input = findPort(resolveInputs(targetSpec, target.data.params), connection.targetHandle);
  if (!out || !input) return 'unknown port';
  const typeProblem = connectProblem(out.dataType, input.dataType);
  if (typeProblem) return typeProblem;
  if (wouldCycle(edges, source.id, target.id)) return 'this connection would create a cycle';
  return null;
}

/** An output that may feed a given input: its node, port and data type. */
export interface SourceChoice {
  source: string;
  sourceHandle: string;
  /** The node's label, else its id. */
  nodeName: string;
  dataType: string;
}

/** What an edge's source is, as a `SourceChoice` would say it; undefined when its node or port is gone. */
export function describeSource(
  catalog: Catalog,
  nodes: readonly CanvasNode[],
  source: string,
  sourceHandle: string,
): SourceChoice | undefined {
  const node = nodes.find((n) => n.id === source);
  if (!node || !isFlowNode(node)) return undefined;
  const spec = catalog[node.data.type];
  const out = spec && findPort(resolveOutputs(spec, node.data.params), sourceHandle);
  if (!out) return undefined;
  return { source, sourceHandle, nodeName: node.data.label || node.id, dataType: out.dataType };
}

/**
 * Every output of another node that the input `targetPort` of `target` accepts, by the same rules as a drag
 * (`connectionProblem`: types, cycles), in the order of the nodes.
 */
export function sourceChoices(
  catalog: Catalog,
  nodes: readonly CanvasNode[],
  edges: readonly CanvasEdge[],
  target: string,
  targetPort: string,
): SourceChoice[] {
  // connectionProblem's rules for every output at once, in O(nodes + edges): a 500-node flow made this list a
  // connectionProblem call per output, each scanning the nodes and rebuilding the edge map (O(n²), 90 ms per change).
  const targetNode = nodes.find((n) => n.id === target);
  if (!targetNode || !isFlowNode(targetNode)) return [];
  const targetSpec = catalog[targetNode.data.type];
  const input = targetSpec && findPort(resolveInputs(targetSpec, targetNode.data.params), targetPort);
  if (!input) return [];
  // A source downstream of the target would close a cycle.
  const downstream = downstreamOf(edges, target);
  const choices: SourceChoice[] = [];
  for (const node of nodes) {
    if (!isFlowNode(node) || downstream.has(node.id)) continue;
    const spec = catalog[node.data.type];
    if (!spec) continue;
    for (const out of resolveOutputs(spec, node.data.params)) {
      if (connectProblem(out.dataType, input.dataType) !== null) continue;
      choices.push({
        source: node.id,
        sourceHandle: out.name,
        nodeName: node.data.label || node.id,
        dataType: out.dataType,
      });
    }
  }
  return choices;
}

/**
 * Adds an edge for a valid connection. A port that takes one value has its old edge replaced; a port marked
 * `multiple` collects edges. Connecting the same ports twice changes nothing.
 */
export function addConnection(
  catalog: Catalog,
  nodes: readonly CanvasNode[],
  edges: readonly CanvasEdge[],
  connection: Connection,
): CanvasEdge[] {
  const { source, target } = connection;
  const sourcePort = connection.sourceHandle ?? '';
  const targetPort = connection.targetHandle ?? '';
  const id = edgeId(source, sourcePort, target, targetPort);
  if (edges.some((e) => e.id === id)) return edges as CanvasEdge[];
  const targetNode = nodes.find((n) => n.id === target);
  const spec = targetNode && isFlowNode(targetNode) ? catalog[targetNode.data.type] : undefined;
  const isMultiple =
    spec && targetNode && isFlowNode(targetNode)
      ? findPort(resolveInputs(spec, targetNode.data.params), targetPort)?.multiple === true
      : false;
  const kept = isMultiple ? edges : edges.filter((e) => !(e.target === target && e.targetHandle === targetPort));
  return [...kept, toCanvasEdge({ id, source, sourcePort, target, targetPort })];
}

/** The selected nodes, notes and the edges between them, as a flow file fragment for the clipboard. */
export function copySelection(doc: GraphDoc, catalog: Catalog): FlowFile | null {
  const nodes = doc.nodes.filter((n) => n.selected);
  if (nodes.length === 0) return null;
  const ids = new Set(nodes.map((n) => n.id));
  const edges = doc.edges.filter((e) => ids.has(e.source) && ids.has(e.target));
  return canvasToFlow({ id: 'clipboard', name: 'Copied nodes' }, { nodes, edges }, catalog);
}

/** Nodes and edges of a pasted fragment, with fresh ids, shifted by `offset` and selected. */
export function pasteFragment(fragment: FlowFile, doc: GraphDoc, offset: { x: number; y: number }): GraphDoc {
  const taken = new Set(doc.nodes.map((n) => n.id));
  const rename = new Map<string, string>();
  const pasted = flowToCanvas(fragment);
  const nodes: CanvasNode[] = pasted.nodes.map((node) => {
    const base = isFlowNode(node) ? node.id : node.id;
    const id = uniqueId(base, taken);
    taken.add(id);
    rename.set(node.id, id);
    return { ...node, id, selected: true, position: { x: node.position.x + offset.x, y: node.position.y + offset.y } };
  });
  const edges = pasted.edges
    .filter((e) => rename.has(e.source) && rename.has(e.target))
    .map((e) => {
      const source = rename.get(e.source) as string;
      const target = rename.get(e.target) as string;
      return {
        ...e,
        id: edgeId(source, e.sourceHandle ?? '', target, e.targetHandle ?? ''),
        source,
        target,
        selected: true,
      };
    });
  return { nodes, edges };
}

/** Whether a parsed value looks like a flow file (or a fragment of one) we can paste or import. */
export function isFlowLike(value: unknown): value is FlowFile {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return v.format === FLOW_FORMAT && Array.isArray(v.nodes) && Array.isArray(v.edges);
}
