import type { ParamSpec } from '@flowloom/nodes/spec';
import { type ComponentProps, lazy, memo, Suspense, useState } from 'react';
import type { CodeLanguage } from './CodeField';
import { FlowPicker } from './FlowPicker';

// CodeMirror is most of the bundle: load it with the first code field, not with the canvas.
const LazyCodeField = lazy(() => import('./CodeField').then((m) => ({ default: m.CodeField })));

function CodeField(props: ComponentProps<typeof LazyCodeField>) {
  return (
    <Suspense fallback={<div className="code-field is-loading" style={{ minHeight: props.minHeight ?? 80 }} />}>
      <LazyCodeField {...props} />
    </Suspense>
  );
}

interface Props {
  nodeId: string;
  param: ParamSpec;
  value: unknown;
  problem?: string;
  onChange: (value: unknown) => void;
  onCommit: () => void;
  variables: readonly string[];
  collections: readonly string[];
  models: readonly string[];
}

/** Keeps what the user is typing while the stored value only takes valid states (numbers, JSON). */
function useDraft(stored: string): [string, (text: string) => void] {
  const [draft, setDraft] = useState(stored);
  const [last, setLast] = useState(stored);
  if (stored !== last) {
    setLast(stored);
    setDraft(stored);
  }
  return [draft, setDraft];
}

/** One field of the inspector, chosen by the param's kind (CONTRACTS §2). */
export const ParamField = memo(function ParamField(props: Props) {
  const { param, problem, nodeId } = props;
  const id = `param-${nodeId}-${param.name}`;
  const label = param.label ?? param.name;
  return (
    <div className={`field${problem ? ' is-invalid' : ''}`} data-testid={`field-${param.name}`}>
      <div className="field-label-row">
        <label className="field-label" htmlFor={id}>
          {label}
          {param.required ? <span className="required-mark">*</span> : null}
        </label>
        <span className="field-kind">{param.kind}</span>
      </div>
      <FieldInput {...props} id={id} />
      {problem ? (
        <div className="field-error" role="alert" data-testid={`param-error-${param.name}`}>
          {problem}
        </div>
      ) : param.description ? (
        <div className="field-help">{param.description}</div>
      ) : null}
    </div>
  );
});

function FieldInput({
  id,
  param,
  value,
  problem,
  onChange,
  onCommit,
  variables,
  collections,
  models,
}: Props & { id: string }) {
  const testId = `param-${param.name}`;
  const invalid = problem ? true : undefined;
  switch (param.kind) {
    case 'number':
      return (
        <NumberInput
          id={id}
          testId={testId}
          param={param}
          value={value}
          onChange={onChange}
          onCommit={onCommit}
          invalid={invalid}
        />
      );
    case 'boolean': {
      const checked = value === true;
      return (
        <button
          id={id}
          type="button"
          role="switch"
          aria-checked={checked}
          className={`switch${checked ? ' is-on' : ''}`}
          data-testid={testId}
          onClick={() => {
            onChange(!checked);
            onCommit();
          }}
        >
          <span className="switch-knob" />
          <span className="switch-text">{checked ? 'On' : 'Off'}</span>
        </button>
      );
    }
    case 'select':
      return (
        <select
          id={id}
          className="input"
          data-testid={testId}
          aria-invalid={invalid}
          value={typeof value === 'string' ? value : ''}
          onChange={(e) => {
            onChange(e.target.value);
            onCommit();
          }}
        >
          {value === undefined ? <option value="">—</option> : null}
          {param.options.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      );
    case 'json':
      return (
        <JsonInput id={id} testId={testId} value={value} onChange={onChange} onCommit={onCommit} invalid={invalid} />
      );
    case 'template':
    case 'code': {
      const language: CodeLanguage = param.kind === 'template' ? 'template' : (param.language ?? 'javascript');
      return (
        <CodeField
          id={id}
          testId={testId}
          ariaLabel={param.label ?? param.name}
          value={typeof value === 'string' ? value : ''}
          onChange={(text) => onChange(text)}
          onBlur={onCommit}
          language={language}
          variables={variables}
          isInvalid={invalid}
          minHeight={param.kind === 'template' ? 110 : 140}
          placeholder={param.kind === 'template' ? 'Type {{ to insert a variable' : undefined}
        />
      );
    }
    case 'text':
      return (
        <textarea
          id={id}
          className="input textarea"
          data-testid={testId}
          aria-invalid={invalid}
          rows={4}
          value={typeof value === 'string' ? value : ''}
          onChange={(e) => onChange(e.target.value)}
          onBlur={onCommit}
        />
      );
    case 'flow':
      return (
        <FlowPicker id={id} testId={testId} value={value} onChange={onChange} onCommit={onCommit} invalid={invalid} />
      );
    case 'secret':
      return (
        <SecretInput id={id} testId={testId} value={value} onChange={onChange} onCommit={onCommit} invalid={invalid} />
      );
    default: {
      const list = param.kind === 'collection' ? collections : param.kind === 'model' ? models : null;
      return (
        <>
          <input
            id={id}
            className="input"
            data-testid={testId}
            aria-invalid={invalid}
            list={list ? `${id}-list` : undefined}
            value={typeof value === 'string' ? value : value === undefined ? '' : String(value)}
            placeholder={
              param.kind === 'collection' ? 'Pick a collection' : param.kind === 'model' ? 'Model name' : undefined
            }
            onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value)}
            onBlur={onCommit}
          />
          {list ? (
            <datalist id={`${id}-list`}>
              {list.map((name) => (
                <option key={name} value={name} />
              ))}
            </datalist>
          ) : null}
        </>
      );
    }
  }
}

