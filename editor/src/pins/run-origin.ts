import type { RunOrigin } from '@flowloom/nodes/spec';

/**
 * How run history labels a run asked for in a particular way: "rerun from <node>", "node alone: <node>", with
 * "· N pinned" when it used pinned outputs; null for a plain run. `titleOf` names a node (its label, else its id). Pure.
 */
export function originLabel(origin: RunOrigin | undefined, titleOf: (nodeId: string) => string): string | null {
  if (!origin) return null;
  const parts: string[] = [];
  if (origin.node) parts.push(`node alone: ${titleOf(origin.node)}`);
  else if (origin.fromNode) parts.push(`rerun from ${titleOf(origin.fromNode)}`);
  const pinned = origin.pinned?.length ?? 0;
  if (pinned > 0) parts.push(pinned === 1 ? `${titleOf(origin.pinned?.[0] as string)} pinned` : `${pinned} pinned`);
  return parts.length > 0 ? parts.join(' · ') : null;
}
