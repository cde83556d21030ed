import type { ParamKind, ParamSpec } from '@flowloom/nodes/spec';
import { type ComponentProps, type ComponentType, lazy, Suspense, useState } from 'react';
import { refreshCollections } from '../knowledge/collections-store';
import { ChoiceSelect } from './ChoiceSelect';
import { FlowPicker } from './FlowPicker';
import { ProviderPicker } from './ProviderPicker';

type CodeFieldModule = typeof import('./CodeField');
let codeFieldModule: CodeFieldModule | undefined;
let codeFieldLoading: Promise<CodeFieldModule> | undefined;

/**
 * Loads the code field's chunk (CodeMirror, most of the bundle) once. The editor asks for it when the browser is idle
 * after a flow opens, so that the first node shown in the inspector does not wait for it (nor suspend on it). A failed
 * load is tried again by the next call (the server may be back).
 */
export function loadCodeField(): Promise<CodeFieldModule> {
  codeFieldLoading ??= import('./CodeField').then(
    (m) => {
      codeFieldModule = m;
      return m;
    },
    (err: unknown) => {
      codeFieldLoading = undefined;
      throw err;
    },
  );
  return codeFieldLoading;
}

const LazyCodeField = lazy(() => loadCodeField().then((m) => ({ default: m.CodeField })));

type CodeFieldProps = ComponentProps<CodeFieldModule['CodeField']>;

function CodeField(props: CodeFieldProps) {
  // Chosen once per field: switching from the lazy path to the loaded one would mount the field again.
  const [Loaded] = useState(() => codeFieldModule?.CodeField);
  if (Loaded) return <Loaded {...props} />;
  return (
    <Suspense fallback={<div className="code-field is-loading" style={{ minHeight: props.minHeight ?? 80 }} />}>
      <LazyCodeField {...props} />
    </Suspense>
  );
}

/** What every param input gets: its param (of the kind it was chosen for), the value, and the form's context. */
export interface ParamInputProps<K extends ParamKind = ParamKind> {
  id: string;
  testId: string;
  param: ParamSpec & { kind: K };
  value: unknown;
  invalid?: true;
  /** An element that says more about the input (how Tab behaves in code fields). */
  describedBy?: string;
  onChange: (value: unknown) => void;
  onCommit: () => void;
  /** Names a template may use, read when its completions open. */
  variables: () => readonly string[];
  collections: readonly string[];
  models: readonly string[];
  /** The model field got focus: the node's provider is asked for its models again. */
  onFocusModels?: () => void;
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

function NumberInput({ param, ...p }: ParamInputProps<'number'>) {
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
        aria-required={param.required || undefined}
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

function SwitchInput({ id, testId, value, onChange, onCommit }: ParamInputProps<'boolean'>) {
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

function SelectInput({ id, testId, param, value, invalid, onChange, onCommit }: ParamInputProps<'select'>) {
  return (
    <ChoiceSelect
      id={id}
      testId={testId}
      value={value}
      invalid={invalid}
      isRequired={param.required}
      choices={param.options.map((o) => ({ value: o, label: o }))}
      placeholder={value === undefined ? '—' : null}
      onChange={onChange}
      onCommit={onCommit}
    />
  );
}

function JsonInput(p: ParamInputProps<'json'>) {
  const stored = p.value === undefined ? '' : JSON.stringify(p.value, null, 2);
  const [draft, setDraft] = useDraft(stored);
  const [error, setError] = useState<string | null>(null);
  return (
    <>
      <CodeField
        id={p.id}
        testId={p.testId}
        ariaLabel={p.param.label ?? p.param.name}
        describedBy={p.describedBy}
        isRequired={p.param.required}
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

/** Templates and code: CodeMirror, with `{{variable}}` completion in templates. */
function CodeInput({
  id,
  testId,
  param,
  value,
  invalid,
  onChange,
  onCommit,
  variables,
  describedBy,
}: ParamInputProps<'code' | 'template'>) {
  const isTemplate = param.kind === 'template';
  return (
    <CodeField
      id={id}
      testId={testId}
      ariaLabel={param.label ?? param.name}
      describedBy={describedBy}
      isRequired={param.required}
      value={typeof value === 'string' ? value : ''}
      onChange={(text) => onChange(text)}
      onBlur={onCommit}
      language={isTemplate ? 'template' : (param.language ?? 'javascript')}
      variables={variables}
      isInvalid={invalid}
      minHeight={isTemplate ? 110 : 140}
      placeholder={isTemplate ? 'Type {{ to insert a variable' : undefined}
    />
  );
}

function TextAreaInput({ id, testId, param, value, invalid, onChange, onCommit }: ParamInputProps<'text'>) {
  return (
    <textarea
      id={id}
      className="input textarea"
      data-testid={testId}
      aria-invalid={invalid}
      aria-required={param.required || undefined}
      rows={4}
      value={typeof value === 'string' ? value : ''}
      onChange={(e) => onChange(e.target.value)}
      onBlur={onCommit}
    />
  );
}

function SecretInput(p: ParamInputProps<'secret'>) {
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
        aria-required={p.param.required || undefined}
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

/** One line of text; collections and models offer the known names as suggestions. */
export function LineInput({
  id,
  testId,
  param,
  value,
  invalid,
  onChange,
  onCommit,
  collections,
  models,
  onFocusModels,
}: ParamInputProps) {
  const list = param.kind === 'collection' ? collections : param.kind === 'model' ? models : null;
  return (
    <>
      <input
        id={id}
        className="input"
        data-testid={testId}
        aria-invalid={invalid}
        aria-required={param.required || undefined}
        list={list ? `${id}-list` : undefined}
        value={typeof value === 'string' ? value : value === undefined ? '' : String(value)}
        placeholder={
          param.kind === 'collection' ? 'Pick a collection' : param.kind === 'model' ? 'Model name' : undefined
        }
        onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value)}
        onFocus={
          param.kind === 'collection'
            ? () => void refreshCollections()
            : param.kind === 'model'
              ? () => onFocusModels?.()
              : undefined
        }
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

/**
 * The input of each param kind (docs/contracts.md §2). A kind this editor does not know yet (a newer runtime's
 * catalog) gets a `LineInput`.
 */
export const PARAM_INPUTS: { [K in ParamKind]: ComponentType<ParamInputProps<K>> } = {
  number: NumberInput,
  boolean: SwitchInput,
  select: SelectInput,
  json: JsonInput,
  template: CodeInput,
  code: CodeInput,
  text: TextAreaInput,
  secret: SecretInput,
  string: LineInput,
  collection: LineInput,
  model: LineInput,
  flow: FlowPicker,
  provider: ProviderPicker,
};