interface InputProps {
  id: string;
  testId: string;
  value: unknown;
  onChange: (value: unknown) => void;
  onCommit: () => void;
  invalid?: boolean;
}

function NumberInput({ param, ...p }: InputProps & { param: Extract<ParamSpec, { kind: 'number' }> }) {
  const [draft, setDraft] = useDraft(typeof p.value === 'number' ? String(p.value) : '');
  const bounds = [param.min !== undefined ? `min ${param.min}` : '', param.max !== undefined ? `max ${param.max}` : '']
    .filter(Boolean)
    .join(' · ');
  return (
    <div className="number-row">
      <input
        id={p.id}
        className="input"
        type="number"
        inputMode="decimal"
        data-testid={p.testId}
        aria-invalid={p.invalid}
        min={param.min}
        max={param.max}
        step={param.integer ? 1 : 'any'}
        value={draft}
        onChange={(e) => {
          setDraft(e.target.value);
          if (e.target.value === '') p.onChange(undefined);
          else if (Number.isFinite(Number(e.target.value))) p.onChange(Number(e.target.value));
        }}
        onBlur={p.onCommit}
      />
      {bounds ? <span className="number-bounds">{bounds}</span> : null}
    </div>
  );
}

function JsonInput(p: InputProps) {
  const stored = p.value === undefined ? '' : JSON.stringify(p.value, null, 2);
  const [draft, setDraft] = useDraft(stored);
  const [error, setError] = useState<string | null>(null);
  return (
    <>
      <CodeField
        id={p.id}
        testId={p.testId}
        ariaLabel="JSON value"
        language="json"
        value={draft}
        isInvalid={p.invalid || error !== null}
        onBlur={p.onCommit}
        onChange={(text) => {
          setDraft(text);
          if (text.trim() === '') {
            setError(null);
            p.onChange(undefined);
            return;
          }
          try {
            p.onChange(JSON.parse(text));
            setError(null);
          } catch (err) {
            setError((err as Error).message);
          }
        }}
      />
      {error ? <div className="field-error">Invalid JSON: {error}</div> : null}
    </>
  );
}

function SecretInput(p: InputProps) {
  const [isShown, setShown] = useState(false);
  return (
    <div className="secret-row">
      <input
        id={p.id}
        className="input"
        type={isShown ? 'text' : 'password'}
        autoComplete="off"
        data-testid={p.testId}
        aria-invalid={p.invalid}
        value={typeof p.value === 'string' ? p.value : ''}
        onChange={(e) => p.onChange(e.target.value === '' ? undefined : e.target.value)}
        onBlur={p.onCommit}
      />
      <button type="button" className="btn btn-ghost btn-sm" onClick={() => setShown(!isShown)} aria-pressed={isShown}>
        {isShown ? 'Hide' : 'Show'}
      </button>
    </div>
  );
}
