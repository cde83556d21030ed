import { FLOW_FORMAT } from '@flowloom/nodes/spec';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { initialEditorState, useEditor } from '../store/index';
import { TEST_KINDS } from '../store/test-catalog';
import { prunePinsOfGoneNodes, selectCanRerun } from './node-run-actions';
import { usePins } from './pin-store';

const get = () => useEditor.getState();
let stop: () => void = () => {};

beforeEach(() => {
  get().setCatalog(TEST_KINDS);
  get().loadFlow({ format: FLOW_FORMAT, id: 'f', name: 'F', version: 1, nodes: [], edges: [] });
  stop = prunePinsOfGoneNodes();
});
afterEach(() => {
  stop();
  useEditor.setState(initialEditorState, true);
  usePins.setState({ pins: {} });
});

describe('pins follow the nodes', () => {
  it('keeps a deleted node’s pin for undo, and drops it when a new node takes the id', () => {
    const llm = get().addNode('llm', { x: 0, y: 0 });
    const other = get().addNode('llm', { x: 400, y: 0 });
    usePins.getState().pin('f', llm, { text: 'pinned' });
    usePins.getState().pin('f', other, { text: 'kept' });
    get().selectOnly(llm);
    get().deleteSelection();
    get().undo();
    expect(usePins.getState().pins.f?.[llm]).toEqual({ text: 'pinned' });
    get().redo();
    expect(usePins.getState().pins.f?.[llm]).toEqual({ text: 'pinned' });
    // A new node under the freed id runs: it does not inherit the old node's outputs.
    expect(get().addNode('llm', { x: 800, y: 0 })).toBe(llm);
    expect(usePins.getState().pins).toEqual({ f: { [other]: { text: 'kept' } } });
  });

  it('drops, when a flow opens, the pins of nodes it does not have (deleted elsewhere)', () => {
    usePins.getState().pin('g', 'gone', { text: 'old' });
    usePins.getState().pin('g', 'question', { value: 'kept' });
    get().loadFlow({
      format: FLOW_FORMAT,
      id: 'g',
      name: 'G',
      version: 1,
      nodes: [{ id: 'question', type: 'input', position: { x: 0, y: 0 } }],
      edges: [],
    });
    expect(usePins.getState().pins.g).toEqual({ question: { value: 'kept' } });
  });
});

describe('run from here', () => {
  it('is offered once the run on the canvas has ended, not while it runs or waits paused', () => {
    expect(selectCanRerun(get())).toBe(false);
    for (const [status, can] of [
      ['running', false],
      ['queued', false],
      ['paused', false],
      ['completed', true],
      ['failed', true],
      ['cancelled', true],
    ] as const) {
      useEditor.setState({ runId: 'r_1', isRunPending: false, run: { ...get().run, status } });
      expect(selectCanRerun(get()), status).toBe(can);
    }
  });
});
