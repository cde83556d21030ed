import { AppError } from '@flowloom/nodes';
import type { Feedback, Store } from '../store/types.js';
import type { RunService } from './run-service.js';

/** Feedback as a caller gives it (docs/contracts.md §7). */
export interface FeedbackInput {
  /** The caller's id for it: giving it again replaces that feedback. Default: a new id. */
  id?: string;
  /** What is rated; default `user`. */
  key?: string;
  /** -1 (bad) to 1 (good); null withdraws the feedback of this id. */
  score: number | null;
  comment?: string;
  /** What the answer should have been (any JSON): "add to dataset" takes it as the item's `expected`. */
  correction?: unknown;
  /** A node of the run the feedback is about (a bad retrieved chunk, a wrong tool call). */
  nodeId?: string;
  /** Who gives it: `editor`, `widget`, `api`...; default the route's. */
  source?: string;
}

/** The author of feedback given through the editor's (admin) routes. */
export const ADMIN_AUTHOR = 'admin';

/** The sources a caller of a published flow may name. */
export type CallerSource = 'api' | 'widget';

/** A new feedback id: `fb_`, 12 hex digits of time, then 12 random ones (ids made later sort later). */
export function newFeedbackId(): string {
  return `fb_${Date.now().toString(16).padStart(12, '0')}${globalThis.crypto.randomUUID().slice(24)}`;
}

/**
 * Feedback on runs: from the editor (any run), and from callers of published flows, who may rate only the runs made
 * with their own API key.
 */
export class FeedbackService {
  readonly #store: Store;
  readonly #runs: RunService;

  constructor(store: Store, runs: RunService) {
    this.#store = store;
    this.#runs = runs;
  }

  /**
   * Adds or replaces (same id on the same run) feedback on a run, written by `author` (`admin`, or `key:<key id>`).
   * RUN_NOT_FOUND for an unknown run; VALIDATION_FAILED naming `body.nodeId` for a node the run did not reach;
   * CONFLICT when that feedback was written by another author.
   */
  async give(runId: string, input: FeedbackInput, defaultSource: string, author = ADMIN_AUTHOR): Promise<Feedback> {
    const detail = await this.#runs.get(runId);
    if (!detail) throw new AppError('RUN_NOT_FOUND', `run "${runId}" does not exist`);
    if (input.nodeId !== undefined && !detail.events.some((event) => event.nodeId === input.nodeId)) {
      const message = `node "${input.nodeId}" has no span in run "${runId}"`;
      throw new AppError('VALIDATION_FAILED', `body.nodeId: ${message}`, {
        details: [{ field: 'body.nodeId', message }],
      });
    }
    return this.#store.putFeedback({
      id: input.id ?? newFeedbackId(),
      runId,
      key: input.key ?? 'user',
      score: input.score,
      ...(input.comment !== undefined && { comment: input.comment }),
      ...(input.correction !== undefined && { correction: input.correction }),
      ...(input.nodeId !== undefined && { nodeId: input.nodeId }),
      source: input.source ?? defaultSource,
      author,
      at: new Date().toISOString(),
    });
  }

  /**
   * Feedback from a caller of a published flow: only on a run made through a published endpoint with the same API
   * key. Any other run is RUN_NOT_FOUND (404), so a key learns nothing of runs that are not its own. The feedback is
   * the key's own (author `key:<key id>`): it cannot replace or withdraw the editor's, and its source is `api` or
   * `widget` (the route's schema refuses any other).
   */
  async giveAsCaller(
    keyId: string,
    runId: string,
    input: FeedbackInput & { source?: CallerSource },
  ): Promise<Feedback> {
    const published = await this.#store.published.getRun(runId);
    if (published?.keyId !== keyId) throw new AppError('RUN_NOT_FOUND', `run "${runId}" does not exist`);
    return this.give(runId, input, 'api', `key:${keyId}`);
  }

  /** The flow a published run belongs to (for its allowed origins), undefined for another run. */
  async publishedFlowOf(runId: string): Promise<string | undefined> {
    return (await this.#store.published.getRun(runId))?.flowId;
  }

  list(runId: string): Promise<Feedback[]> {
    return this.#store.listFeedback(runId);
  }
}
