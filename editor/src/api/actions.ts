import { type FlowFile, resolveOutputs, serializeFlow } from '@flowloom/nodes/spec';
import { boundsOfBoxes, ESTIMATED_SIZE, placeBeside } from '../canvas/placement';
import { pinsForRun, usePins } from '../pins/pin-store';
import { formValuesOf } from '../run/run-inputs';
import { canvasToFlow, copySelection, isFlowLike } from '../store/graph-ops';
import { isFlowNode } from '../store/graph-types';
import { useEditor } from '../store/index';
import type { RunInfo } from '../store/run-reducer';
import { selectFlowInputs } from '../store/selectors';
import { api, HttpError, type ResumeRequest, type RunAccepted, type RunDetail, type RunRequest } from './http';
import { followRun, replayOnCanvas, unwatchFlow, watchFlow } from './traces';

const get = () => useEditor.getState();

/** The flow file of what is on the canvas now. */
export function currentFlow(): FlowFile | null {
  const s = get();
  return s.meta ? canvasToFlow(s.meta, { nodes: s.nodes, edges: s.edges }, s.catalog) : null;
}

export async function loadCatalog(): Promise<void> {
  if (get().isCatalogLoaded) return;
  get().setCatalog(await api.nodes());
}

export async function openFlow(id: string): Promise<void> {
  const [, flow] = await Promise.all([loadCatalog(), api.flow(id)]);
  const s = get();
  s.clearRun();
  s.setSaveConflict(false);
  s.setSaveError(null);
  s.setProblems([]);
  s.loadFlow(flow);
  flushed = null;
  watchFlow(id);
  void validateNow();
}

/** Leaves a flow; does nothing when another flow has been opened since (a quick switch must not clear it). */
export function closeFlow(flowId?: string): void {
  if (flowId !== undefined && get().meta?.id !== flowId) return;
  cancelAutosave();
  unwatchFlow();
  flushed = null;
  get().clearRun();
  get().closeFlow();
}

// --- saving -------------------------------------------------------------------------------------------------

let saveTimer: ReturnType<typeof setTimeout> | undefined;
let validateTimer: ReturnType<typeof setTimeout> | undefined;
let saving: Promise<boolean> | null = null;
export const AUTOSAVE_MS = 1200;

function cancelAutosave(): void {
  clearTimeout(saveTimer);
  clearTimeout(validateTimer);
}

/** Saves the canvas now (Ctrl+S). Resolves true when the stored flow matches the canvas. */
export async function saveNow(options: { overwrite?: boolean } = {}): Promise<boolean> {
  clearTimeout(saveTimer);
  // Every save in flight first (another may start while this one waits): two saves of one version would conflict.
  while (saving) await saving;
  const s = get();
  if (!s.meta || (s.saveConflict && !options.overwrite)) return false;
  if (s.revision === s.savedRevision && !options.overwrite) return true;
  return track(doSave(options.overwrite === true));
}

/** Makes `save` the one later saves wait for. */
function track(save: Promise<boolean>): Promise<boolean> {
  saving = save;
  void save.finally(() => {
    if (saving === save) saving = null;
  });
  return save;
}

function doSave(overwrite: boolean): Promise<boolean> {
  const revision = get().revision;
  const flow = currentFlow();
  if (!flow) return Promise.resolve(false);
  const request = (async () => {
    if (overwrite) flow.version = (await api.flow(flow.id)).version; // the user chose to replace the other edit
    return api.saveFlow(flow);
  })();
  return settleSave(revision, request);
}

/** Applies the answer to a save of `revision`, unless another flow has been opened meanwhile. */
async function settleSave(revision: number, request: Promise<FlowFile>): Promise<boolean> {
  const flowId = get().meta?.id;
  const isStillOpen = () => get().meta?.id === flowId;
  get().setSaving(true);
  try {
    const saved = await request;
    if (!isStillOpen()) return true;
    get().markSaved(revision, saved.version);
    get().setSaveError(null);
    get().setSaveConflict(false);
    return get().revision === revision;
  } catch (err) {
    if (!isStillOpen()) return false;
    if (err instanceof HttpError && err.status === 409) get().setSaveConflict(true);
    else get().setSaveError(err instanceof Error ? err.message : String(err));
    return false;
  } finally {
    get().setSaving(false);
  }
}

