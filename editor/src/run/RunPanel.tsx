import type { FlowInputSpec } from '@flowloom/nodes/spec';
import { type FormEvent, useMemo, useState } from 'react';
import { runFlow } from '../api/actions';
import type { EditorState } from '../store/index';
import { useEditor } from '../store/index';
import { selectChatShape, selectFlowInputs, selectIsRunning } from '../store/selectors';
import { CodeBlock } from '../ui/CodeBlock';
import { Field, FieldLabelRow } from '../ui/Field';
import { pretty } from '../ui/format';
import { type TabItem, TabList, TabPanel } from '../ui/Tabs';
import { ChatPlayground } from './ChatPlayground';
import { parseInput } from './run-inputs';
import './run-panel.css';

/** The run inputs of the flow (`flowInputs`), as a JSON string so the selector result compares by value. */
export function selectInputFieldsKey(s: EditorState): string {
  return JSON.stringify(selectFlowInputs(s));
}

const RUN_MODES: TabItem<'chat' | 'form'>[] = [
  { id: 'chat', label: 'Chat', testId: 'run-mode-chat' },
  { id: 'form', label: 'Inputs', testId: 'run-mode-form' },
];

export function RunPanel() {
  const isChat = useEditor((s) => selectChatShape(s) !== null);
  const mode = useEditor((s) => s.runForm.mode);
  const setRunForm = useEditor((s) => s.setRunForm);
  const setMode = (next: 'chat' | 'form') => setRunForm({ mode: next });
  const showChat = isChat && mode === 'chat';
  return (
    <div className="run-panel">
      {isChat ? (
        <>
          <TabList
            idBase="run-mode"
            label="Run mode"
            tabs={RUN_MODES}
            selected={mode}
            onSelect={setMode}
            className="segmented"
          />
          <TabPanel idBase="run-mode" tab={mode}>
            {showChat ? <ChatPlayground /> : <RunForm />}
          </TabPanel>
        </>
      ) : (
        <RunForm />
      )}
    </div>
  );
}

function RunForm() {
  const key = useEditor(selectInputFieldsKey);
  const fields = useMemo(() => JSON.parse(key) as FlowInputSpec[], [key]);
  const isRunning = useEditor(selectIsRunning);
  const outputs = useEditor((s) => s.run.outputs);
  const runError = useEditor((s) => s.run.error);
  const values = useEditor((s) => s.runForm.values);
  const sessionId = useEditor((s) => s.runForm.sessionId);
  const setRunForm = useEditor((s) => s.setRunForm);
  const restoredFrom = useEditor((s) => s.runForm.restoredFrom);
  const setValues = (next: Record<string, string | boolean>) => setRunForm({ values: next, restoredFrom: undefined });
  const setSessionId = (next: string) => setRunForm({ sessionId: next, restoredFrom: undefined });
  const [error, setError] = useState<string | null>(null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (isRunning) return;
    const inputs: Record<string, unknown> = {};
    try {
      for (const field of fields) {
        const raw = values[field.name] ?? (field.dataType === 'boolean' ? false : '');
        const value = parseInput(field, raw);
        if (value !== undefined) inputs[field.name] = value;
        else if (field.required) throw new Error(`${field.name} is required`);
      }
    } catch (err) {
      setError((err as Error).message);
      return;
    }
    setError(null);
    void runFlow(inputs, { sessionId: sessionId.trim() || undefined });
  };

  return (
    <form className="run-form" onSubmit={submit} aria-label="Run inputs">
      {fields.length === 0 ? <p className="muted small">This flow has no inputs. Press Run to start it.</p> : null}
      {restoredFrom ? (
        <p className="muted small" data-testid="run-form-restored">
          The inputs of run <code>{restoredFrom}</code>, replayed from history.
        </p>
      ) : null}
      {fields.map((field) => {
        const id = `run-input-${field.name}`;
        const raw = values[field.name];
        return (
          <div className="field" key={field.name}>
            <FieldLabelRow htmlFor={id} label={field.name} isRequired={field.required}>
              <span className="field-kind">{field.dataType}</span>
            </FieldLabelRow>
            {field.dataType === 'boolean' ? (
              <input
                id={id}
                type="checkbox"
                checked={raw === true}
                aria-required={field.required || undefined}
                onChange={(e) => setValues({ ...values, [field.name]: e.target.checked })}
                data-testid={id}
              />
            ) : (
              <textarea
                id={id}
                className={`input textarea${field.dataType === 'text' ? '' : ' mono'}`}
                rows={field.dataType === 'text' || field.dataType === 'number' ? 2 : 5}
                placeholder={field.default !== undefined ? `Default: ${pretty(field.default)}` : undefined}
                value={typeof raw === 'string' ? raw : ''}
                aria-required={field.required || undefined}
                onChange={(e) => setValues({ ...values, [field.name]: e.target.value })}
                data-testid={id}
              />
            )}
            {field.description ? <div className="field-help">{field.description}</div> : null}
          </div>
        );
      })}
      <details className="advanced">
        <summary>Run options</summary>
        <Field
          id="run-session"
          label="Session id"
          help="Runs with the same session share chat memory; memory nodes need one."
        >
          <input
            id="run-session"
            className="input"
            maxLength={200}
            placeholder="Optional, e.g. user-42"
            value={sessionId}
            onChange={(e) => setSessionId(e.target.value)}
            data-testid="run-session"
          />
        </Field>
      </details>
      {error ? (
        <div className="callout callout-error" role="alert">
          {error}
        </div>
      ) : null}
      {/* aria-disabled, not disabled: a disabled button drops its focus to the page, and the result is read out. */}
      <button
        type="submit"
        className="btn btn-primary btn-block"
        aria-disabled={isRunning || undefined}
        data-testid="run-submit"
      >
        {isRunning ? 'Running…' : 'Run flow'}
      </button>
      <div role="log" aria-live="polite" aria-busy={isRunning} aria-label="Run result" data-testid="run-result">
        {runError ? (
          <div className="callout callout-error" data-testid="run-error">
            <strong>{runError.code}</strong> {runError.message}
          </div>
        ) : null}
        {outputs ? (
          <div className="run-outputs" data-testid="run-outputs">
            <div className="section-title">Outputs</div>
            {Object.entries(outputs).map(([name, value]) => (
              <div key={name} className="output-item">
                <div className="mini-title">{name}</div>
                <CodeBlock label={`Output ${name}`}>{pretty(value)}</CodeBlock>
              </div>
            ))}
          </div>
        ) : null}
      </div>
    </form>
  );
}
