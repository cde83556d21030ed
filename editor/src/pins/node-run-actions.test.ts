import { FLOW_FORMAT } from '@flowloom/nodes/spec';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { initialEditorState, useEditor } from '../store/index';
import { TEST_KINDS } from '../store/test-catalog';
import { dropPinsOfDeletedNodes, selectCanRerun } from './node-run-actions';
import { usePins } from './pin-store';

const get = () => useEditor.getState();
let stop: () => void = () => {};

beforeEach(() => {
  get().setCatalog(TEST_KINDS);
  get().loadFlow({ format: FLOW_FORMAT, id: 'f', name: 'F', version: 1, nodes: [], edges: [] });
  stop = dropPinsOfDeletedNodes();
});
afterEach(() => {
  stop();
  useEditor.setState(initialEditorState, true);
  usePins.setState({ pins: {} });
});

describe('pins follow the nodes', () => {
  it('drops a deleted node’s pin, so a new node under the same id runs', () => {
    const llm = get().addNode('llm', { x: 0, y: 0 });
    const other = get().addNode('llm', { x: 400, y: 0 });
    usePins.getState().pin('f', llm, { text: 'pinned' });
    usePins.getState().pin('f', other, { text: 'kept' });
    get().selectOnly(llm);
    get().deleteSelection();
    expect(usePins.getState().pins).toEqual({ f: { [other]: { text: 'kept' } } });
    // Another flow opening is not a deletion: its pins stay.
    usePins.getState().pin('g', 'x', { text: 'g' });
    get().loadFlow({ format: FLOW_FORMAT, id: 'g', name: 'G', version: 1, nodes: [], edges: [] });
    expect(usePins.getState().pins.g).toEqual({ x: { text: 'g' } });
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
