import { describe, expect, it } from 'vitest';
import { parseHash } from './router';

describe('parseHash', () => {
  it('reads every page, the monitoring page with or without a flow', () => {
    expect(parseHash('')).toEqual({ page: 'flows' });
    expect(parseHash('#/keys')).toEqual({ page: 'keys' });
    expect(parseHash('#/flows/support%20bot')).toEqual({ page: 'editor', flowId: 'support bot' });
    expect(parseHash('#/monitoring')).toEqual({ page: 'monitoring' });
    expect(parseHash('#/monitoring/chat')).toEqual({ page: 'monitoring', flowId: 'chat' });
  });
});
