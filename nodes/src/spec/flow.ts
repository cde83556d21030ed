import type { NodeSettings } from './node-spec.js';

export const FLOW_FORMAT = 'flowloom.flow/v1';
/** Flow ids (docs/contracts.md §1). */
export const FLOW_ID_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$';

export interface Position {
  x: number;
  y: number;
}

export interface FlowNode {
  id: string;
  type: string;
  /** The version of the kind the node was saved by (`NodeSpec.version`); absent means 1. */
  typeVersion?: number;
  position: Position;
  /** Only what differs from the kind's defaults. */
  params?: Record<string, unknown>;
  /** Engine settings for this node: timeout and retry. */
  settings?: NodeSettings;
  /** A user label shown instead of the id. */
  label?: string;
}

export interface FlowEdge {
  id: string;
  source: string;
  sourcePort: string;
  target: string;
  targetPort: string;
}

export interface StickyNote {
  id: string;
  text: string;
  position: Position;
  size?: { width: number; height: number };
}

/** A flow file (`*.flow.json`, docs/contracts.md §1). */
export interface FlowFile {
  format: typeof FLOW_FORMAT;
  id: string;
  name: string;
  description?: string;
  version?: number;
  tags?: string[];
  nodes: FlowNode[];
  edges: FlowEdge[];
  notes?: StickyNote[];
  groups?: unknown[];
  meta?: Record<string, unknown>;
}

const TOP_ORDER = [
  'format',
  'id',
  'name',
  'description',
  'version',
  'tags',
  'nodes',
  'edges',
  'notes',
  'groups',
  'meta',
];
const NODE_ORDER = ['id', 'type', 'typeVersion', 'label', 'position', 'params', 'settings'];
const EDGE_ORDER = ['id', 'source', 'sourcePort', 'target', 'targetPort'];
const NOTE_ORDER = ['id', 'text', 'position', 'size'];
const POSITION_ORDER = ['x', 'y'];

function ordered(value: Record<string, unknown>, order: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of order) if (value[key] !== undefined) out[key] = value[key];
  for (const key of Object.keys(value).sort()) if (!(key in out) && value[key] !== undefined) out[key] = value[key];
  return out;
}

/** Free-form values (params, meta): keys sorted at every depth, so equal values print the same. */
function sortDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortDeep);
  if (value && typeof value === 'object')
    return ordered(Object.fromEntries(Object.entries(value).map(([k, v]) => [k, sortDeep(v)])), []);
  return value;
}

function orderPosition(position: unknown): unknown {
  return position && typeof position === 'object'
    ? ordered(position as Record<string, unknown>, POSITION_ORDER)
    : position;
}

/** A copy of the flow with every object's keys in the canonical order. */
export function canonicalFlow(flow: FlowFile): FlowFile {
  const top = ordered(flow as unknown as Record<string, unknown>, TOP_ORDER);
  top.nodes = flow.nodes.map((node) => {
    const out = ordered(node as unknown as Record<string, unknown>, NODE_ORDER);
    out.position = orderPosition(node.position);
    if (node.params) out.params = sortDeep(node.params);
    if (node.settings) out.settings = sortDeep(node.settings);
    return out;
  });
  top.edges = flow.edges.map((edge) => ordered(edge as unknown as Record<string, unknown>, EDGE_ORDER));
  if (flow.notes) {
    top.notes = flow.notes.map((note) => {
      const out = ordered(note as unknown as Record<string, unknown>, NOTE_ORDER);
      out.position = orderPosition(note.position);
      return out;
    });
  }
  if (flow.meta) top.meta = sortDeep(flow.meta);
  if (flow.groups) top.groups = sortDeep(flow.groups);
  return top as unknown as FlowFile;
}

/**
 * Writes a flow file: canonical key order, two-space indentation, trailing newline.
 * Deterministic: serialize(parse(serialize(f))) === serialize(f).
 */
export function serializeFlow(flow: FlowFile): string {
  return `${JSON.stringify(canonicalFlow(flow), null, 2)}\n`;
}
