import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../testing/fixtures.js';

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(async () => t.close());

describe('GET /api/nodes', () => {
  it('serves the whole catalog as data, untouched by serialization', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/nodes' });
    expect(res.statusCode).toBe(200);
    const { nodes } = res.json();
    expect(nodes).toEqual(JSON.parse(JSON.stringify(t.app.runtime.registry.catalog())));
    expect(nodes.map((n: { type: string }) => n.type)).toEqual(
      expect.arrayContaining(['input', 'output', 'prompt', 'llm']),
    );
    const prompt = nodes.find((n: { type: string }) => n.type === 'prompt');
    // Params that name a flow are of kind flow: the editor shows a flow picker, publishing freezes the flow.
    const subflow = nodes.find((n: { type: string }) => n.type === 'subflow');
    expect(subflow.params[0]).toMatchObject({ name: 'flowId', kind: 'flow', required: true });
    expect(prompt.dynamicInputs).toEqual({
      fromParam: 'template',
      source: 'template',
      dataType: 'text',
      required: true,
    });
  });
});
