import type { Experiment } from '../experiments/api';

/**
 * The experiments the fine-tuning form offers as a source of preference pairs (`experimentId` of the runs export):
 * those that ran `flowId` (among their targets; any flow when none is given), completed, or cancelled with finished
 * cells (the export pairs the cells that are done, whatever the experiment's status; `progress.done` counts errors
 * too, which pair nothing).
 */
export function pairSources(experiments: readonly Experiment[], flowId?: string): Experiment[] {
  return experiments.filter(
    (experiment) =>
      (flowId === undefined || experiment.targets.some((target) => target.flowId === flowId)) &&
      (experiment.status === 'completed' ||
        (experiment.status === 'cancelled' && experiment.progress.done > experiment.progress.errors)),
  );
}