/** What a keepalive request may carry: browsers refuse bodies above 64 KiB (all such requests of the page together). */
const KEEPALIVE_MAX_BYTES = 60_000;
/** The flow and revision the last flush sent, so that one page exit (beforeunload, then pagehide) sends it once. */
let flushed: { flowId: string; revision: number } | null = null;

/**
 * The page is going away (closed, reloaded or hidden): sends the unsaved edits at once, with `keepalive` so that the
 * request outlives the page, instead of waiting for autosave. Always with the version it was edited from, so it
 * never replaces someone else's newer draft. Returns false when the edits may be lost, and the caller then asks the
 * user to stay: a save still on its way (its version is not known yet), a conflict, a save that failed last time,
 * or a flow too large for keepalive.
 */
export function flushSave(): boolean {
  const s = get();
  if (!s.meta || s.revision === s.savedRevision) return true;
  if (flushed?.flowId === s.meta.id && flushed.revision === s.revision) return true;
  if (saving || s.saveConflict) return false;
  const flow = currentFlow();
  if (!flow) return false;
  if (new TextEncoder().encode(JSON.stringify(flow)).length > KEEPALIVE_MAX_BYTES) return false;
  clearTimeout(saveTimer);
  const sent = { flowId: flow.id, revision: s.revision };
  flushed = sent;
  void track(settleSave(s.revision, api.saveFlow(flow, { keepalive: true }))).then((ok) => {
    if (!ok && flushed === sent) flushed = null; // not saved: the next exit tries again
  });
  return s.saveError === null;
}

function onPageHide(): void {
  flushSave();
}

function onVisibilityChange(): void {
  if (document.visibilityState === 'hidden') flushSave();
}

function onBeforeUnload(event: BeforeUnloadEvent): void {
  if (!flushSave()) event.preventDefault(); // the browser asks whether to leave
}

/** Reloads the stored flow, dropping local edits (conflict resolution "use theirs"). */
export async function reloadFlow(): Promise<void> {
  const id = get().meta?.id;
  if (id) await openFlow(id);
}

/** Validates the unsaved canvas and places the problems on nodes and ports. */
export async function validateNow(): Promise<void> {
  const flow = currentFlow();
  if (!flow) return;
  try {
    const result = await api.validate(flow);
    if (get().meta?.id === flow.id) get().setProblems(result.problems ?? []);
  } catch (err) {
    if (err instanceof HttpError && err.status === 400 && Array.isArray(err.body.details)) {
      get().setProblems(err.body.details as never);
    }
  }
}

/**
 * Schedules autosave and validation after each edit, and saves at once when the page goes away; returns the function
 * that stops both.
 */
export function startAutosave(): () => void {
  const unsubscribe = useEditor.subscribe((s, prev) => {
    if (s.revision === prev.revision || !s.meta || s.revision === s.savedRevision) return;
    clearTimeout(saveTimer);
    clearTimeout(validateTimer);
    saveTimer = setTimeout(() => void saveNow(), AUTOSAVE_MS);
    validateTimer = setTimeout(() => void validateNow(), 400);
  });
  window.addEventListener('beforeunload', onBeforeUnload);
  window.addEventListener('pagehide', onPageHide);
  document.addEventListener('visibilitychange', onVisibilityChange);
  return () => {
    unsubscribe();
    window.removeEventListener('beforeunload', onBeforeUnload);
    window.removeEventListener('pagehide', onPageHide);
    document.removeEventListener('visibilitychange', onVisibilityChange);
  };
}

// --- running --------------------------------------------------------------------------------------------------

export interface RunOptions {
  /** Runs with the same session share chat memory (memory nodes need one). */
  sessionId?: string;
  /** Called with the run's id once it has started: from then on the canvas shows this run. */
  onBegin?: (runId: string) => void;
}

/** How a run asked for from the editor went: the run it started and how it ended, or why none started (also toasted). */
export type RunStart = { runId: string; ended: RunInfo } | { runId: null; error: string };

