import { useEffect, useState } from 'react';
import { api, type FlowSummary } from '../api/http';
import { type Choice, ChoiceSelect } from './ChoiceSelect';

/** The props it uses of a param field's: those of the inspector's param inputs. */
export interface FlowPickerProps {
  id: string;
  testId: string;
  value: unknown;
  invalid?: boolean;
  param?: { required?: boolean };
  onChange: (value: unknown) => void;
  onCommit: () => void;
}

/**
 * The choices for a param of kind `flow`: the stored flows by name, and the current value when it names none of
 * them (a deleted flow, or the list not loaded yet), so the field never shows another flow than the one it holds.
 */
export function flowChoices(flows: readonly Pick<FlowSummary, 'id' | 'name'>[] | null, value: unknown): Choice[] {
  const choices = (flows ?? []).map((flow) => ({
    value: flow.id,
    label: flow.name && flow.name !== flow.id ? `${flow.name} (${flow.id})` : flow.id,
  }));
  if (typeof value === 'string' && value !== '' && !choices.some((c) => c.value === value)) {
    choices.unshift({ value, label: flows ? `${value} (no such flow)` : value });
  }
  return choices;
}

/** The field of a param of kind `flow` (subflow, map, tool-flow): a select of the stored flows. */
export function FlowPicker({ id, testId, value, invalid, param, onChange, onCommit }: FlowPickerProps) {
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
    <ChoiceSelect
      id={id}
      testId={testId}
      value={value}
      invalid={invalid}
      isRequired={param?.required}
      isBusy={flows === null}
      choices={flowChoices(flows, value)}
      placeholder={flows === null ? 'Loading flows…' : 'Pick a flow'}
      onChange={(picked) => onChange(picked === '' ? undefined : picked)}
      onCommit={onCommit}
    />
  );
}
