import { useEditor } from '../store/index';
import { openRunAlone, pinOutputs, runFromHere, selectCanRerun, unpinOutputs } from './node-run-actions';
import { selectPin, usePins } from './pin-store';
import './pins.css';

interface Props {
  nodeId: string;
  /** Where they are: test ids and labels say it (`toolbar`, `span`). */
  place: string;
  /** Outputs to pin (a span's); default: the node's in the run on the canvas. */
  outputs?: Record<string, unknown>;
}

/** "Run from here", "Run alone…" and "Pin output" / "Unpin" for one node: on its canvas toolbar and in the span inspector. */
export function NodeRunButtons({ nodeId, place, outputs }: Props) {
  const flowId = useEditor((s) => s.meta?.id);
  const isRerunnable = useEditor(selectCanRerun);
  const hasOutputs = useEditor((s) => outputs !== undefined || s.nodeRuns[nodeId]?.status === 'completed');
  const isPinned = usePins((s) => selectPin(flowId, nodeId)(s) !== undefined);
  return (
    <fieldset className="node-run-buttons" aria-label={`Run actions for ${nodeId}`}>
      <button
        type="button"
        className="btn btn-sm"
        data-testid={`${place}-run-from-here`}
        disabled={!isRerunnable}
        title="Run this node and everything after it again; nodes before it keep the last run's outputs (Shift+R)"
        onClick={() => runFromHere(nodeId)}
      >
        Run from here
      </button>
      <button
        type="button"
        className="btn btn-sm"
        data-testid={`${place}-run-alone`}
        title="Run only this node, with inputs you can edit (Shift+A)"
        onClick={() => openRunAlone(nodeId)}
      >
        Run alone…
      </button>
      {isPinned ? (
        <button
          type="button"
          className="btn btn-sm"
          data-testid={`${place}-unpin`}
          title="Run this node again in later runs (Shift+P)"
          onClick={() => unpinOutputs(nodeId)}
        >
          Unpin
        </button>
      ) : (
        <button
          type="button"
          className="btn btn-sm"
          data-testid={`${place}-pin`}
          disabled={!hasOutputs}
          title="Keep these outputs: later editor runs reuse them instead of running the node (Shift+P)"
          onClick={() => pinOutputs(nodeId, outputs)}
        >
          Pin output
        </button>
      )}
    </fieldset>
  );
}
