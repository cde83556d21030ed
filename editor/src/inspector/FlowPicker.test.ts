import { describe, expect, it } from 'vitest';
import { flowChoices } from './FlowPicker';

describe('flowChoices', () => {
  const flows = [
    { id: 'summarize', name: 'Summarize' },
    { id: 'echo', name: 'echo' },
  ];

  it('offers every stored flow by name and id', () => {
    expect(flowChoices(flows, 'echo')).toEqual([
      { value: 'summarize', label: 'Summarize (summarize)' },
      { value: 'echo', label: 'echo' },
    ]);
  });

  it('keeps a value that names no stored flow, marked, so the field shows what the node holds', () => {
    expect(flowChoices(flows, 'gone')[0]).toEqual({ value: 'gone', label: 'gone (no such flow)' });
    expect(flowChoices(null, 'echo')).toEqual([{ value: 'echo', label: 'echo' }]);
    expect(flowChoices(null, undefined)).toEqual([]);
  });
});
