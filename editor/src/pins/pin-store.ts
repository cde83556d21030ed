import type { PortSpec, Values } from '@flowloom/nodes/spec';
import { create } from 'zustand';

/**
 * Pinned outputs, by flow id then node id. They belong to this browser's editor, not to the flow file: they are sent
 * with editor runs only (`pins` of `POST /api/flows/:id/runs` and of reruns), so a published run can never take one,
 * and a run's real data (which may be private) never lands in a flow file, its versions or an export.
 */
export type PinsByFlow = Readonly<Record<string, Readonly<Record<string, Values>>>>;

const STORAGE_KEY = 'flowloom.pins';

export interface PinState {
  pins: PinsByFlow;
  /** Pins (or replaces the pin of) a node's outputs. */
  pin: (flowId: string, nodeId: string, outputs: Values) => void;
  unpin: (flowId: string, nodeId: string) => void;
  /** Drops every pin of a flow (it was deleted). */
  forgetFlow: (flowId: string) => void;
}

/** `pins` with one node's pin set (`outputs`) or removed (undefined). Pure. */
export function withPin(pins: PinsByFlow, flowId: string, nodeId: string, outputs: Values | undefined): PinsByFlow {
  const { [nodeId]: _old, ...rest } = pins[flowId] ?? {};
  const flowPins = outputs ? { ...rest, [nodeId]: outputs } : rest;
  const { [flowId]: _flow, ...others } = pins;
  return Object.keys(flowPins).length > 0 ? { ...others, [flowId]: flowPins } : others;
}

/**
 * The pins to send with a run: those of nodes still on the canvas, with only the output ports each node still has (a
 * deleted node's pin, or a port its params no longer give it, would be refused). `outputs`: the output port names of
 * each node on the canvas. Pure.
 */
export function pinsForRun(
  pins: PinsByFlow,
  flowId: string,
  outputs: ReadonlyMap<string, readonly string[]>,
): Record<string, Values> {
  const sent: Record<string, Values> = {};
  for (const [nodeId, pinned] of Object.entries(pins[flowId] ?? {})) {
    const kept = usablePin(pinned, outputs.get(nodeId));
    if (kept) sent[nodeId] = kept;
  }
  return sent;
}

/**
 * The part of a pin a run uses: the output ports the node still has (`outputs`: their names); undefined when none is
 * left, or the node is gone. Pure.
 */
export function usablePin(pin: Values | undefined, outputs: readonly string[] | undefined): Values | undefined {
  if (!pin || !outputs) return undefined;
  const kept = Object.fromEntries(Object.entries(pin).filter(([port]) => outputs.includes(port)));
  return Object.keys(kept).length > 0 ? kept : undefined;
}

/** What parsing a pinned value typed as JSON gave: the outputs, or the problem (naming the port when it is one). */
export type PinParse = { outputs: Values } | { error: string };

/**
 * Parses a pin typed as JSON and checks it against the node's output ports: an object whose keys are output ports.
 * Pure.
 */
export function parsePin(text: string, ports: readonly PortSpec[]): PinParse {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { error: `Not valid JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  const names = ports.map((p) => p.name);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return {
      error: `Expected an object of output ports (${names.join(', ') || 'none'}), e.g. {"${names[0] ?? 'text'}": …}`,
    };
  }
  const unknown = Object.keys(value).find((key) => !names.includes(key));
  if (unknown !== undefined) {
    return { error: `"${unknown}" is not an output of this node (its outputs: ${names.join(', ') || 'none'})` };
  }
  if (Object.keys(value).length === 0) return { error: 'Pin at least one output port' };
  return { outputs: value as Values };
}

function load(): PinsByFlow {
  try {
    const parsed = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}') as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as PinsByFlow) : {};
  } catch {
    return {};
  }
}

function save(pins: PinsByFlow): void {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(pins));
  } catch {
    // Storage full or refused: the pins still hold for this page.
  }
}

export const usePins = create<PinState>()((set) => ({
  pins: typeof localStorage === 'undefined' ? {} : load(),
  pin: (flowId, nodeId, outputs) =>
    set((s) => {
      const pins = withPin(s.pins, flowId, nodeId, outputs);
      save(pins);
      return { pins };
    }),
  unpin: (flowId, nodeId) =>
    set((s) => {
      const pins = withPin(s.pins, flowId, nodeId, undefined);
      save(pins);
      return { pins };
    }),
  forgetFlow: (flowId) =>
    set((s) => {
      if (!s.pins[flowId]) return s;
      const { [flowId]: _gone, ...pins } = s.pins;
      save(pins);
      return { pins };
    }),
}));

/** The pinned outputs of one node of one flow, or undefined. */
export function selectPin(flowId: string | undefined, nodeId: string) {
  return (s: PinState): Values | undefined => (flowId ? s.pins[flowId]?.[nodeId] : undefined);
}
