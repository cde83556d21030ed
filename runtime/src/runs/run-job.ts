import { AppError, type FlowFile, type Values } from '@flowloom/nodes';
import type { RunRecord } from '../store/types.js';
import type { BundleEntry, FlowBundle, StartRunOptions } from './run-service.js';

/**
 * What a queued run executes, stored with it (`run_jobs`) by the API process that accepted it, so any worker (or the
 * same one after a crash) runs exactly that: the flow as it was when the run was asked for, the flows its calls
 * resolve to when it had a bundle, and the run's options. Inputs, session, depth and parent are in the run's row.
 */
export interface RunJob {
  /** The run's row as it was queued, so a worker's first attempt needs no read of it. */
  run?: RunRecord;
  flow: FlowFile;
  flowVersion: number | null;
  bundle?: BundleEntry[];
  timeoutMs?: number;
  timeoutMessage?: string;
  request?: Record<string, unknown>;
  reuse?: [nodeId: string, outputs: Values][];
  pins?: [nodeId: string, outputs: Values][];
  alone?: { nodeId: string };
  streamedToClient?: string[];
  /** Editor breakpoints: kept so a paused run resumed after a restart still stops at them. */
  breakpoints?: string[];
}

/** The job of a run (JSON). Throws INTERNAL for a bundle that cannot list its flows (it could not be queued). */
export function encodeJob(
  flow: FlowFile,
  flowVersion: number | null,
  options: StartRunOptions,
  run?: RunRecord,
): string {
  const { bundle } = options;
  if (bundle && !bundle.entries)
    throw new AppError('INTERNAL', `a run of flow "${flow.id}" has a bundle that cannot be queued`);
  const job: RunJob = {
    ...(run && { run }),
    flow,
    flowVersion,
    ...(bundle?.entries && { bundle: bundle.entries() }),
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    ...(options.timeoutMessage !== undefined && { timeoutMessage: options.timeoutMessage }),
    ...(options.request !== undefined && { request: options.request }),
    ...(options.reuse && { reuse: [...options.reuse] }),
    ...(options.pins && { pins: [...options.pins] }),
    ...(options.alone && { alone: options.alone }),
    ...(options.streamedToClient && { streamedToClient: [...options.streamedToClient] }),
    ...(options.breakpoints && { breakpoints: [...options.breakpoints] }),
  };
  return JSON.stringify(job);
}

/** A bundle rebuilt from a job's list of flows. */
class ListedBundle implements FlowBundle {
  readonly #flows: ReadonlyMap<string, BundleEntry>;

  constructor(entries: readonly BundleEntry[]) {
    this.#flows = new Map(entries.map((entry) => [entry.flowId, entry]));
  }

  resolve(flowId: string): { flow: FlowFile; version: number | null } {
    const entry = this.#flows.get(flowId);
    if (!entry) throw new AppError('FLOW_NOT_FOUND', `flow "${flowId}" is not part of this run's frozen flows`);
    return { flow: entry.flow, version: entry.version };
  }

  entries(): BundleEntry[] {
    return [...this.#flows.values()];
  }
}

/** A stored job back as the flow to run and the options of `RunService.start` (without the row's inputs). */
export function decodeJob(text: string): {
  run?: RunRecord;
  flow: FlowFile;
  flowVersion: number | null;
  options: Omit<StartRunOptions, 'inputs'>;
} {
  const job = JSON.parse(text) as RunJob;
  return {
    ...(job.run && { run: job.run }),
    flow: job.flow,
    flowVersion: job.flowVersion,
    options: {
      ...(job.bundle && { bundle: new ListedBundle(job.bundle) }),
      ...(job.timeoutMs !== undefined && { timeoutMs: job.timeoutMs }),
      ...(job.timeoutMessage !== undefined && { timeoutMessage: job.timeoutMessage }),
      ...(job.request !== undefined && { request: job.request }),
      ...(job.reuse && { reuse: new Map(job.reuse) }),
      ...(job.pins && { pins: new Map(job.pins) }),
      ...(job.alone && { alone: job.alone }),
      ...(job.streamedToClient && { streamedToClient: new Set(job.streamedToClient) }),
      ...(job.breakpoints && { breakpoints: job.breakpoints }),
    },
  };
}
