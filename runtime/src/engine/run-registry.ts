import type { RunHandle } from './run-flow.js';

/** Live runs by id, so transports can find, watch and cancel them. A run leaves when its result settles. */
export class RunRegistry {
  readonly #runs = new Map<string, RunHandle>();
  readonly #listeners = new Set<(handle: RunHandle) => void>();

  add(handle: RunHandle): void {
    this.#runs.set(handle.runId, handle);
    for (const listener of this.#listeners) listener(handle);
    handle.result.finally(() => this.#runs.delete(handle.runId));
  }

  get(runId: string): RunHandle | undefined {
    return this.#runs.get(runId);
  }

  /** Cancels a live run; false when it is not running here. */
  cancel(runId: string): boolean {
    const handle = this.#runs.get(runId);
    if (!handle) return false;
    handle.cancel();
    return true;
  }

  running(): RunHandle[] {
    return [...this.#runs.values()];
  }

  /** Called for every run added from now on (e.g. to stream runs of a flow to its subscribers). */
  onRun(listener: (handle: RunHandle) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Cancels every live run (shutdown). */
  cancelAll(): void {
    for (const handle of this.#runs.values()) handle.cancel();
  }
}
