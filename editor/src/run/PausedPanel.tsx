import type { ResumeAction } from '@flowloom/nodes/spec';
import { useEffect, useId, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { resumeRun } from '../api/actions';
import { isFlowNode } from '../store/graph-types';
import { useEditor } from '../store/index';
import './paused.css';

/**
 * Over the canvas while the run waits (docs/contracts.md §9): each paused node with its inputs as editable JSON and
 * its actions, Continue / Step at a breakpoint, Approve / Reject (with the value to pass on) at an approval node.
 */
export function PausedPanel() {
  const isPaused = useEditor((s) => s.run.status === 'paused');
  const pausedIds = useEditor(
    useShallow((s) => Object.keys(s.nodeRuns).filter((id) => s.nodeRuns[id]?.status === 'paused')),
  );
  const headingId = useId();
  const summary = pausedIds.join(', ');
  useEffect(() => {
    if (isPaused && summary) useEditor.getState().announce(`Run paused at ${summary}.`);
  }, [isPaused, summary]);
  if (!isPaused || pausedIds.length === 0) return null;
  return (
    <section className="paused-panel" aria-labelledby={headingId} data-testid="paused-panel">
      <h2 id={headingId} className="paused-title">
        Run paused
      </h2>
      {pausedIds.map((id) => (
        <PausedNode key={id} nodeId={id} />
      ))}
    </section>
  );
}

function PausedNode({ nodeId }: { nodeId: string }) {
  const run = useEditor((s) => s.nodeRuns[nodeId]);
  const node = useEditor((s) => s.nodes.find((n) => n.id === nodeId));
  const data = node && isFlowNode(node) ? node.data : undefined;
  const title = useEditor((s) => (data ? (s.catalog[data.type]?.title ?? data.type) : nodeId));
  const message = typeof data?.params.message === 'string' ? data.params.message : '';
  const isApproval = run?.pauseReason === 'approval';
  const initialInputs = JSON.stringify(run?.inputs ?? {}, null, 2);
  const initialValue = run?.inputs?.value;
  const isTextValue = typeof initialValue === 'string';
  const initialValueText = isTextValue ? String(initialValue) : JSON.stringify(initialValue ?? null, null, 2);
  const [inputsText, setInputsText] = useState(initialInputs);
  const [valueText, setValueText] = useState(initialValueText);
  const [error, setError] = useState<string | null>(null);
  const [isBusy, setBusy] = useState(false);
  const id = useId();

  const act = async (action: ResumeAction) => {
    setError(null);
    let inputs: Record<string, unknown> | undefined;
    let value: unknown;
    try {
      if (inputsText !== initialInputs) {
        const parsed: unknown = JSON.parse(inputsText);
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
          throw new Error('the inputs must be a JSON object, one field per port');
        inputs = parsed as Record<string, unknown>;
      }
      if (action === 'approve' && valueText !== initialValueText)
        value = isTextValue ? valueText : (JSON.parse(valueText) as unknown);
    } catch (err) {
      setError(`Not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    setBusy(true);
    const refused = await resumeRun({
      nodeId,
      action,
      ...(inputs && { inputs }),
      ...(value !== undefined && { value }),
    });
    setBusy(false);
    if (refused) setError(refused);
  };

  const button = (action: ResumeAction, label: string, hint: string, kind = '') => (
    <button
      type="button"
      className={`btn btn-sm${kind}`}
      onClick={() => void act(action)}
      disabled={isBusy}
      title={hint}
      data-testid={`resume-${action}`}
    >
      {label}
    </button>
  );

  return (
    <div className="paused-node" data-testid={`paused-${nodeId}`}>
      <div>
        <p className="paused-where">
          <strong>{title}</strong> <code>{nodeId}</code>{' '}
          <span className="paused-reason">{isApproval ? 'waits for approval' : 'breakpoint'}</span>
        </p>
        {isApproval && message ? <p className="paused-message">{message}</p> : null}
      </div>
      <div className="paused-fields">
        <label htmlFor={`${id}-inputs`} className="paused-label">
          Inputs (JSON)
        </label>
        <textarea
          id={`${id}-inputs`}
          className="input textarea mono paused-json"
          value={inputsText}
          onChange={(e) => setInputsText(e.target.value)}
          rows={rowsFor(inputsText, 8)}
          spellCheck={false}
          data-testid="paused-inputs"
        />
        {isApproval ? (
          <>
            <label htmlFor={`${id}-value`} className="paused-label">
              Value to pass on if approved {isTextValue ? '(text)' : '(JSON)'}
            </label>
            <textarea
              id={`${id}-value`}
              className={`input textarea paused-json${isTextValue ? '' : ' mono'}`}
              value={valueText}
              onChange={(e) => setValueText(e.target.value)}
              rows={rowsFor(valueText, 6)}
              data-testid="paused-value"
            />
          </>
        ) : null}
      </div>
      <div className="paused-actions">
        {isApproval ? (
          <>
            {button('approve', 'Approve', 'Pass the value on and go on', ' btn-primary')}
            {button('reject', 'Reject', 'Send the value out on the node’s rejected output', ' btn-danger')}
          </>
        ) : (
          <>
            {button('continue', 'Continue', 'Run on, stopping at the next breakpoint', ' btn-primary')}
            {button('step', 'Step', 'Run this node, then pause before the next one')}
          </>
        )}
      </div>
      {error ? (
        <p className="paused-error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** Enough rows for the text, long lines wrapped (about 60 characters a row), at most `max`. */
function rowsFor(text: string, max: number): number {
  const rows = text.split('\n').reduce((sum, line) => sum + Math.max(1, Math.ceil(line.length / 60)), 0);
  return Math.min(max, Math.max(2, rows + 1));
}
