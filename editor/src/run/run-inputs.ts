import type { FlowInputSpec, Values } from '@flowloom/nodes/spec';

/** What the run form holds for one input: text as typed, or a checkbox's state. */
export type FormValue = string | boolean;

/** Turns form text into the run input value for its data type; throws with a message on bad JSON. */
export function parseInput(field: FlowInputSpec, raw: FormValue): unknown {
  if (field.dataType === 'boolean') return raw === true;
  if (typeof raw !== 'string') return raw;
  if (raw === '') return undefined;
  if (field.dataType === 'text') return raw;
  if (field.dataType === 'number') {
    const n = Number(raw);
    if (!Number.isFinite(n)) throw new Error(`${field.name} must be a number`);
    return n;
  }
  try {
    return JSON.parse(raw);
  } catch {
    throw new Error(`${field.name} must be valid JSON`);
  }
}

/**
 * The run form's values for a run's inputs (the inverse of `parseInput`: each field's text parses back to the value
 * the run got). Inputs the run did not get stay empty; inputs the flow no longer has are left out.
 */
export function formValuesOf(fields: readonly FlowInputSpec[], inputs: Values): Record<string, FormValue> {
  const out: Record<string, FormValue> = {};
  for (const field of fields) {
    const value = inputs[field.name];
    if (field.dataType === 'boolean') out[field.name] = value === true;
    else if (value === undefined || value === null) out[field.name] = '';
    else if (field.dataType === 'text' && typeof value === 'string') out[field.name] = value;
    else if (field.dataType === 'number' && typeof value === 'number') out[field.name] = String(value);
    else out[field.name] = JSON.stringify(value, null, 2);
  }
  return out;
}
