import { describe, expect, it } from 'vitest';
import { hrefOf, parseHash, type Route } from './router';

describe('hash routes', () => {
  it('reads every page and writes back what it reads', () => {
    const routes: [string, Route][] = [
      ['#/', { page: 'flows' }],
      ['#/keys', { page: 'keys' }],
      ['#/datasets', { page: 'datasets' }],
      ['#/datasets/qa%20set', { page: 'datasets', datasetId: 'qa set' }],
      ['#/experiments', { page: 'experiments' }],
      ['#/experiments/ex_1', { page: 'experiments', experimentId: 'ex_1' }],
      ['#/monitoring', { page: 'monitoring' }],
      ['#/monitoring/chat%20bot', { page: 'monitoring', flowId: 'chat bot' }],
      ['#/knowledge', { page: 'knowledge' }],
      ['#/knowledge/product.docs', { page: 'knowledge', collection: 'product.docs' }],
      ['#/settings', { page: 'settings' }],
      ['#/flows/support', { page: 'editor', flowId: 'support' }],
      ['#/flows/support?run=r_0123', { page: 'editor', flowId: 'support', runId: 'r_0123' }],
    ];
    for (const [hash, route] of routes) {
      expect(parseHash(hash), hash).toEqual(route);
      expect(hrefOf(route), hash).toBe(hash);
    }
    expect(parseHash('')).toEqual({ page: 'flows' });
  });
});
