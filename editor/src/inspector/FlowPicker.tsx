import { useEffect, useState } from 'react';
import { api, type FlowSummary } from '../api/http';

/** The props it uses of a param field's: those of the inspector's param inputs. */
export interface FlowPickerProps {
  id: string;
  testId: string;
  value: unknown;
  invalid?: boolean;
  onChange: (value: unknown) => void;
  onCommit: () => void;
}

/** One choice of the picker. */
export interface FlowOption {
  id: string;
  label: string;
}

/**
 * The choices for a param of kind `flow`: the stored flows by name, and the current value when it names none of
 * them (a deleted flow, or the list not loaded yet), so the field never shows another flow than the one it holds.
 */
export function flowOptions(flows: readonly Pick<FlowSummary, 'id' | 'name'>[] | null, value: unknown): FlowOption[] {
  const options = (flows ?? []).map((flow) => ({
    id: flow.id,
    label: flow.name && flow.name !== flow.id ? `${flow.name} (${flow.id})` : flow.id,
  }));
  if (typeof value === 'string' && value !== '' && !options.some((o) => o.id === value)) {
    options.unshift({ id: value, label: flows ? `${value} (no such flow)` : value });
  }
  return options;
}

/** The field of a param of kind `flow` (subflow, map, tool-flow): a select of the stored flows. */
export function FlowPicker({ id, testId, value, invalid, onChange, onCommit }: FlowPickerProps) {
  const [flows, setFlows] = useState<FlowSummary[] | null>(null);
  useEffect(() => {
    let isCurrent = true;
    api.flows().then(
      (list) => isCurrent && setFlows(list),
      () => isCurrent && setFlows([]),
    );
    return () => {
      isCurrent = false;
    };
  }, []);
  return (
    <select
      id={id}
      className="input"
      data-testid={testId}
      aria-invalid={invalid}
      aria-busy={flows === null}
      value={typeof value === 'string' ? value : ''}
      onChange={(e) => {
        onChange(e.target.value === '' ? undefined : e.target.value);
        onCommit();
      }}
    >
      <option value="">{flows === null ? 'Loading flows…' : 'Pick a flow'}</option>
      {flowOptions(flows, value).map((option) => (
        <option key={option.id} value={option.id}>
          {option.label}
        </option>
      ))}
    </select>
  );
}
