import { describe, expect, it } from 'vitest';
import { flowOptions } from './FlowPicker';

describe('flowOptions', () => {
  const flows = [
    { id: 'summarize', name: 'Summarize' },
    { id: 'echo', name: 'echo' },
  ];

  it('offers every stored flow by name and id', () => {
    expect(flowOptions(flows, 'echo')).toEqual([
      { id: 'summarize', label: 'Summarize (summarize)' },
      { id: 'echo', label: 'echo' },
    ]);
  });

  it('keeps a value that names no stored flow, marked, so the field shows what the node holds', () => {
    expect(flowOptions(flows, 'gone')[0]).toEqual({ id: 'gone', label: 'gone (no such flow)' });
    expect(flowOptions(null, 'echo')).toEqual([{ id: 'echo', label: 'echo' }]);
    expect(flowOptions(null, undefined)).toEqual([]);
  });
});
