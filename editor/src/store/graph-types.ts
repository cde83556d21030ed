import type { NodeSettings } from '@flowloom/nodes/spec';
import type { Edge, Node } from '@xyflow/react';

/** React Flow data of a flow node: only the user's choices; spec and run state are looked up by type and id. */
export type FlowNodeData = {
  type: string;
  /** The kind version the node's params are written for: as loaded, or the catalog's for a node added here. */
  typeVersion?: number;
  params: Record<string, unknown>;
  label?: string;
  settings?: NodeSettings;
};
export type FlowCanvasNode = Node<FlowNodeData, 'flow'>;

export type NoteData = { text: string };
export type NoteCanvasNode = Node<NoteData, 'note'>;

export type CanvasNode = FlowCanvasNode | NoteCanvasNode;
export type CanvasEdge = Edge<Record<string, never>, 'value'>;

/** The editable document: what undo/redo snapshots and what becomes the flow file. */
export interface GraphDoc {
  nodes: CanvasNode[];
  edges: CanvasEdge[];
}

/** Flow fields the canvas does not draw, kept as they were loaded so a save round-trips them. */
export interface FlowMeta {
  id: string;
  name: string;
  description?: string;
  version?: number;
  tags?: string[];
  groups?: unknown[];
  meta?: Record<string, unknown>;
}

/** React Flow id of a sticky note; note ids live in their own namespace in the flow file. */
export const NOTE_PREFIX = 'note:';

export function isFlowNode(node: CanvasNode): node is FlowCanvasNode {
  return node.type === 'flow';
}
