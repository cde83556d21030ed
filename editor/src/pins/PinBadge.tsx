import { useShallow } from 'zustand/react/shallow';
import { useEditor } from '../store/index';
import { nodeOutputNames } from './node-run-actions';
import { selectPin, usablePin, usePins } from './pin-store';
import './pins.css';

/** The pin mark on a canvas node whose outputs are pinned (editor runs reuse them instead of running it). */
export function PinBadge({ nodeId }: { nodeId: string }) {
  const flowId = useEditor((s) => s.meta?.id);
  const pin = usePins(selectPin(flowId, nodeId));
  return pin ? <Pinned nodeId={nodeId} pin={pin} /> : null;
}

function Pinned({ nodeId, pin }: { nodeId: string; pin: Record<string, unknown> }) {
  const outputs = useEditor(useShallow((s) => nodeOutputNames(s, nodeId)));
  // A pin none of whose ports the node still has is not used: the node runs.
  const isUsed = usablePin(pin, outputs) !== undefined;
  const says = isUsed
    ? 'Output pinned: editor runs reuse it'
    : 'Pinned output no longer matches the node’s outputs: the node runs';
  return (
    <span
      className={`node-pin-badge${isUsed ? '' : ' is-stale'}`}
      role="img"
      aria-label={says}
      title={isUsed ? 'Output pinned: editor runs reuse it instead of running this node' : says}
      data-testid={`node-pinned-${nodeId}`}
      data-stale={isUsed ? undefined : 'true'}
    >
      <svg width="12" height="12" viewBox="0 0 16 16" aria-hidden="true">
        <path
          fill="currentColor"
          d="M9.8 1.2a.75.75 0 0 1 1.06 0l3.94 3.94a.75.75 0 0 1 0 1.06l-.9.9a.75.75 0 0 1-.72.2l-1.6 1.6.42 2.53a.75.75 0 0 1-.21.65l-.8.8a.75.75 0 0 1-1.06 0L7.2 10.17 3.28 14.1a.75.75 0 1 1-1.06-1.06L6.13 9.1 3.4 6.37a.75.75 0 0 1 0-1.06l.8-.8a.75.75 0 0 1 .65-.21l2.53.42 1.6-1.6a.75.75 0 0 1 .2-.72l.9-.9Z"
        />
      </svg>
      {isUsed ? 'pinned' : 'pin stale'}
    </span>
  );
}
