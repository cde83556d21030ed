import { type ChatShape, chatShape, type FlowFile, type FlowInputSpec, flowInputs } from '@flowloom/nodes/spec';
import { formatMs } from '../ui/format';
import { type Catalog, canvasToFlow, catalogLookup } from './graph-ops';
import { type CanvasNode, isFlowNode } from './graph-types';
import type { EditorState } from './index';
import { isRunLive } from './run-reducer';

export type SaveStatus = 'saved' | 'unsaved' | 'saving' | 'conflict' | 'error';

export const selectSaveStatus = (s: EditorState): SaveStatus => {
  if (s.saveConflict) return 'conflict';
  if (s.isSaving) return 'saving';
  if (s.saveError) return 'error';
  return s.revision === s.savedRevision ? 'saved' : 'unsaved';
};

/**
 * What the selection is, worked out once per node list: every store update runs each subscriber's selector, and a
 * click makes several updates, each seen by several subscribers (500 nodes: a walk each time otherwise).
 */
let selection: { nodes: readonly CanvasNode[]; id: string | null; count: number } | undefined;

function selectionOf(nodes: readonly CanvasNode[]): { id: string | null; count: number } {
  if (selection?.nodes === nodes) return selection;
  let id: string | null = null;
  let count = 0;
  let flowNodes = 0;
  for (const node of nodes) {
    if (!node.selected) continue;
    count++;
    if (isFlowNode(node)) {
      flowNodes++;
      id = node.id;
    }
  }
  selection = { nodes, id: count === 1 && flowNodes === 1 ? id : null, count };
  return selection;
}

/** The one selected flow node, for the inspector; null with zero or several selected. */
export const selectSelectedNodeId = (s: EditorState): string | null => selectionOf(s.nodes).id;

export const selectSelectionCount = (s: EditorState): number => selectionOf(s.nodes).count;

/**
 * Whether two node lists hold the same nodes with the same data. Selecting or moving nodes makes new node objects (and
 * a new list) but keeps each node's `data`, which is all that kinds, params, labels and ports come from.
 */
export function sameNodeData(a: readonly CanvasNode[], b: readonly CanvasNode[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as CanvasNode;
    const y = b[i] as CanvasNode;
    if (x.id !== y.id || x.data !== y.data || x.type !== y.type) return false;
  }
  return true;
}

const dataTokens = new WeakMap<readonly CanvasNode[], object>();
let lastTokenNodes: readonly CanvasNode[] | undefined;

/**
 * A token that stays the same object for node lists with the same data (`sameNodeData` with the list before), so that
 * the selectors that depend on the data alone compare one reference: the lists are compared once per list, not once
 * per selector and update.
 */
export function nodeDataToken(nodes: readonly CanvasNode[]): object {
  let token = dataTokens.get(nodes);
  if (token) {
    // A list seen before (an undo brings one back): the next list is compared with it.
    lastTokenNodes = nodes;
    return token;
  }
  const before = lastTokenNodes && dataTokens.get(lastTokenNodes);
  token = before && lastTokenNodes && sameNodeData(lastTokenNodes, nodes) ? before : {};
  dataTokens.set(nodes, token);
  lastTokenNodes = nodes;
  return token;
}

/**
 * A selector of what the nodes' data and the catalog say (names, models), worked out again only when those change: not
 * on a move, a selection or a run's events, which the store's selectors all see (500 nodes: a walk per click).
 */
export function byNodeData<T>(select: (nodes: readonly CanvasNode[], catalog: Catalog) => T): (s: EditorState) => T {
  let last: { token: object; catalog: Catalog; value: T } | undefined;
  return (s) => {
    const token = nodeDataToken(s.nodes);
    if (last?.catalog === s.catalog && last.token === token) return last.value;
    last = { token, catalog: s.catalog, value: select(s.nodes, s.catalog) };
    return last.value;
  };
}

export const selectCanUndo = (s: EditorState) => s.history.past.length > 0;
export const selectCanRedo = (s: EditorState) => s.history.future.length > 0;
export const selectIsRunning = (s: EditorState) => s.isRunPending || isRunLive(s.run);

/** The last canvas turned into a flow file, and what was read from it: selectors run on every store update. */
let derived: {
  source: Pick<EditorState, 'meta' | 'nodes' | 'edges' | 'catalog'>;
  flow: FlowFile | null;
  chat?: ChatShape | null;
  inputs?: FlowInputSpec[];
} | null = null;

function derive(s: EditorState): NonNullable<typeof derived> {
  const source = derived?.source;
  if (
    derived &&
    source?.meta === s.meta &&
    source.nodes === s.nodes &&
    source.edges === s.edges &&
    source.catalog === s.catalog
  )
    return derived;
  const flow = s.meta ? canvasToFlow(s.meta, { nodes: s.nodes, edges: s.edges }, s.catalog) : null;
  derived = { source: { meta: s.meta, nodes: s.nodes, edges: s.edges, catalog: s.catalog }, flow };
  return derived;
}

/** The flow on the canvas as a flow file (null with no flow open); the same object until the canvas changes. */
export const selectFlow = (s: EditorState): FlowFile | null => derive(s).flow;

/** The chat shape of the flow on the canvas (`chatShape` of the spec, the runtime's rule); null when not a chat flow. */
export const selectChatShape = (s: EditorState): ChatShape | null => {
  const d = derive(s);
  if (d.chat === undefined) d.chat = d.flow ? chatShape(d.flow, catalogLookup(s.catalog)) : null;
  return d.chat;
};

/** The run inputs of the flow on the canvas (`flowInputs` of the spec); the same array until the canvas changes. */
export const selectFlowInputs = (s: EditorState): FlowInputSpec[] => {
  const d = derive(s);
  d.inputs ??= d.flow ? flowInputs(d.flow, catalogLookup(s.catalog)) : [];
  return d.inputs;
};

/** The run on the canvas in words, for the screen-reader status line: '' when there is none. */
export const selectRunStatusText = (s: EditorState): string => {
  if (s.isRunPending) return 'Starting the run…';
  if (!s.runId) return '';
  const run = s.isReplay ? 'Replayed run' : 'Run';
  switch (s.run.status) {
    case 'queued':
    case 'running':
      return `${run} running…`;
    case 'completed': {
      const took = formatMs(s.run.durationMs);
      return `${run} completed${took ? ` in ${took}` : ''}.`;
    }
    case 'failed':
      return `${run} failed: ${s.run.error?.message ?? 'unknown error'}`;
    case 'cancelled':
      return `${run} cancelled.`;
    case 'paused':
      return `${run} paused.`;
    default:
      return '';
  }
};
