import type { PortSpec, Values } from '@flowloom/nodes/spec';
import { useState } from 'react';
import { runNodeAlone } from '../api/actions';
import { useEditor } from '../store/index';
import { Modal } from '../ui/Modal';
import { closeRunAlone, nodePortsOf, useRunAloneDialog } from './node-run-actions';

/** A port's value as typed: text ports take the text as it is, other ports JSON. */
export function parsePortValue(port: PortSpec, text: string): { value: unknown } | { error: string } {
  if (port.dataType === 'text') return { value: text };
  if (text.trim() === '') return { value: undefined };
  try {
    return { value: JSON.parse(text) };
  } catch {
    return { error: `${port.name}: not valid JSON (a ${port.dataType} port takes JSON)` };
  }
}

/** A value as its field shows it: text as it is, the rest as JSON. */
function fieldText(port: PortSpec, value: unknown): string {
  if (value === undefined) return '';
  return port.dataType === 'text' && typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

/** "Run this node alone": one field per input port, prefilled from the node's inputs in the run on the canvas. */
export function RunAloneDialog() {
  const nodeId = useRunAloneDialog((s) => s.nodeId);
  return nodeId ? <RunAloneForm key={nodeId} nodeId={nodeId} /> : null;
}

function RunAloneForm({ nodeId }: { nodeId: string }) {
  const ports = nodePortsOf(nodeId)?.inputs ?? [];
  const last = useEditor.getState().nodeRuns[nodeId]?.inputs ?? {};
  const [texts, setTexts] = useState<Record<string, string>>(() =>
    Object.fromEntries(ports.map((p) => [p.name, fieldText(p, last[p.name])])),
  );
  const [error, setError] = useState<string | null>(null);
  const submit = () => {
    const inputs: Values = {};
    for (const port of ports) {
      const parsed = parsePortValue(port, texts[port.name] ?? '');
      if ('error' in parsed) {
        setError(parsed.error);
        return;
      }
      if (parsed.value !== undefined && !(port.dataType === 'text' && parsed.value === '' && !port.required)) {
        inputs[port.name] = parsed.value;
      }
    }
    closeRunAlone();
    void runNodeAlone(nodeId, inputs);
  };
  return (
    <Modal
      title={`Run ${nodeId} alone`}
      onClose={closeRunAlone}
      testId="run-alone-dialog"
      footer={
        <>
          <button type="button" className="btn btn-ghost" onClick={closeRunAlone}>
            Cancel
          </button>
          <button type="button" className="btn btn-primary" onClick={submit} data-testid="run-alone-submit">
            Run node
          </button>
        </>
      }
    >
      <p className="muted small">
        Only this node runs, with these inputs: nothing before or after it. The run shows on the canvas and in History.
      </p>
      {ports.length === 0 ? <p className="muted small">This node has no inputs.</p> : null}
      {ports.map((port) => (
        <div key={port.name} className="field">
          <label htmlFor={`alone-${port.name}`} className="field-label">
            {port.name}{' '}
            <span className="muted small">
              ({port.dataType}
              {port.required ? ', required' : ''})
            </span>
          </label>
          <textarea
            id={`alone-${port.name}`}
            className="input code"
            rows={port.dataType === 'text' ? 3 : 5}
            spellCheck={false}
            value={texts[port.name] ?? ''}
            onChange={(e) => {
              setTexts({ ...texts, [port.name]: e.target.value });
              setError(null);
            }}
            data-testid={`run-alone-input-${port.name}`}
          />
        </div>
      ))}
      {error ? (
        <div className="callout callout-error" role="alert" data-testid="run-alone-error">
          {error}
        </div>
      ) : null}
    </Modal>
  );
}
