import { FlowNode } from './FlowNode';
import { NoteNode } from './NoteNode';
import { ValueEdge } from './ValueEdge';

// Module scope, so React Flow never sees a new object and never remounts every node.
export const nodeTypes = { flow: FlowNode, note: NoteNode };
export const edgeTypes = { value: ValueEdge };
