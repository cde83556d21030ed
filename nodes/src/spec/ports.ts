import type { NodeSpec, ParamSpec, PortSpec } from './node-spec.js';
import { templateVariables } from './template.js';
import { DATA_TYPES, type DataType } from './values.js';

/** The params of a node with the kind's defaults filled in where the node leaves them out. */
export function withDefaults(spec: NodeSpec, params: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const param of spec.params) if (param.default !== undefined) out[param.name] = param.default;
  return { ...out, ...params };
}

function typed(ports: readonly PortSpec[], values: Record<string, unknown>): PortSpec[] {
  return ports.map((port) => {
    const from = port.dataTypeFromParam && values[port.dataTypeFromParam];
    return typeof from === 'string' && (DATA_TYPES as readonly string[]).includes(from)
      ? { ...port, dataType: from as DataType }
      : port;
  });
}

/** The output ports of one node, with param-driven data types applied, plus those derived from its params (`dynamicOutputs`). */
export function resolveOutputs(spec: NodeSpec, params: Record<string, unknown> | undefined): PortSpec[] {
  return outputsOf(spec, withDefaults(spec, params));
}

/** `resolveOutputs` for params that have their defaults filled in already (`withDefaults`). */
export function outputsOf(spec: NodeSpec, values: Record<string, unknown>): PortSpec[] {
  const fixed = typed(spec.outputs, values);
  const dynamic = spec.dynamicOutputs;
  if (!dynamic) return fixed;
  const taken = new Set(fixed.map((p) => p.name));
  const derived: PortSpec[] = [];
  for (const name of listNames(values[dynamic.fromParam])) {
    if (taken.has(name)) continue;
    taken.add(name);
    derived.push({ name, dataType: dynamic.dataType });
  }
  return [...fixed, ...derived];
}

/** Names from a list param: its non-empty strings, or the `name` of its objects. */
export function listNames(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  const names: string[] = [];
  for (const item of value) {
    const name =
      typeof item === 'string'
        ? item
        : item && typeof item === 'object'
          ? (item as { name?: unknown }).name
          : undefined;
    if (typeof name === 'string' && name !== '') names.push(name);
  }
  return names;
}

/** The input ports of one node: the kind's fixed inputs plus those derived from its params (`dynamicInputs`). */
export function resolveInputs(spec: NodeSpec, params: Record<string, unknown> | undefined): PortSpec[] {
  return inputsOf(spec, withDefaults(spec, params));
}

/** `resolveInputs` for params that have their defaults filled in already (`withDefaults`). */
export function inputsOf(spec: NodeSpec, values: Record<string, unknown>): PortSpec[] {
  const dynamic = spec.dynamicInputs;
  if (!dynamic) return typed(spec.inputs, values);
  const source = values[dynamic.fromParam];
  let names: string[] = [];
  if (dynamic.source === 'template' && typeof source === 'string') names = templateVariables(source);
  if (dynamic.source === 'list' && Array.isArray(source))
    names = source.filter((s): s is string => typeof s === 'string');
  const fixed = new Set(spec.inputs.map((p) => p.name));
  const derived = names
    .filter((name) => !fixed.has(name))
    .map((name): PortSpec => ({ name, dataType: dynamic.dataType, required: dynamic.required }));
  return [...typed(spec.inputs, values), ...derived];
}

/** Finds a param spec by name. */
export function findParam(spec: NodeSpec, name: string): ParamSpec | undefined {
  return spec.params.find((p) => p.name === name);
}

/** Whether a param is active given the node's params (its `showIf` holds, or it has none). */
export function isParamActive(param: ParamSpec, params: Record<string, unknown>): boolean {
  return !param.showIf || params[param.showIf.param] === param.showIf.equals;
}

/**
 * Checks param values against their specs; returns one message per problem, keyed by param name.
 * Browser-safe: the editor marks fields with it, the engine refuses a node with it.
 */
export function checkParams(
  spec: NodeSpec,
  params: Record<string, unknown> | undefined,
): { param: string; message: string }[] {
  return paramProblems(spec, withDefaults(spec, params));
}

/** `checkParams` for params that have their defaults filled in already (`withDefaults`). */
export function paramProblems(spec: NodeSpec, values: Record<string, unknown>): { param: string; message: string }[] {
  const problems: { param: string; message: string }[] = [];
  for (const param of spec.params) {
    if (!isParamActive(param, values)) continue;
    const value = values[param.name];
    const label = `param "${param.name}"`;
    if (value === undefined || value === null || value === '') {
      if (param.required) problems.push({ param: param.name, message: `${label} is required` });
      continue;
    }
    switch (param.kind) {
      case 'number':
        if (typeof value !== 'number' || !Number.isFinite(value)) {
          problems.push({ param: param.name, message: `${label} must be a number` });
        } else if (param.min !== undefined && value < param.min) {
          problems.push({ param: param.name, message: `${label} must be at least ${param.min}` });
        } else if (param.max !== undefined && value > param.max) {
          problems.push({ param: param.name, message: `${label} must be at most ${param.max}` });
        } else if (param.integer && !Number.isInteger(value)) {
          problems.push({ param: param.name, message: `${label} must be a whole number` });
        }
        break;
      case 'boolean':
        if (typeof value !== 'boolean') problems.push({ param: param.name, message: `${label} must be true or false` });
        break;
      case 'select':
        if (typeof value !== 'string' || !param.options.includes(value)) {
          problems.push({ param: param.name, message: `${label} must be one of ${param.options.join(', ')}` });
        }
        break;
      case 'json':
        break;
      default:
        if (typeof value !== 'string') problems.push({ param: param.name, message: `${label} must be a string` });
        else if (param.maxLength !== undefined && value.length > param.maxLength) {
          problems.push({ param: param.name, message: `${label} must be at most ${param.maxLength} characters` });
        }
    }
  }
  return problems;
}
