import type { FlowFile, NodeSettings } from '@flowloom/nodes/spec';
import {
  applyEdgeChanges,
  applyNodeChanges,
  type Connection,
  type EdgeChange,
  type NodeChange,
  type XYPosition,
} from '@xyflow/react';
import { addConnection, connectionProblem, flowToCanvas, pasteFragment, uniqueId } from './graph-ops';
import { type CanvasEdge, type CanvasNode, type FlowMeta, type GraphDoc, isFlowNode, NOTE_PREFIX } from './graph-types';
import { breakCoalescing, emptyHistory, type History, recordEdit, redoEdit, undoEdit } from './history';
import type { EditorState, SliceCreator } from './index';
import { EMPTY_RUN_FORM } from './ui-slice';

export interface GraphSlice {
  meta: FlowMeta | null;
  nodes: CanvasNode[];
  edges: CanvasEdge[];
  history: History;
  /** Bumped by every document edit; the save state compares it with `savedRevision`. */
  revision: number;
  savedRevision: number;
  loadFlow: (flow: FlowFile) => void;
  closeFlow: () => void;
  setMeta: (patch: Partial<Pick<FlowMeta, 'name' | 'description'>>) => void;
  onNodesChange: (changes: NodeChange<CanvasNode>[]) => void;
  onEdgesChange: (changes: EdgeChange<CanvasEdge>[]) => void;
  /**
   * Adds an edge unless the connection is refused; returns the refusal reason or null. Edits with the same
   * `historyKey` less than a second apart are one undo step (arrowing through a list of sources).
   */
  connect: (connection: Connection, historyKey?: string) => string | null;
  /** Removes edges by id (one undo step). */
  disconnect: (edgeIds: readonly string[]) => void;
  addNode: (type: string, position: XYPosition) => string;
  setParam: (nodeId: string, name: string, value: unknown) => void;
  setSettings: (nodeId: string, settings: NodeSettings) => void;
  setLabel: (nodeId: string, label: string) => void;
  addNote: (position: XYPosition, text?: string) => string;
  setNoteText: (noteId: string, text: string) => void;
  deleteSelection: () => void;
  selectOnly: (nodeId: string | null) => void;
  selectAll: () => void;
  paste: (fragment: FlowFile, offset: XYPosition) => void;
  moveNodes: (positions: Record<string, XYPosition>) => void;
  undo: () => void;
  redo: () => void;
  endGesture: () => void;
  markSaved: (revision: number, version: number | undefined) => void;
}

type Set = Parameters<SliceCreator<GraphSlice>>[0];
type Get = () => EditorState;

/** Applies a document edit and records the state before it for undo. */
function commit(set: Set, get: Get, key: string | null, doc: Partial<GraphDoc>, action: string): void {
  const s = get();
  const before: GraphDoc = { nodes: s.nodes, edges: s.edges };
  set(
    {
      ...doc,
      history: recordEdit(s.history, before, key, Date.now()),
      revision: s.revision + 1,
    },
    false,
    action,
  );
}

function mapNode(nodes: CanvasNode[], id: string, update: (node: CanvasNode) => CanvasNode): CanvasNode[] {
  return nodes.map((n) => (n.id === id ? update(n) : n));
}

