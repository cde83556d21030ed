import { describe, expect, it } from 'vitest';
import { NodeRegistry } from '../registry.js';
import type { FlowFile, FlowNode } from './flow.js';
import { chatShape, checkRunInputs, flowInputs, flowOutputs } from './flow-io.js';

const { lookup } = new NodeRegistry();
const at = { x: 0, y: 0 };

/** question → llm → answer, plus whatever extra nodes and edges a test adds. */
function chat(extraNodes: FlowNode[] = [], extraEdges: FlowFile['edges'] = []): FlowFile {
  return {
    format: 'flowloom.flow/v1',
    id: 'chat',
    name: 'Chat',
    nodes: [
      { id: 'question', type: 'input', position: at },
      { id: 'llm', type: 'llm', position: at },
      { id: 'answer', type: 'output', position: at },
      ...extraNodes,
    ],
    edges: [
      { id: 'e1', source: 'question', sourcePort: 'value', target: 'llm', targetPort: 'prompt' },
      { id: 'e2', source: 'llm', sourcePort: 'text', target: 'answer', targetPort: 'value' },
      ...extraEdges,
    ],
  };
}

const history: FlowNode = {
  id: 'history',
  type: 'input',
  position: at,
  params: { name: 'history', dataType: 'messages', required: false },
};
const historyEdge = { id: 'e3', source: 'history', sourcePort: 'value', target: 'llm', targetPort: 'messages' };

describe('flowInputs and flowOutputs', () => {
  it('lists the input and output nodes with their names, types and defaults', () => {
    const flow = chat([{ ...history, params: { ...history.params, default: [] } }], [historyEdge]);
    expect(flowInputs(flow, lookup)).toEqual([
      { nodeId: 'question', name: 'question', dataType: 'text', required: true },
      { nodeId: 'history', name: 'history', dataType: 'messages', required: false, default: [] },
    ]);
    expect(flowOutputs(flow, lookup)).toEqual([{ nodeId: 'answer', name: 'answer' }]);
  });

  it('checkRunInputs names every missing, mistyped and unknown input', () => {
    const specs = flowInputs(chat([history], [historyEdge]), lookup);
    expect(() => checkRunInputs(specs, { question: 'hi', history: [{ role: 'user', content: 'x' }] })).not.toThrow();
    expect(() => checkRunInputs(specs, { history: 'no', other: 1 })).toThrow(
      expect.objectContaining({
        code: 'RUN_INPUT_INVALID',
        details: [
          { input: 'question', message: 'input "question" is required (text)' },
          { input: 'history', message: 'input "history" must be an array of chat messages ({role, content})' },
          { input: 'other', message: 'unknown input "other" (expected: question, history)' },
        ],
      }),
    );
  });
});

describe('chatShape', () => {
  it('takes one text input named question or message and one output fed by text', () => {
    expect(chatShape(chat(), lookup)).toEqual({ input: 'question', output: 'answer', answerNodeId: 'llm' });
    const message = chat();
    message.nodes[0] = { ...(message.nodes[0] as FlowNode), params: { name: 'message' } };
    expect(chatShape(message, lookup)).toMatchObject({ input: 'message' });
  });

  it('gives a messages input the history, and allows other optional inputs', () => {
    const optional: FlowNode = { id: 'tone', type: 'input', position: at, params: { name: 'tone', required: false } };
    expect(chatShape(chat([history, optional], [historyEdge]), lookup)).toEqual({
      input: 'question',
      output: 'answer',
      answerNodeId: 'llm',
      historyInput: 'history',
    });
  });

  it('is null for a required extra input, two outputs, a non-text answer or another input name', () => {
    const required: FlowNode = { id: 'tone', type: 'input', position: at, params: { name: 'tone' } };
    expect(chatShape(chat([required]), lookup)).toBeNull();
    const second: FlowNode = { id: 'more', type: 'output', position: at, params: { name: 'more' } };
    expect(chatShape(chat([second]), lookup)).toBeNull();
    const json = chat();
    json.edges[1] = { id: 'e2', source: 'llm', sourcePort: 'json', target: 'answer', targetPort: 'value' };
    expect(chatShape(json, lookup)).toBeNull();
    const renamed = chat();
    renamed.nodes[0] = { ...(renamed.nodes[0] as FlowNode), params: { name: 'query' } };
    expect(chatShape(renamed, lookup)).toBeNull();
    const unconnected = chat();
    unconnected.edges.pop();
    expect(chatShape(unconnected, lookup)).toBeNull();
  });
});
