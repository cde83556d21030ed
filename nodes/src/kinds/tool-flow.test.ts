import { describe, expect, it } from 'vitest';
import type { FlowDescription, FlowRunOptions } from '../services.js';
import type { Values } from '../spec/index.js';
import { fakeContext } from './shared/fake-context.js';
import { toolFlow } from './tool-flow.js';

const description: FlowDescription = {
  id: 'order-lookup',
  name: 'Order lookup',
  description: 'Finds an order.',
  inputs: [
    { name: 'orderId', dataType: 'text', required: true, description: 'The order number.' },
    { name: 'verbose', dataType: 'boolean', required: false },
  ],
  outputs: [{ name: 'status' }],
};

function flows(outputs: Values = { status: 'shipped' }) {
  const runs: { flowId: string; inputs: Values; options: FlowRunOptions }[] = [];
  return {
    runs,
    describe: async (flowId: string) => ({ ...description, id: flowId }),
    run: async (flowId: string, inputs: Values, options: FlowRunOptions) => {
      runs.push({ flowId, inputs, options });
      return outputs;
    },
  };
}

const params = { flowId: 'order-lookup', name: '', description: '', parameters: undefined };

describe('tool-flow', () => {
  it("derives the tool from the flow's inputs", async () => {
    const { ctx } = fakeContext({ services: { flows: flows() }, nodeId: 'lookup' });
    const out = await toolFlow.execute({ inputs: {}, params }, ctx);
    expect(out.tool).toEqual({
      name: 'order-lookup',
      description: 'Finds an order.',
      nodeId: 'lookup',
      parameters: {
        type: 'object',
        properties: { orderId: { type: 'string', description: 'The order number.' }, verbose: { type: 'boolean' } },
        required: ['orderId'],
        additionalProperties: false,
      },
    });
  });

  it('runs the flow one level deeper with the arguments and answers its single output', async () => {
    const service = flows();
    const { ctx } = fakeContext({ services: { flows: service }, request: { depth: 2, sessionId: 's1' } });
    const result = await toolFlow.invoke?.({ orderId: 'A1' }, { inputs: {}, params }, ctx);
    expect(result).toBe('shipped');
    expect(service.runs[0]).toMatchObject({
      flowId: 'order-lookup',
      inputs: { orderId: 'A1' },
      options: { signal: ctx.signal, parentSpanId: ctx.spanId, depth: 3, request: { sessionId: 's1' } },
    });
  });

  it('refuses to nest past the depth limit', async () => {
    const service = flows();
    const { ctx } = fakeContext({ services: { flows: service }, request: { depth: 8 } });
    await expect(toolFlow.invoke?.({ orderId: 'A1' }, { inputs: {}, params }, ctx)).rejects.toMatchObject({
      code: 'SUBFLOW_DEPTH_EXCEEDED',
    });
    expect(service.runs).toHaveLength(0);
  });
});
