import { useState } from 'react';
import { useEditor } from '../store/index';
import { CodeBlock } from '../ui/CodeBlock';
import { pretty } from '../ui/format';
import { nodePortsOf, openRunAlone, pinOutputs, unpinOutputs } from './node-run-actions';
import { parsePin, selectPin, usePins } from './pin-store';
import './pins.css';

/**
 * The inspector's pin section: whether the node's outputs are pinned, "Pin output" from the last run, a JSON editor to
 * type or change the pinned value (checked against the node's output ports), "Unpin", and "Run alone…".
 */
export function PinPanel({ nodeId }: { nodeId: string }) {
  const flowId = useEditor((s) => s.meta?.id);
  const pinned = usePins(selectPin(flowId, nodeId));
  const hasOutputs = useEditor((s) => s.nodeRuns[nodeId]?.status === 'completed');
  const [draft, setDraft] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const outputs = nodePortsOf(nodeId)?.outputs ?? [];
  const stale = Object.keys(pinned ?? {}).filter((port) => !outputs.some((p) => p.name === port));
  // None of its ports is left: runs do not use the pin at all.
  const isUnused = pinned !== undefined && stale.length === Object.keys(pinned).length;
  const startEditing = () => {
    const skeleton = Object.fromEntries(outputs.map((p) => [p.name, '']));
    setDraft(pretty(pinned ?? useEditor.getState().nodeRuns[nodeId]?.outputs ?? skeleton));
    setError(null);
  };
  const savePin = () => {
    const parsed = parsePin(draft ?? '', outputs);
    if ('error' in parsed) {
      setError(parsed.error);
      return;
    }
    if (pinOutputs(nodeId, parsed.outputs)) setDraft(null);
  };
  return (
    <section className="pin-panel" data-testid="pin-panel" aria-label="Pinned output">
      <div className="section-title">
        Pinned output{' '}
        {pinned ? (
          <span className="pill pill-pinned" data-testid="pin-state">
            {isUnused ? 'stale' : 'pinned'}
          </span>
        ) : null}
      </div>
      {isUnused ? null : (
        <div className="muted small">
          {pinned
            ? 'Editor runs reuse this value instead of running the node. Published runs never do.'
            : 'Pin an output so editor runs reuse it without running the node (and without calling a model).'}
        </div>
      )}
      {stale.length > 0 ? (
        <div className="small pin-stale" role="status" data-testid="pin-stale">
          {isUnused
            ? `The node no longer has ${stale.map((p) => `"${p}"`).join(', ')}: runs do not use this pin, the node runs.`
            : `The node no longer has ${stale.map((p) => `"${p}"`).join(', ')}: runs use the other pinned ports only.`}
        </div>
      ) : null}
      {pinned && draft === null ? (
        <CodeBlock label="Pinned value" className="small" testId="pin-value">
          {pretty(pinned)}
        </CodeBlock>
      ) : null}
      {draft !== null ? (
        <div className="pin-editor">
          <label className="mini-title" htmlFor={`pin-json-${nodeId}`}>
            Pinned value (JSON, by output port: {outputs.map((p) => p.name).join(', ') || 'none'})
          </label>
          <textarea
            id={`pin-json-${nodeId}`}
            className="input code"
            rows={6}
            spellCheck={false}
            value={draft}
            aria-invalid={error !== null}
            aria-describedby={error ? `pin-error-${nodeId}` : undefined}
            onChange={(e) => {
              setDraft(e.target.value);
              setError(null);
            }}
            data-testid="pin-json"
          />
          {error ? (
            <div id={`pin-error-${nodeId}`} className="callout callout-error" role="alert" data-testid="pin-error">
              {error}
            </div>
          ) : null}
        </div>
      ) : null}
      <div className="node-run-buttons">
        {draft !== null ? (
          <>
            <button type="button" className="btn btn-sm btn-primary" onClick={savePin} data-testid="pin-save">
              Save pin
            </button>
            <button type="button" className="btn btn-sm btn-ghost" onClick={() => setDraft(null)}>
              Cancel
            </button>
          </>
        ) : (
          <>
            {!pinned && hasOutputs ? (
              <button
                type="button"
                className="btn btn-sm"
                onClick={() => pinOutputs(nodeId)}
                data-testid="inspector-pin"
                title="Pin the outputs of the last run"
              >
                Pin output
              </button>
            ) : null}
            <button type="button" className="btn btn-sm" onClick={startEditing} data-testid="pin-edit">
              {pinned ? 'Edit pin' : 'Type a value…'}
            </button>
            {pinned ? (
              <button
                type="button"
                className="btn btn-sm"
                onClick={() => unpinOutputs(nodeId)}
                data-testid="inspector-unpin"
              >
                Unpin
              </button>
            ) : null}
            <button
              type="button"
              className="btn btn-sm"
              onClick={() => openRunAlone(nodeId)}
              data-testid="inspector-run-alone"
              title="Run only this node, with inputs you can edit"
            >
              Run alone…
            </button>
          </>
        )}
      </div>
    </section>
  );
}
