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
