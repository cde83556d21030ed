import { describe, expect, it } from 'vitest';
import { NodeRegistry } from '../registry.js';
import type { FlowFile, FlowNode } from './flow.js';
import { collectFlowCalls, flowCalls } from './flow-calls.js';
import { checkParams } from './ports.js';

const { lookup } = new NodeRegistry();
const at = { x: 0, y: 0 };

function flow(id: string, nodes: Omit<FlowNode, 'position'>[]): FlowFile {
  return {
    format: 'flowloom.flow/v1',
    id,
    name: id,
    nodes: nodes.map((node) => ({ ...node, position: at })),
    edges: [],
  };
}

describe('flowCalls', () => {
  it('lists the params of kind flow of subflow, map and tool-flow nodes, in node order', () => {
    const calls = flowCalls(
      flow('root', [
        { id: 'q', type: 'input' },
        { id: 'sub', type: 'subflow', params: { flowId: 'a' } },
        { id: 'each', type: 'map', params: { flowId: 'b' } },
        { id: 'tool', type: 'tool-flow', params: { flowId: 'c' } },
        { id: 'empty', type: 'subflow', params: { flowId: '' } },
        { id: 'unknown', type: 'no-such-kind', params: { flowId: 'd' } },
      ]),
      lookup,
    );
    expect(calls).toEqual([
      { flowId: 'root', nodeId: 'sub', param: 'flowId', calledFlowId: 'a' },
      { flowId: 'root', nodeId: 'each', param: 'flowId', calledFlowId: 'b' },
      { flowId: 'root', nodeId: 'tool', param: 'flowId', calledFlowId: 'c' },
    ]);
  });

  it('is a param kind of the catalog, checked like a string', () => {
    for (const type of ['subflow', 'map', 'tool-flow']) {
      expect(lookup(type)?.params.find((p) => p.name === 'flowId')?.kind).toBe('flow');
    }
    const subflow = lookup('subflow');
    if (!subflow) throw new Error('no subflow kind');
    expect(checkParams(subflow, { flowId: 'a' })).toEqual([]);
    expect(checkParams(subflow, { flowId: 3 })).toEqual([
      { param: 'flowId', message: 'param "flowId" must be a string' },
    ]);
    expect(checkParams(subflow, {})).toEqual([{ param: 'flowId', message: 'param "flowId" is required' }]);
  });
});

describe('collectFlowCalls', () => {
  const flows: Record<string, FlowFile> = {
    root: flow('root', [
      { id: 'one', type: 'subflow', params: { flowId: 'a' } },
      { id: 'two', type: 'subflow', params: { flowId: 'b' } },
    ]),
    a: flow('a', [
      { id: 'deeper', type: 'map', params: { flowId: 'c' } },
      { id: 'back', type: 'subflow', params: { flowId: 'root' } },
    ]),
    b: flow('b', [
      { id: 'again', type: 'subflow', params: { flowId: 'a' } },
      { id: 'gone', type: 'tool-flow', params: { flowId: 'missing' } },
    ]),
    c: flow('c', [{ id: 'self', type: 'subflow', params: { flowId: 'c' } }]),
  };
  const load = (id: string) => (flows[id] ? { flow: flows[id], version: 7 } : undefined);

  it('reaches every called flow once, breadth first, with the first call that reaches it; cycles end the walk', () => {
    const found = collectFlowCalls(flows.root as FlowFile, load, lookup);
    expect(found.map((f) => [f.call.flowId, f.call.nodeId, f.call.calledFlowId, f.loaded?.version])).toEqual([
      ['root', 'one', 'a', 7],
      ['root', 'two', 'b', 7],
      ['a', 'deeper', 'c', 7],
      ['b', 'gone', 'missing', undefined],
    ]);
  });

  it('finds nothing for a flow that calls none', () => {
    expect(collectFlowCalls(flow('plain', [{ id: 'q', type: 'input' }]), load, lookup)).toEqual([]);
  });
});
