import type { NodeContext } from '../../define.js';
import { AppError, type Values } from '../../spec/index.js';
import { service } from './services.js';

/** How deep flows may call flows (subflow, map, tool-flow) before the call is refused. */
export const MAX_FLOW_DEPTH = 8;

/** The saved-flow param shared by subflow, map and tool-flow: of kind `flow`, so publishing freezes what it names. */
export const flowIdParam = {
  name: 'flowId',
  kind: 'flow',
  required: true,
  description:
    'The saved flow to run. A published version runs the copy it froze when it was published, not the draft.',
} as const;

/**
 * Runs a saved flow one level deeper than the calling run, inside `ctx` (a node or a child span): cancelled with
 * it, its model usage counted on it. Refuses with SUBFLOW_DEPTH_EXCEEDED past MAX_FLOW_DEPTH, so a flow that calls
 * itself ends with a clear error instead of running forever.
 */
export async function runSavedFlow(ctx: NodeContext, flowId: string, inputs: Values): Promise<Values> {
  const flows = service(ctx, 'flows');
  const depth = typeof ctx.request.depth === 'number' ? ctx.request.depth : 0;
  if (depth + 1 > MAX_FLOW_DEPTH) {
    throw new AppError(
      'SUBFLOW_DEPTH_EXCEEDED',
      `flow "${flowId}" would nest ${depth + 1} levels deep (the limit is ${MAX_FLOW_DEPTH})`,
    );
  }
  return flows.run(flowId, inputs, {
    signal: ctx.signal,
    parentSpanId: ctx.spanId,
    depth: depth + 1,
    request: ctx.request.sessionId === undefined ? {} : { sessionId: ctx.request.sessionId },
    onUsage: (usage, costUsd) => ctx.addUsage(usage, costUsd),
  });
}