/**
 * Saves, then runs the flow; its events come over socket.io onto the canvas. Resolves once the run has ended (or
 * with the reason none started).
 */
export function runFlow(inputs: Record<string, unknown>, options: RunOptions = {}): Promise<RunStart> {
  const body: RunRequest = options.sessionId ? { inputs, sessionId: options.sessionId } : { inputs };
  // The open flow's breakpoints, those at nodes it still has (a deleted node's would be a 400).
  const s = get();
  const ids = new Set(s.nodes.map((n) => n.id));
  const breakpoints = (s.breakpoints[currentId()] ?? []).filter((id) => ids.has(id));
  if (breakpoints.length > 0) body.breakpoints = breakpoints;
  const pins = currentPins();
  if (Object.keys(pins).length > 0) body.pins = pins;
  return runOnCanvas(() => api.startRun(currentId(), body), options);
}

/** The pins of the open flow's nodes (editor runs send them; published runs never take any). */
function currentPins() {
  const s = get();
  const outputs = new Map<string, string[]>();
  for (const node of s.nodes) {
    if (!isFlowNode(node)) continue;
    const spec = s.catalog[node.data.type];
    if (spec)
      outputs.set(
        node.id,
        resolveOutputs(spec, node.data.params).map((p) => p.name),
      );
  }
  return pinsForRun(usePins.getState().pins, currentId(), outputs);
}

/**
 * Saves, then runs one node alone with these inputs: nothing upstream or downstream runs. The run is on the canvas and
 * in history like any other.
 */
export function runNodeAlone(nodeId: string, inputs: Record<string, unknown>): Promise<RunStart> {
  return runOnCanvas(() => api.runNode(currentId(), nodeId, inputs));
}

/**
 * Decides on the node the canvas' paused run waits at (continue, step, approve, reject); the run's next events come
 * over the socket as before. Answers the error message when the runtime refused (also toasted), else null.
 */
export async function resumeRun(request: ResumeRequest): Promise<string | null> {
  const runId = get().runId;
  if (!runId) return 'No paused run.';
  try {
    await api.resume(runId, request);
    get().announce(`Run resumed (${request.action}) at ${request.nodeId}.`);
    return null;
  } catch (err) {
    const message = err instanceof HttpError ? describeError(err) : String(err);
    get().toast('error', message);
    return message;
  }
}

/**
 * Saves, then reruns the run on the canvas from one node: what is upstream keeps its outputs (shown as reused), the
 * node and its downstream run again with the current draft.
 */
export function rerunFromNode(nodeId: string): Promise<RunStart> {
  const runId = get().runId;
  if (!runId) return Promise.resolve({ runId: null, error: 'No run to rerun.' });
  return runOnCanvas(() => api.rerun(runId, nodeId, currentPins()));
}

function currentId(): string {
  return get().meta?.id ?? '';
}

/**
 * One channel per run (docs/contracts.md §4): the request answers as soon as the run has started, then the canvas
 * subscribes to the run by id from its first event. The flow subscription's events of this run that came before are
 * ignored meanwhile (the run was not the canvas' yet); the run subscription replays them.
 */
async function runOnCanvas(start: () => Promise<RunAccepted>, { onBegin }: RunOptions = {}): Promise<RunStart> {
  const isSaved = await saveNow();
  const s = get();
  if (!isSaved || !s.meta) {
    const error = s.saveConflict
      ? 'Resolve the save conflict before running.'
      : 'Save failed: the run needs the saved flow.';
    s.toast('error', error);
    return { runId: null, error };
  }
  const nodeIds = s.nodes.filter(isFlowNode).map((n) => n.id);
  s.requestRun();
  s.openBottom('trace');
  let runId: string;
  try {
    ({ runId } = await start());
  } catch (err) {
    const message = err instanceof HttpError ? describeError(err) : String(err);
    if (get().isRunPending) get().failRequest(message);
    get().toast('error', message);
    return { runId: null, error: message };
  }
  const now = get();
  // The canvas may have moved on meanwhile (a run replayed from history): then the run goes on off the canvas.
  if (now.isRunPending && now.runId === null) {
    now.beginRun(runId, nodeIds);
    onBegin?.(runId);
  }
  return { runId, ended: await followRun(runId) };
}

