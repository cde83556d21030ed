import { resolveInputs, resolveOutputs, type Values } from '@flowloom/nodes/spec';
import { create } from 'zustand';
import { rerunFromNode } from '../api/actions';
import { type EditorState, useEditor } from '../store/index';
import { isRunLive } from '../store/run-reducer';
import { usePins } from './pin-store';

/** Which node's "Run this node alone" dialog is open (one at a time). */
export const useRunAloneDialog = create<{ nodeId: string | null }>()(() => ({ nodeId: null }));

export function openRunAlone(nodeId: string): void {
  useRunAloneDialog.setState({ nodeId });
}

export function closeRunAlone(): void {
  useRunAloneDialog.setState({ nodeId: null });
}

/** True when the run on the canvas has ended (not running, queued or paused): "Run from here" reruns it. */
export const selectCanRerun = (s: EditorState): boolean => s.runId !== null && !s.isRunPending && !isRunLive(s.run);

function canRerun(): boolean {
  return selectCanRerun(useEditor.getState());
}

/** "Run from here" on a node (canvas toolbar, span inspector, Shift+R); tells why not when there is no ended run. */
export function runFromHere(nodeId: string): void {
  if (!canRerun()) {
    const s = useEditor.getState();
    s.toast(
      'info',
      s.run.status === 'paused'
        ? 'The run is paused: continue or cancel it first, then run from here.'
        : 'Run the flow first: "Run from here" reruns the run on the canvas.',
    );
    return;
  }
  void rerunFromNode(nodeId);
}

/** The outputs a node had in the run on the canvas, when it completed. */
export function lastOutputs(nodeId: string): Values | undefined {
  const run = useEditor.getState().nodeRuns[nodeId];
  return run?.status === 'completed' ? run.outputs : undefined;
}

/** Pins a node's outputs (from the run on the canvas unless given) for later editor runs; announces it. */
export function pinOutputs(nodeId: string, outputs = lastOutputs(nodeId)): boolean {
  const s = useEditor.getState();
  const flowId = s.meta?.id;
  if (!flowId || !outputs) {
    s.toast('info', 'Nothing to pin yet: run the node first, or type a value in the inspector.');
    return false;
  }
  usePins.getState().pin(flowId, nodeId, outputs);
  s.announce(`Pinned the outputs of ${nodeId}: editor runs reuse them without running it.`);
  return true;
}

export function unpinOutputs(nodeId: string): void {
  const s = useEditor.getState();
  if (!s.meta) return;
  usePins.getState().unpin(s.meta.id, nodeId);
  s.announce(`Unpinned ${nodeId}: it runs again in the next run.`);
}

/** Pins or unpins (Shift+P). */
export function togglePin(nodeId: string): void {
  const flowId = useEditor.getState().meta?.id;
  if (flowId && usePins.getState().pins[flowId]?.[nodeId]) unpinOutputs(nodeId);
  else pinOutputs(nodeId);
}

/**
 * Pins belong to the node they were made on, and node ids come back (`llm`, `llm-2`): a pin is dropped when the flow
 * opens without its node (deleted here or elsewhere), and when a node with its id is newly made (added, pasted,
 * duplicated), so that node runs instead of silently reusing another's outputs. Deleting a node keeps its pin while the
 * flow is open, so undo and redo bring it back pinned. Returns the unsubscribe.
 */
export function prunePinsOfGoneNodes(): () => void {
  const unpinAll = (flowId: string, nodeIds: readonly string[]) => {
    for (const nodeId of nodeIds) usePins.getState().unpin(flowId, nodeId);
  };
  const pinnedIds = (flowId: string) => Object.keys(usePins.getState().pins[flowId] ?? {});
  const pruneOpened = (s: EditorState) => {
    const flowId = s.meta?.id;
    if (!flowId) return;
    const ids = new Set(s.nodes.map((n) => n.id));
    unpinAll(
      flowId,
      pinnedIds(flowId).filter((id) => !ids.has(id)),
    );
  };
  pruneOpened(useEditor.getState());
  return useEditor.subscribe((s, before) => {
    const flowId = s.meta?.id;
    if (!flowId || s.nodes === before.nodes) return;
    if (flowId !== before.meta?.id) return pruneOpened(s);
    // Undo and redo bring back nodes that were there (with their pins); anything else that adds an id makes a node.
    if (s.undoCount !== before.undoCount) return;
    const pinned = pinnedIds(flowId);
    if (pinned.length === 0) return;
    const was = new Set(before.nodes.map((n) => n.id));
    const now = new Set(s.nodes.map((n) => n.id));
    unpinAll(
      flowId,
      pinned.filter((id) => now.has(id) && !was.has(id)),
    );
  });
}

/** The output port names of a node on the canvas (from its params); undefined when it is not there. */
export function nodeOutputNames(s: EditorState, nodeId: string): string[] | undefined {
  const node = s.nodes.find((n) => n.id === nodeId);
  const data = node?.data as { type?: string; params?: Record<string, unknown> } | undefined;
  const spec = data?.type ? s.catalog[data.type] : undefined;
  return spec ? resolveOutputs(spec, data?.params).map((p) => p.name) : undefined;
}

/** The input and output ports of a node on the canvas (resolved from its params), or undefined. */
export function nodePortsOf(nodeId: string) {
  const s = useEditor.getState();
  const node = s.nodes.find((n) => n.id === nodeId);
  const data = node?.data as { type?: string; params?: Record<string, unknown> } | undefined;
  const spec = data?.type ? s.catalog[data.type] : undefined;
  if (!spec) return undefined;
  return { inputs: resolveInputs(spec, data?.params), outputs: resolveOutputs(spec, data?.params) };
}

/**
 * Right-click on a canvas node: selects it, which shows its run actions (the node's toolbar), and moves the focus to
 * the first one, instead of the browser's menu.
 */
export function onNodeContextMenu(event: { preventDefault(): void }, node: { id: string; type?: string }): void {
  if (node.type !== 'flow') return;
  event.preventDefault();
  useEditor.getState().selectOnly(node.id);
  requestAnimationFrame(() => {
    document.querySelector<HTMLButtonElement>('.node-toolbar button:not(:disabled)')?.focus();
  });
}
