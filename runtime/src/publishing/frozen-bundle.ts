import { AppError, type BundledFlow, type FlowFile } from '@flowloom/nodes';
import type { BundleEntry, FlowBundle } from '../runs/run-service.js';
import type { FrozenFlow } from '../store/published.js';

/**
 * The flows one published version may call: itself (a flow calling itself, directly or not, gets its own frozen
 * copy) and the flows frozen with it. Anything else is FLOW_NOT_FOUND, so a published run never reaches a draft.
 */
export class FrozenBundle implements FlowBundle {
  readonly #root: { flowId: string; version: number; flow: FlowFile; flowVersion: number | null };
  readonly #flows: ReadonlyMap<string, FrozenFlow>;

  /** `flows` as decoded from the version's row, parsed once: runs of the same object reuse its compiled plan. */
  constructor(
    root: { flowId: string; version: number; flow: FlowFile; flowVersion: number | null },
    flows: readonly FrozenFlow[],
  ) {
    this.#root = root;
    this.#flows = new Map(flows.map((frozen) => [frozen.flowId, frozen]));
  }

  resolve(flowId: string): { flow: FlowFile; version: number | null } {
    if (flowId === this.#root.flowId) return { flow: this.#root.flow, version: this.#root.flowVersion };
    const frozen = this.#flows.get(flowId);
    if (!frozen) {
      throw new AppError(
        'FLOW_NOT_FOUND',
        `flow "${flowId}" is not part of published version ${this.#root.version} of "${this.#root.flowId}"`,
      );
    }
    return { flow: frozen.flow, version: frozen.flowVersion };
  }

  /** The flow frozen under an id (not the version's own flow), or undefined. */
  frozen(flowId: string): FrozenFlow | undefined {
    return this.#flows.get(flowId);
  }

  /** Every flow it resolves: the version's own flow, then the frozen ones (a queued run's job carries them). */
  entries(): BundleEntry[] {
    return [
      { flowId: this.#root.flowId, flow: this.#root.flow, version: this.#root.flowVersion },
      ...[...this.#flows.values()].map(({ flowId, flow, flowVersion }) => ({ flowId, flow, version: flowVersion })),
    ];
  }

  /** Which flows it froze, and their draft versions, sorted by id: the answers' `bundle`. */
  refs(): BundledFlow[] {
    return [...this.#flows.values()].map(({ flowId, flowVersion }) => ({ flowId, flowVersion }));
  }
}