function describeError(err: HttpError): string {
  const details = (err.body.details ?? [])
    .map((d) => (d && typeof d === 'object' && 'message' in d ? String((d as { message: unknown }).message) : ''))
    .filter(Boolean);
  return details.length > 0 ? `${err.message}: ${details.slice(0, 3).join('; ')}` : err.message;
}

export async function cancelRun(): Promise<void> {
  const runId = get().runId;
  if (!runId) return;
  try {
    await api.cancelRun(runId);
  } catch (err) {
    get().toast('error', err instanceof Error ? err.message : String(err));
  }
}

/**
 * Replays a run from history onto the canvas through the same reducer as live events; one still going is followed to
 * its end.
 */
export async function replayRun(runId: string): Promise<void> {
  let replayed: RunDetail | undefined;
  await replayOnCanvas(runId, async () => {
    replayed = await api.run(runId);
    return replayed;
  });
  if (replayed) restoreRunForm(replayed);
  get().openBottom('trace');
}

/** Puts a run's inputs and session into the run form (Run tab, Inputs), so it can be run again as it was or changed. */
function restoreRunForm(run: RunDetail): void {
  const s = get();
  s.setRunForm({
    values: formValuesOf(selectFlowInputs(s), run.inputs ?? {}),
    sessionId: run.sessionId ?? '',
    restoredFrom: run.runId,
  });
}

// --- clipboard ------------------------------------------------------------------------------------------------

/** Copies the selection as flow JSON, so it pastes into any flow (or a text editor). */
export async function copyToClipboard(isCut = false): Promise<void> {
  const s = get();
  const fragment = copySelection({ nodes: s.nodes, edges: s.edges }, s.catalog);
  if (!fragment) return;
  const text = serializeFlow(fragment);
  lastCopied = text;
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // Clipboard permission refused: the in-page copy still works within this tab.
  }
  if (isCut) get().deleteSelection();
}

let lastCopied: string | null = null;

/**
 * Pastes a flow fragment (the clipboard's text, else what was last copied in this tab) beside the selection, or near
 * `at` without one, on a free spot: never on top of a node. False when the text is not a flow fragment.
 */
export function pasteText(text: string | null | undefined, at?: { x: number; y: number }): boolean {
  const source = text ?? lastCopied;
  if (!source) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch {
    return false;
  }
  if (!isFlowLike(parsed)) return false;
  pasteBeside(parsed, at);
  return true;
}

/** Ctrl+D: a copy of the selection (nodes, notes and the edges between them) beside it. The clipboard is untouched. */
export function duplicateSelection(): boolean {
  const s = get();
  const fragment = copySelection({ nodes: s.nodes, edges: s.edges }, s.catalog);
  if (!fragment) return false;
  pasteBeside(fragment);
  const count = fragment.nodes.length + (fragment.notes?.length ?? 0);
  s.announce(`Duplicated ${count} ${count === 1 ? 'node' : 'nodes'}; the copies are selected.`);
  return true;
}

function pasteBeside(fragment: FlowFile, at?: { x: number; y: number }): void {
  const boxes = [...fragment.nodes, ...(fragment.notes ?? [])].map((item) => ({
    ...(item.position ?? { x: 0, y: 0 }),
    ...ESTIMATED_SIZE,
  }));
  const bounds = boundsOfBoxes(boxes) ?? { x: 0, y: 0, ...ESTIMATED_SIZE };
  const fallback = at ? { x: at.x - bounds.width / 2, y: at.y - bounds.height / 2 } : { x: bounds.x, y: bounds.y };
  const spot = placeBeside(get().nodes, fallback, bounds);
  get().paste(fragment, { x: spot.x - bounds.x, y: spot.y - bounds.y });
}

// --- files ---------------------------------------------------------------------------------------------------

export function download(filename: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function exportCurrentFlow(): void {
  const flow = currentFlow();
  if (flow) download(`${flow.id}.flow.json`, serializeFlow(flow));
}
