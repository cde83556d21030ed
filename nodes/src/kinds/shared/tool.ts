import { AppError } from '../../spec/index.js';
import { compileSchema, schemaProblems } from './json-schema.js';

const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Whether a model API accepts this as a function name: 1-64 letters, digits, `_` or `-`. */
export function isToolName(name: unknown): name is string {
  return typeof name === 'string' && TOOL_NAME.test(name);
}

/** The params every tool kind has: how the model sees the tool. */
export const toolNameParam = {
  name: 'name',
  kind: 'string',
  required: true,
  default: 'my_tool',
  maxLength: 64,
  description: 'Function name the model calls: letters, digits, _ or -.',
} as const;

export const toolDescriptionParam = {
  name: 'description',
  kind: 'text',
  required: true,
  default: 'Describe what the tool does and when to use it.',
  maxLength: 4_000,
  description: 'Tells the model what the tool does and when to call it.',
} as const;

export const toolParametersParam = {
  name: 'parameters',
  kind: 'json',
  default: { type: 'object', properties: {}, additionalProperties: false },
  description: 'JSON Schema of the arguments object.',
} as const;

/** Checks a tool's name and parameters schema (NODE_PARAM_INVALID) and returns the schema. */
export function checkTool(name: string, parameters: unknown): Record<string, unknown> {
  if (!isToolName(name)) {
    throw new AppError('NODE_PARAM_INVALID', `param "name" must be 1-64 letters, digits, _ or - (got "${name}")`);
  }
  compileSchema(parameters, 'parameters');
  const schema = parameters as Record<string, unknown>;
  if (schema.type !== 'object')
    throw new AppError('NODE_PARAM_INVALID', 'param "parameters" must be a schema of type "object"');
  return schema;
}

/** Refuses arguments that do not match the tool's schema; the message goes back to the model. */
export function checkArguments(name: string, parameters: unknown, args: Record<string, unknown>): void {
  const problems = schemaProblems(compileSchema(parameters, 'parameters'), args);
  if (problems.length > 0) {
    throw new AppError('TOOL_FAILED', `invalid arguments for "${name}": ${problems.map((p) => p.message).join('; ')}`, {
      details: problems,
    });
  }
}
