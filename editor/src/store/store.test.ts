import { FLOW_FORMAT, type FlowFile, type TraceEvent } from '@flowloom/nodes/spec';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { initialEditorState, useEditor } from './index';
import { selectChatShape, selectFlow, selectFlowInputs, selectSaveStatus, selectSelectedNodeId } from './selectors';
import { TEST_KINDS } from './test-catalog';

const get = () => useEditor.getState();

beforeEach(() => {
  get().setCatalog(TEST_KINDS);
  get().loadFlow({ format: FLOW_FORMAT, id: 'f', name: 'F', version: 1, nodes: [], edges: [] });
});
afterEach(() => useEditor.setState(initialEditorState, true));

describe('graph slice', () => {
  it('adds, connects, edits and undoes every step', () => {
    const input = get().addNode('input', { x: 0, y: 0 });
    const llm = get().addNode('llm', { x: 300, y: 0 });
    // A node added here is written for the catalog's version of its kind.
    expect(get().nodes.find((n) => n.id === llm)?.data).toMatchObject({ type: 'llm', typeVersion: 1 });
    expect(get().connect({ source: input, sourceHandle: 'value', target: llm, targetHandle: 'prompt' })).toBeNull();
    expect(get().edges).toHaveLength(1);
    expect(get().connect({ source: llm, sourceHandle: 'messages', target: llm, targetHandle: 'prompt' })).toBe(
      'a node cannot feed itself',
    );
    get().setParam(llm, 'temperature', 1);
    get().setParam(llm, 'temperature', 1.5); // typing coalesces into one step
    expect(selectSaveStatus(get())).toBe('unsaved');
    get().undo();
    expect(get().nodes.find((n) => n.id === llm)?.data).toMatchObject({ params: {} });
    get().undo();
    expect(get().edges).toHaveLength(0);
    get().redo();
    get().redo();
    expect(get().edges).toHaveLength(1);
    expect(get().nodes.find((n) => n.id === llm)?.data).toMatchObject({ params: { temperature: 1.5 } });
  });

  it('disconnects edges as one undo step', () => {
    const input = get().addNode('input', { x: 0, y: 0 });
    const llm = get().addNode('llm', { x: 300, y: 0 });
    get().connect({ source: input, sourceHandle: 'value', target: llm, targetHandle: 'prompt' });
    const [edge] = get().edges;
    get().disconnect([edge?.id ?? '', 'no-such-edge']);
    expect(get().edges).toHaveLength(0);
    get().undo();
    expect(get().edges.map((e) => e.id)).toEqual([edge?.id]);
  });

  it('connects the choices of one picker in a row as one undo step', () => {
    const input = get().addNode('input', { x: 0, y: 0 });
    const prompt = get().addNode('prompt', { x: 0, y: 200 });
    const llm = get().addNode('llm', { x: 300, y: 0 });
    get().connect({ source: input, sourceHandle: 'value', target: llm, targetHandle: 'prompt' }, 'pick');
    get().connect({ source: prompt, sourceHandle: 'prompt', target: llm, targetHandle: 'prompt' }, 'pick');
    expect(get().edges.map((e) => e.source)).toEqual([prompt]);
    get().undo();
    expect(get().edges).toHaveLength(0);
  });

  it('moves by drag as one undo step', () => {
    const id = get().addNode('input', { x: 0, y: 0 });
    for (let x = 1; x <= 5; x++)
      get().onNodesChange([{ type: 'position', id, position: { x: x * 10, y: 0 }, dragging: true }]);
    get().onNodesChange([{ type: 'position', id, position: { x: 60, y: 0 }, dragging: false }]);
    expect(get().nodes[0]?.position).toEqual({ x: 60, y: 0 });
    get().undo();
    expect(get().nodes[0]?.position).toEqual({ x: 0, y: 0 });
  });

  it('selection changes are not edits', () => {
    const id = get().addNode('input', { x: 0, y: 0 });
    get().markSaved(get().revision, 2);
    get().onNodesChange([{ type: 'select', id, selected: false }]);
    get().onNodesChange([{ type: 'select', id, selected: true }]);
    expect(selectSaveStatus(get())).toBe('saved');
    expect(selectSelectedNodeId(get())).toBe(id);
    expect(get().meta?.version).toBe(2);
  });

  it('deletes the selection with its edges in one step', () => {
    const a = get().addNode('input', { x: 0, y: 0 });
    const b = get().addNode('output', { x: 300, y: 0 });
    get().connect({ source: a, sourceHandle: 'value', target: b, targetHandle: 'value' });
    get().selectOnly(a);
    get().deleteSelection();
    expect(get().nodes.map((n) => n.id)).toEqual([b]);
    expect(get().edges).toEqual([]);
    get().undo();
    expect(get().nodes).toHaveLength(2);
    expect(get().edges).toHaveLength(1);
  });

  it('adds sticky notes', () => {
    const id = get().addNote({ x: 5, y: 5 }, 'todo');
    get().setNoteText(id, 'done');
    expect(get().nodes.find((n) => n.id === id)?.data).toEqual({ text: 'done' });
  });
});

