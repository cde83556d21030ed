import type { ReactNode } from 'react';

interface Props {
  /** The id of the control, which the label points at. */
  id: string;
  label: ReactNode;
  help?: ReactNode;
  /** Shown between the control and the help line. */
  error?: ReactNode;
  className?: string;
  children: ReactNode;
}

/** A form field in the app's style: the label above its control, then an error and a help line. */
export function Field({ id, label, help, error, className, children }: Props) {
  return (
    <div className={className ? `field ${className}` : 'field'}>
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      {children}
      {error}
      {help ? <div className="field-help">{help}</div> : null}
    </div>
  );
}

/**
 * A field's label row: the label, with a required mark that screen readers skip (the control says `aria-required`),
 * and on the right what `children` adds (the kind, a hint).
 */
export function FieldLabelRow({
  htmlFor,
  label,
  isRequired,
  children,
}: {
  htmlFor: string;
  label: ReactNode;
  isRequired?: boolean;
  children?: ReactNode;
}) {
  return (
    <div className="field-label-row">
      <label className="field-label" htmlFor={htmlFor}>
        {label}
        {isRequired ? (
          <span className="required-mark" aria-hidden>
            *
          </span>
        ) : null}
      </label>
      {children}
    </div>
  );
}