export const createGraphSlice: SliceCreator<GraphSlice> = (set, get) => ({
  meta: null,
  nodes: [],
  edges: [],
  history: emptyHistory(),
  revision: 0,
  savedRevision: 0,

  loadFlow: (flow) => {
    const { nodes, edges, meta } = flowToCanvas(flow);
    // What was typed in the Run tab belongs to the flow it was typed for.
    const runForm = get().meta?.id === meta.id ? get().runForm : EMPTY_RUN_FORM;
    set({ nodes, edges, meta, runForm, history: emptyHistory(), revision: 0, savedRevision: 0 }, false, 'loadFlow');
  },
  closeFlow: () => set({ meta: null, nodes: [], edges: [], history: emptyHistory(), revision: 0, savedRevision: 0 }),

  setMeta: (patch) => {
    const meta = get().meta;
    if (meta) set({ meta: { ...meta, ...patch }, revision: get().revision + 1 }, false, 'setMeta');
  },

  onNodesChange: (changes) => {
    let key: string | null | undefined;
    let isGestureEnd = false;
    for (const change of changes) {
      if (change.type === 'position' && change.position) {
        key = 'move';
        if (change.dragging === false) isGestureEnd = true;
      } else if (change.type === 'dimensions' && change.resizing !== undefined) {
        key = 'resize';
        if (!change.resizing) isGestureEnd = true;
      } else if (change.type === 'remove' || change.type === 'add' || change.type === 'replace') {
        key = null;
      }
    }
    const nodes = applyNodeChanges(changes, get().nodes);
    if (key === undefined) set({ nodes }, false, 'nodes/ui');
    else commit(set, get, key, { nodes }, 'nodes/edit');
    if (isGestureEnd) get().endGesture();
  },

  onEdgesChange: (changes) => {
    const isEdit = changes.some((c) => c.type !== 'select');
    const edges = applyEdgeChanges(changes, get().edges);
    if (isEdit) commit(set, get, null, { edges }, 'edges/edit');
    else set({ edges }, false, 'edges/select');
  },

  connect: (connection, historyKey) => {
    const s = get();
    const problem = connectionProblem(s.catalog, s.nodes, s.edges, connection);
    if (problem) return problem;
    const edges = addConnection(s.catalog, s.nodes, s.edges, connection);
    if (edges !== s.edges) commit(set, get, historyKey ?? null, { edges }, 'connect');
    return null;
  },

  disconnect: (edgeIds) => {
    const gone = new Set(edgeIds);
    const edges = get().edges.filter((e) => !gone.has(e.id));
    if (edges.length !== get().edges.length) commit(set, get, null, { edges }, 'disconnect');
  },

  addNode: (type, position) => {
    const s = get();
    const id = uniqueId(type, new Set(s.nodes.map((n) => n.id)));
    // Written for the catalog's version of the kind: the runtime migrates only nodes saved by an older one.
    const typeVersion = s.catalog[type]?.version;
    const data = { type, params: {}, ...(typeVersion !== undefined && { typeVersion }) };
    const node: CanvasNode = { id, type: 'flow', position, data, selected: true };
    const nodes = [...s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), node];
    commit(set, get, null, { nodes }, 'addNode');
    return id;
  },

  setParam: (nodeId, name, value) => {
    const nodes = mapNode(get().nodes, nodeId, (n) => {
      if (!isFlowNode(n)) return n;
      const params = { ...n.data.params };
      if (value === undefined) delete params[name];
      else params[name] = value;
      return { ...n, data: { ...n.data, params } };
    });
    commit(set, get, `param:${nodeId}:${name}`, { nodes }, 'setParam');
  },

  setSettings: (nodeId, settings) => {
    const nodes = mapNode(get().nodes, nodeId, (n) => (isFlowNode(n) ? { ...n, data: { ...n.data, settings } } : n));
    commit(set, get, `settings:${nodeId}`, { nodes }, 'setSettings');
  },

  setLabel: (nodeId, label) => {
    const nodes = mapNode(get().nodes, nodeId, (n) => {
      if (!isFlowNode(n)) return n;
      const data = { ...n.data };
      if (label) data.label = label;
      else delete data.label;
      return { ...n, data };
    });
    commit(set, get, `label:${nodeId}`, { nodes }, 'setLabel');
  },

  addNote: (position, text = '') => {
    const s = get();
    const id = NOTE_PREFIX + uniqueId('note', new Set(s.nodes.map((n) => n.id.slice(NOTE_PREFIX.length))));
    const note: CanvasNode = { id, type: 'note', position, data: { text }, width: 220, height: 120, zIndex: -1 };
    commit(set, get, null, { nodes: [...s.nodes, note] }, 'addNote');
    return id;
  },

  setNoteText: (noteId, text) => {
    const nodes = mapNode(get().nodes, noteId, (n) => (n.type === 'note' ? { ...n, data: { text } } : n));
    commit(set, get, `note:${noteId}`, { nodes }, 'setNoteText');
  },

  deleteSelection: () => {
    const s = get();
    const removed = new Set(s.nodes.filter((n) => n.selected).map((n) => n.id));
    const edges = s.edges.filter((e) => !e.selected && !removed.has(e.source) && !removed.has(e.target));
    if (removed.size === 0 && edges.length === s.edges.length) return;
    commit(set, get, null, { nodes: s.nodes.filter((n) => !removed.has(n.id)), edges }, 'deleteSelection');
  },

  selectOnly: (nodeId) =>
    set(
      {
        nodes: get().nodes.map((n) => (n.selected === (n.id === nodeId) ? n : { ...n, selected: n.id === nodeId })),
        edges: get().edges.map((e) => (e.selected ? { ...e, selected: false } : e)),
      },
      false,
      'selectOnly',
    ),
  selectAll: () =>
    set({ nodes: get().nodes.map((n) => (n.selected ? n : { ...n, selected: true })) }, false, 'selectAll'),

  paste: (fragment, offset) => {
    const s = get();
    const pasted = pasteFragment(fragment, { nodes: s.nodes, edges: s.edges }, offset);
    if (pasted.nodes.length === 0) return;
    const nodes = [...s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), ...pasted.nodes];
    const edges = [...s.edges.map((e) => (e.selected ? { ...e, selected: false } : e)), ...pasted.edges];
    commit(set, get, null, { nodes, edges }, 'paste');
  },

  moveNodes: (positions) => {
    const nodes = get().nodes.map((n) => (positions[n.id] ? { ...n, position: positions[n.id] as XYPosition } : n));
    commit(set, get, null, { nodes }, 'moveNodes');
  },

  undo: () => {
    const s = get();
    const result = undoEdit(s.history, { nodes: s.nodes, edges: s.edges });
    if (result) set({ ...result.doc, history: result.history, revision: s.revision + 1 }, false, 'undo');
  },
  redo: () => {
    const s = get();
    const result = redoEdit(s.history, { nodes: s.nodes, edges: s.edges });
    if (result) set({ ...result.doc, history: result.history, revision: s.revision + 1 }, false, 'redo');
  },
  endGesture: () => set({ history: breakCoalescing(get().history) }, false, 'endGesture'),

  markSaved: (revision, version) => {
    const meta = get().meta;
    set(
      { savedRevision: revision, meta: meta && version !== undefined ? { ...meta, version } : meta },
      false,
      'markSaved',
    );
  },
});