describe('run slice', () => {
  const event = (seq: number, type: TraceEvent['type'], data: unknown, nodeId?: string): TraceEvent =>
    ({
      runId: 'r1',
      flowId: 'f',
      seq,
      at: '2026-01-01T00:00:00.000Z',
      type,
      data,
      nodeId,
      spanId: nodeId && `s-${nodeId}`,
    }) as TraceEvent;

  it('applies events of its run once and in order, and ignores other runs', () => {
    get().beginRun('r1', ['a']);
    expect(get().nodeRuns.a?.status).toBe('queued');
    get().applyTrace(event(0, 'run.started', { inputs: {} }));
    // Sent before the subscription to the run, whose replay brings it again after its predecessor: dropped here.
    get().applyTrace(event(2, 'node.delta', { text: 'b' }, 'a'));
    expect(get().lastSeq).toBe(0);
    get().applyTrace(event(1, 'node.started', { inputs: {} }, 'a'));
    get().applyTrace(event(2, 'node.delta', { text: 'b' }, 'a'));
    get().applyTrace(event(1, 'node.started', { inputs: {} }, 'a')); // a copy (a replay)
    get().applyTrace({ ...event(3, 'node.delta', { text: 'x' }, 'a'), runId: 'other' });
    expect(get().nodeRuns.a).toMatchObject({ status: 'running', text: 'b' });
    expect(get().lastSeq).toBe(2);
    get().applyTrace(event(3, 'node.completed', { outputs: { value: 1 }, durationMs: 4 }, 'a'));
    get().applyTrace(event(4, 'run.completed', { outputs: { answer: 1 }, durationMs: 5 }));
    expect(get().run).toMatchObject({ status: 'completed', outputs: { answer: 1 } });
    expect(get().spanOrder).toEqual(['s-a']);
  });
});

describe('the flow model on the canvas', () => {
  /** question (+ optional history) → llm → answer. */
  const chat = (withHistory: boolean): FlowFile => ({
    format: FLOW_FORMAT,
    id: 'chat',
    name: 'Chat',
    version: 1,
    nodes: [
      { id: 'question', type: 'input', position: { x: 0, y: 0 } },
      ...(withHistory
        ? [
            {
              id: 'history',
              type: 'input',
              position: { x: 0, y: 100 },
              params: { name: 'history', dataType: 'messages', required: false },
            },
          ]
        : []),
      { id: 'llm', type: 'llm', position: { x: 300, y: 0 } },
      { id: 'answer', type: 'output', position: { x: 600, y: 0 } },
    ],
    edges: [
      { id: 'e1', source: 'question', sourcePort: 'value', target: 'llm', targetPort: 'prompt' },
      { id: 'e2', source: 'llm', sourcePort: 'text', target: 'answer', targetPort: 'value' },
      ...(withHistory
        ? [{ id: 'e3', source: 'history', sourcePort: 'value', target: 'llm', targetPort: 'messages' }]
        : []),
    ],
  });

  it('is a chat flow by the runtime’s rule, a history input included', () => {
    get().loadFlow(chat(false));
    expect(selectChatShape(get())).toEqual({ input: 'question', output: 'answer', answerNodeId: 'llm' });
    get().loadFlow(chat(true));
    expect(selectChatShape(get())).toEqual({
      input: 'question',
      output: 'answer',
      answerNodeId: 'llm',
      historyInput: 'history',
    });
    expect(selectFlowInputs(get()).map((i) => [i.name, i.dataType, i.required])).toEqual([
      ['question', 'text', true],
      ['history', 'messages', false],
    ]);
    get().setParam('question', 'name', 'topic');
    expect(selectChatShape(get())).toBeNull();
  });

  it('derives the flow once per canvas change, not once per store update', () => {
    get().loadFlow(chat(true));
    const flow = selectFlow(get());
    get().toast('info', 'unrelated');
    expect(selectFlow(get())).toBe(flow);
    expect(selectChatShape(get())).toBe(selectChatShape(get()));
    get().setParam('llm', 'temperature', 0.1);
    expect(selectFlow(get())).not.toBe(flow);
  });
});
