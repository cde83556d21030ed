/** A labelled native select of the monitoring page's forms (keyboard and screen readers get the browser's own). */
export function SelectField(props: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  options: readonly (readonly [value: string, label: string])[];
  testId: string;
  disabled?: boolean;
}) {
  const { label, value, onChange, options, testId, disabled } = props;
  return (
    <label>
      <span className="field-label">{label}</span>
      <select
        className="input"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        disabled={disabled}
        data-testid={testId}
      >
        {options.map(([optionValue, optionLabel]) => (
          <option key={optionValue} value={optionValue}>
            {optionLabel}
          </option>
        ))}
      </select>
    </label>
  );
}
