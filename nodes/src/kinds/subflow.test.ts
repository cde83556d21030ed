import { describe, expect, it } from 'vitest';
import type { FlowRunOptions } from '../services.js';
import { resolveInputs, resolveOutputs, type Values } from '../spec/index.js';
import { fakeContext } from './shared/fake-context.js';
import { subflow } from './subflow.js';

const params = { flowId: 'child', inputNames: ['question'], outputNames: ['answer'] };

describe('subflow', () => {
  it('has a port per listed input and output name', () => {
    expect(resolveInputs(subflow.spec, params).map((p) => p.name)).toEqual(['inputs', 'question']);
    expect(resolveOutputs(subflow.spec, params).map((p) => p.name)).toEqual(['outputs', 'answer']);
  });

  it('runs the saved flow in a child span, one level deeper, and maps its outputs', async () => {
    const runs: { flowId: string; inputs: Values; options: FlowRunOptions }[] = [];
    const flows = {
      run: async (flowId: string, inputs: Values, options: FlowRunOptions) => {
        runs.push({ flowId, inputs, options });
        options.onUsage?.({ promptTokens: 3, completionTokens: 2 }, 0.01);
        return { answer: 'forty-two', extra: true };
      },
    };
    const { ctx, record } = fakeContext({ services: { flows }, request: { depth: 1 } });
    const out = await subflow.execute(
      { inputs: { question: 'q?', inputs: { question: 'overridden', lang: 'en' } }, params },
      ctx,
    );
    expect(out).toEqual({ answer: 'forty-two', outputs: { answer: 'forty-two', extra: true } });
    expect(runs[0]?.inputs).toEqual({ question: 'q?', lang: 'en' });
    expect(runs[0]?.options.depth).toBe(2);
    expect(runs[0]?.options.parentSpanId).toBe(record.spans[0]?.spanId);
    expect(record.spans[0]?.name).toBe('flow child');
    expect(record.usage).toEqual([{ promptTokens: 3, completionTokens: 2 }]);
  });

  it('refuses a non-object inputs value and nesting past the limit', async () => {
    const { ctx } = fakeContext({ services: { flows: { run: async () => ({}) } }, request: { depth: 8 } });
    await expect(subflow.execute({ inputs: { inputs: [1] }, params }, ctx)).rejects.toMatchObject({
      code: 'NODE_INPUT_INVALID',
    });
    await expect(subflow.execute({ inputs: {}, params }, ctx)).rejects.toMatchObject({
      code: 'SUBFLOW_DEPTH_EXCEEDED',
    });
  });
});
