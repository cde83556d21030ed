import { AppError } from './errors.js';
import type { FlowFile } from './flow.js';
import type { SpecLookup } from './node-spec.js';
import { resolveOutputs, withDefaults } from './ports.js';
import { type DataType, findValueProblem } from './values.js';

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
 * Checks run inputs against the flow's input nodes: missing required ones, wrong types, values nested deeper than
 * `MAX_VALUE_DEPTH` and unknown names.
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
    const deep = findValueProblem(value, { prefix: spec.name });
    if (deep) problems.push({ input: spec.name, message: `input ${deep.path} ${deep.message}` });
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

/** The chat face of a flow (docs/contracts.md §1): which input takes the question and which output is the answer. */
export interface ChatShape {
  input: string;
  output: string;
  /** The node whose text feeds the output: its `node.delta` events are the streamed answer. */
  answerNodeId: string;
  /** An optional `messages` input that receives the earlier conversation, when the flow has one. */
  historyInput?: string;
}

const CHAT_INPUT_NAMES = new Set(['question', 'message']);

/**
 * The chat shape of a flow: exactly one text input named `question` or `message` (any other inputs optional, one of
 * type `messages` taking the history), exactly one output, fed by a text port. Null when the flow is not a chat flow.
 * The one rule for the chat playground, the OpenAI-compatible face and the publish dialog.
 */
export function chatShape(flow: FlowFile, lookup: SpecLookup): ChatShape | null {
  const inputs = flowInputs(flow, lookup);
  const outputs = flowOutputs(flow, lookup);
  const question = inputs.filter((i) => CHAT_INPUT_NAMES.has(i.name) && i.dataType === 'text');
  if (question.length !== 1 || outputs.length !== 1) return null;
  const others = inputs.filter((i) => i !== question[0]);
  if (others.some((i) => i.required)) return null;
  const output = outputs[0] as FlowOutputSpec;
  const edge = flow.edges.find((e) => e.target === output.nodeId);
  const source = edge && flow.nodes.find((n) => n.id === edge.source);
  const spec = source && lookup(source.type);
  const port = spec && resolveOutputs(spec, source.params).find((p) => p.name === edge.sourcePort);
  if (!port || (port.dataType !== 'text' && port.dataType !== 'any')) return null;
  const history = others.find((i) => i.dataType === 'messages');
  return {
    input: (question[0] as FlowInputSpec).name,
    output: output.name,
    answerNodeId: (source as { id: string }).id,
    ...(history && { historyInput: history.name }),
  };
}
