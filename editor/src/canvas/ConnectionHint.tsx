import { useConnection, useStore } from '@xyflow/react';
import { connectionProblem } from '../store/graph-ops';
import { useEditor } from '../store/index';

/**
 * While a connection is dragged over a port that refuses it, says why (type mismatch, cycle...).
 * The key is a plain string, so this re-renders only when the hovered port changes.
 */
export function ConnectionHint() {
  const key = useConnection((c) => {
    if (!c.inProgress || !c.toHandle || c.isValid !== false) return null;
    const [from, to] = c.fromHandle.type === 'source' ? [c.fromHandle, c.toHandle] : [c.toHandle, c.fromHandle];
    return `${from.nodeId}\u0000${from.id ?? ''}\u0000${to.nodeId}\u0000${to.id ?? ''}`;
  });
  const reason = useEditor((s) => {
    if (!key) return null;
    const [source = '', sourceHandle = '', target = '', targetHandle = ''] = key.split('\u0000');
    return connectionProblem(s.catalog, s.nodes, s.edges, { source, sourceHandle, target, targetHandle });
  });
  const clickStart = useStore((s) => {
    const start = s.connectionClickStartHandle;
    return start ? `${start.nodeId}.${start.id ?? ''}` : null;
  });
  if (!reason && clickStart) {
    // A connection begun with a click or Enter on a port, waiting for its other end.
    return (
      <div className="connect-hint is-pending" data-testid="connect-pending">
        Connecting from <code>{clickStart}</code>: pick a port to connect to, or press Escape.
      </div>
    );
  }
  if (!reason) return null;
  return (
    <div className="connect-hint" role="status" data-testid="connect-hint">
      <span className="connect-hint-icon" aria-hidden>
        ⊘
      </span>
      Can’t connect: {reason}
    </div>
  );
}
