import { useEffect } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { defaultLabel } from '../settings/api';
import { useProviders } from '../settings/providers-store';
import { whenIdle } from '../ui/when-idle';
import { ChoiceSelect } from './ChoiceSelect';
import type { ParamInputProps } from './param-inputs';

/**
 * A `provider` param: the model providers set in Settings, and the default one (an empty value). A provider that is
 * no longer set stays on show as such, so the node's choice is not silently changed.
 */
export function ProviderPicker({ id, testId, value, invalid, onChange, onCommit }: ParamInputProps<'provider'>) {
  const { list, fallback, refresh } = useProviders(
    useShallow((s) => ({ list: s.list, fallback: s.fallback, refresh: s.refresh })),
  );
  // Once the browser is idle after the form is painted: a click that shows the node runs this effect before its paint.
  useEffect(() => whenIdle(() => void refresh()), [refresh]);
  const current = typeof value === 'string' ? value : '';
  const choices = list.map((p) => ({ value: p.id, label: p.kind === 'openai' ? `${p.name} (OpenAI)` : p.name }));
  if (current && !list.some((p) => p.id === current)) choices.push({ value: current, label: `${current} (not set)` });
  return (
    <ChoiceSelect
      id={id}
      testId={testId}
      value={current}
      invalid={invalid}
      choices={choices}
      placeholder={defaultLabel(fallback, list)}
      onChange={(next) => onChange(next === '' ? undefined : next)}
      onCommit={onCommit}
    />
  );
}
