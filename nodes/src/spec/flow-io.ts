import { AppError } from './errors.js';
import type { FlowFile } from './flow.js';
import type { SpecLookup } from './node-spec.js';
import { withDefaults } from './ports.js';
import type { DataType } from './values.js';

/** One run input of a flow, from one of its `input` nodes. */
export interface FlowInputSpec {
  nodeId: string;
  name: string;
  dataType: DataType;
  required: boolean;
  default?: unknown;
  description?: string;
}

/** The flow's inputs, from its nodes whose kind has `flowIO: 'input'`. */
export function flowInputs(flow: FlowFile, lookup: SpecLookup): FlowInputSpec[] {
  const out: FlowInputSpec[] = [];
  for (const node of flow.nodes) {
    const spec = lookup(node.type);
    if (spec?.flowIO !== 'input') continue;
    const params = withDefaults(spec, node.params);
    const value = spec.outputs[0];
    const dataType = (typeof params.dataType === 'string' ? params.dataType : (value?.dataType ?? 'any')) as DataType;
    out.push({
      nodeId: node.id,
      name: String(params.name),
      dataType,
      required: params.required !== false && params.default === undefined,
      ...(params.default !== undefined && { default: params.default }),
      ...(typeof params.description === 'string' && params.description !== '' && { description: params.description }),
    });
  }
  return out;
}

/** One run output of a flow, from one of its `output` nodes. */
export interface FlowOutputSpec {
  nodeId: string;
  name: string;
}

/** The flow's output names, from its nodes whose kind has `flowIO: 'output'`. */
export function flowOutputs(flow: FlowFile, lookup: SpecLookup): FlowOutputSpec[] {
  const out: FlowOutputSpec[] = [];
  for (const node of flow.nodes) {
    const spec = lookup(node.type);
    if (spec?.flowIO === 'output') out.push({ nodeId: node.id, name: String(withDefaults(spec, node.params).name) });
  }
  return out;
}

function typeProblem(value: unknown, dataType: DataType): string | null {
  switch (dataType) {
    case 'text':
      return typeof value === 'string' ? null : 'must be a string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? null : 'must be a number';
    case 'boolean':
      return typeof value === 'boolean' ? null : 'must be true or false';
    case 'messages':
      return Array.isArray(value) &&
        value.every((m) => m && typeof m === 'object' && typeof (m as { role?: unknown }).role === 'string')
        ? null
        : 'must be an array of chat messages ({role, content})';
    case 'documents':
      return Array.isArray(value) &&
        value.every((d) => d && typeof d === 'object' && typeof (d as { text?: unknown }).text === 'string')
        ? null
        : 'must be an array of documents ({id, text, metadata})';
    case 'embedding':
      return Array.isArray(value) && value.every((n) => typeof n === 'number') ? null : 'must be an array of numbers';
    default:
      return null;
  }
}

/**
 * Checks run inputs against the flow's input nodes: missing required ones, wrong types and unknown names.
 * Throws RUN_INPUT_INVALID listing every problem, each naming its input.
 */
export function checkRunInputs(specs: readonly FlowInputSpec[], inputs: Record<string, unknown>): void {
  const problems: { input: string; message: string }[] = [];
  const known = new Set(specs.map((s) => s.name));
  for (const spec of specs) {
    const value = inputs[spec.name];
    if (value === undefined || value === null) {
      if (spec.required)
        problems.push({ input: spec.name, message: `input "${spec.name}" is required (${spec.dataType})` });
      continue;
    }
    const problem = typeProblem(value, spec.dataType);
    if (problem) problems.push({ input: spec.name, message: `input "${spec.name}" ${problem}` });
  }
  for (const name of Object.keys(inputs)) {
    if (!known.has(name)) {
      const expected = specs.length ? `expected: ${[...known].join(', ')}` : 'the flow has no inputs';
      problems.push({ input: name, message: `unknown input "${name}" (${expected})` });
    }
  }
  if (problems.length > 0) {
    throw new AppError('RUN_INPUT_INVALID', problems.map((p) => p.message).join('; '), { details: problems });
  }
}
