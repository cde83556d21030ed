import type { Problem } from '@flowloom/nodes/spec';

/** A problem of one node as its badge lists it. */
export interface NodeProblem {
  message: string;
  port?: string;
}

/**
 * The problems of one node, each once: the validator's (`server`) and the params checked in place (`params`, the
 * same `checkParams` the validator runs, so fresher). A server problem at `params.<name>` is dropped when the local
 * check reports that param too.
 */
export function mergeNodeProblems(
  server: readonly Problem[] | undefined,
  params: readonly { param: string; message: string }[],
): NodeProblem[] {
  const checked = new Set(params.map((p) => p.param));
  const kept = (server ?? []).filter((p) => !(p.path?.startsWith('params.') && checked.has(p.path.slice(7))));
  return [...kept, ...params];
}
