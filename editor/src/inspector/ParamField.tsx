import { type ComponentType, memo } from 'react';
import { FieldLabelRow } from '../ui/Field';
import { LineInput, PARAM_INPUTS, type ParamInputProps } from './param-inputs';

/** Kinds edited in CodeMirror, where Tab indents: their field says how to leave it. */
const CODE_KINDS = new Set(['json', 'code', 'template']);

type Props = Omit<ParamInputProps, 'id' | 'testId' | 'invalid' | 'describedBy'> & {
  nodeId: string;
  problem?: string;
};

/** One field of the inspector: label, the input of the param's kind (`PARAM_INPUTS`), its problem or help. */
export const ParamField = memo(function ParamField({ nodeId, problem, ...input }: Props) {
  const { param } = input;
  const id = `param-${nodeId}-${param.name}`;
  const label = param.label ?? param.name;
  // The map gives each kind the input made for it, so `param` is of the kind the input expects.
  const Input = (PARAM_INPUTS[param.kind] ?? LineInput) as ComponentType<ParamInputProps>;
  const hasTabHint = CODE_KINDS.has(param.kind);
  return (
    <div className={`field${problem ? ' is-invalid' : ''}`} data-testid={`field-${param.name}`}>
      <FieldLabelRow htmlFor={id} label={label} isRequired={param.required}>
        <span className={`field-kind${hasTabHint ? ' has-tab-hint' : ''}`}>{param.kind}</span>
        {hasTabHint ? (
          <span className="tab-hint" id={`${id}-tab-hint`}>
            Tab indents once you type · <kbd>Esc</kbd> then <kbd>Tab</kbd> leaves
          </span>
        ) : null}
      </FieldLabelRow>
      <Input
        {...input}
        id={id}
        testId={`param-${param.name}`}
        invalid={problem ? true : undefined}
        describedBy={hasTabHint ? `${id}-tab-hint` : undefined}
      />
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
