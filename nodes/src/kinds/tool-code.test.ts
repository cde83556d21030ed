import { describe, expect, it } from 'vitest';
import type { SandboxRunOptions } from '../services.js';
import { fakeContext } from './shared/fake-context.js';
import { toolCode } from './tool-code.js';

const parameters = {
  type: 'object',
  properties: { n: { type: 'number' } },
  required: ['n'],
  additionalProperties: false,
};
const params = {
  name: 'double',
  description: 'Doubles n.',
  parameters,
  code: 'return args.n * 2;',
  timeoutMs: 500,
  memoryMb: 8,
};

function sandbox() {
  const runs: { code: string; args: Record<string, unknown>; options: SandboxRunOptions }[] = [];
  return {
    runs,
    async run(code: string, args: Record<string, unknown>, options: SandboxRunOptions) {
      runs.push({ code, args, options });
      options.onLog?.('log line');
      return (args.args as { n: number }).n * 2;
    },
  };
}

describe('tool-code', () => {
  it('publishes its tool with the node id', async () => {
    const { ctx } = fakeContext({ nodeId: 'doubler' });
    const out = await toolCode.execute({ inputs: {}, params }, ctx);
    expect(out.tool).toEqual({ name: 'double', description: 'Doubles n.', parameters, nodeId: 'doubler' });
  });

  it('runs the code in the sandbox with args, context, limits and the signal', async () => {
    const box = sandbox();
    const { ctx, record } = fakeContext({ services: { sandbox: box } });
    const result = await toolCode.invoke?.({ n: 21 }, { inputs: { context: { unit: 'x' } }, params }, ctx);
    expect(result).toBe(42);
    expect(box.runs[0]).toMatchObject({
      code: 'return args.n * 2;',
      args: { args: { n: 21 }, context: { unit: 'x' } },
      options: { signal: ctx.signal, timeoutMs: 500, memoryBytes: 8 * 1024 * 1024 },
    });
    expect(record.logs.map((l) => l.message)).toEqual(['log line']);
  });

  it('refuses arguments that do not match the schema with TOOL_FAILED', async () => {
    const box = sandbox();
    const { ctx } = fakeContext({ services: { sandbox: box } });
    await expect(toolCode.invoke?.({ n: 'x' }, { inputs: {}, params }, ctx)).rejects.toMatchObject({
      code: 'TOOL_FAILED',
    });
    await expect(toolCode.invoke?.({ n: 1, extra: 1 }, { inputs: {}, params }, ctx)).rejects.toMatchObject({
      code: 'TOOL_FAILED',
    });
    expect(box.runs).toHaveLength(0);
  });

  it('refuses a bad name or schema with NODE_PARAM_INVALID, and a missing sandbox with SERVICE_NOT_CONFIGURED', async () => {
    const { ctx } = fakeContext();
    await expect(toolCode.execute({ inputs: {}, params: { ...params, name: 'has space' } }, ctx)).rejects.toMatchObject(
      { code: 'NODE_PARAM_INVALID' },
    );
    await expect(
      toolCode.execute({ inputs: {}, params: { ...params, parameters: { type: 'nonsense' } } }, ctx),
    ).rejects.toMatchObject({ code: 'NODE_PARAM_INVALID' });
    await expect(
      toolCode.execute({ inputs: {}, params: { ...params, parameters: { type: 'string' } } }, ctx),
    ).rejects.toMatchObject({ code: 'NODE_PARAM_INVALID' });
    await expect(toolCode.invoke?.({ n: 1 }, { inputs: {}, params }, ctx)).rejects.toMatchObject({
      code: 'SERVICE_NOT_CONFIGURED',
    });
  });
});
