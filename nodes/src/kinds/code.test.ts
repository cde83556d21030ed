import { describe, expect, it } from 'vitest';
import type { SandboxRunOptions } from '../services.js';
import { AppError, resolveInputs } from '../spec/index.js';
import { code } from './code.js';
import { fakeContext } from './shared/fake-context.js';

const params = { code: 'return inputs.a + inputs.b;', inputNames: ['a', 'b'], timeoutMs: 200, memoryMb: 4 };

describe('code', () => {
  it('has one input port per listed name', () => {
    expect(resolveInputs(code.spec, params).map((p) => p.name)).toEqual(['a', 'b']);
  });

  it('runs the code in the sandbox with its inputs, limits, signal and log lines', async () => {
    const runs: { code: string; args: Record<string, unknown>; options: SandboxRunOptions }[] = [];
    const sandbox = {
      run: async (source: string, args: Record<string, unknown>, options: SandboxRunOptions) => {
        runs.push({ code: source, args, options });
        options.onLog?.('hello');
        return 3;
      },
    };
    const { ctx, record } = fakeContext({ services: { sandbox } });
    expect(await code.execute({ inputs: { a: 1, b: 2 }, params }, ctx)).toEqual({ result: 3 });
    expect(runs[0]).toMatchObject({
      code: params.code,
      args: { inputs: { a: 1, b: 2 } },
      options: { signal: ctx.signal, timeoutMs: 200, memoryBytes: 4 * 1024 * 1024 },
    });
    expect(record.logs[0]?.message).toBe('hello');
  });

  it('passes sandbox errors through with their code, and null for no result', async () => {
    const failing = { run: async () => Promise.reject(new AppError('SANDBOX_TIMEOUT', 'too long')) };
    const { ctx } = fakeContext({ services: { sandbox: failing } });
    await expect(code.execute({ inputs: {}, params }, ctx)).rejects.toMatchObject({ code: 'SANDBOX_TIMEOUT' });
    const { ctx: quiet } = fakeContext({ services: { sandbox: { run: async () => undefined } } });
    expect(await code.execute({ inputs: {}, params }, quiet)).toEqual({ result: null });
  });
});
