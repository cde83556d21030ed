/** One choice of a `ChoiceSelect`: the value it stores and the text it shows. */
export interface Choice {
  value: string;
  label: string;
}

interface Props {
  id: string;
  testId: string;
  value: unknown;
  choices: readonly Choice[];
  /** The text of a first, empty choice; none when null. */
  placeholder: string | null;
  invalid?: boolean;
  isRequired?: boolean;
  isBusy?: boolean;
  onChange: (value: string) => void;
  onCommit: () => void;
}

/** A select of a param's choices that commits on every pick (select params, the flow picker). */
export function ChoiceSelect({
  id,
  testId,
  value,
  choices,
  placeholder,
  invalid,
  isRequired,
  isBusy,
  onChange,
  onCommit,
}: Props) {
  return (
    <select
      id={id}
      className="input"
      data-testid={testId}
      aria-invalid={invalid}
      aria-required={isRequired || undefined}
      aria-busy={isBusy}
      value={typeof value === 'string' ? value : ''}
      onChange={(e) => {
        onChange(e.target.value);
        onCommit();
      }}
    >
      {placeholder === null ? null : <option value="">{placeholder}</option>}
      {choices.map((choice) => (
        <option key={choice.value} value={choice.value}>
          {choice.label}
        </option>
      ))}
    </select>
  );
}
