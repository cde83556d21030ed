import type { EmbeddingService, RunSource, SpecLookup } from '@flowloom/nodes';
import type { FlowBundle, RunService } from '../runs/run-service.js';
import type { EvalServices } from './types.js';

export interface EvalServicesOptions {
  /** The node kinds' specs (`registry.lookup`). */
  lookup: SpecLookup;
  /** The kernel's embeddings (`runtime.embeddings`), for `similarity`. */
  embeddings?: EmbeddingService;
  /** Where `flow` evaluators and the flows they call resolve (a test's flow files); unset: the saved drafts. */
  bundle?: FlowBundle;
  /** The source of the evaluators' runs (judges, evaluator flows): their caller's (docs/contracts.md §7). */
  source?: RunSource;
}

/** The services evaluators use, on a run service: their runs are ordinary runs, in the history like any other. */
export function evalServices(runs: RunService, options: EvalServicesOptions): EvalServices {
  const { bundle, source } = options;
  return {
    lookup: options.lookup,
    ...(options.embeddings && { embeddings: options.embeddings }),
    async resolveFlow(flowId) {
      return bundle ? bundle.resolve(flowId) : await runs.savedFlow(flowId);
    },
    async runFlow(flow, inputs, { signal, parentRunId, version }) {
      const started = runs.start(
        flow,
        {
          inputs,
          signal,
          ...(parentRunId !== undefined && { parentRunId }),
          ...(bundle && { bundle }),
          ...(source !== undefined && { source }),
        },
        version ?? null,
      );
      return started.done;
    },
  };
}
