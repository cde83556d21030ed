import { describe, expect, it } from 'vitest';
import type { Experiment } from '../experiments/api';
import { pairSources } from './pair-sources';

function experiment(
  experimentId: string,
  status: Experiment['status'],
  flowIds: string[],
  progress = { done: 4, total: 4, errors: 0 },
): Experiment {
  return {
    experimentId,
    status,
    datasetId: 'qa',
    datasetRevision: 1,
    targets: flowIds.map((flowId) => ({ flowId, version: 'draft' as const, flowVersion: 1 })),
    evaluators: [{ type: 'exact' }],
    concurrency: 1,
    repetitions: 1,
    progress,
    createdAt: '2025-01-01T00:00:00.000Z',
  };
}

describe('pairSources', () => {
  const all = [
    experiment('mine', 'completed', ['chat', 'bare']),
    experiment('other', 'completed', ['support', 'bare']),
    experiment('stopped', 'cancelled', ['bare', 'chat'], { done: 2, total: 4, errors: 0 }),
    experiment('stopped-early', 'cancelled', ['chat'], { done: 0, total: 4, errors: 0 }),
    experiment('all-errors', 'cancelled', ['chat'], { done: 2, total: 4, errors: 2 }),
    experiment('running', 'running', ['chat'], { done: 2, total: 4, errors: 0 }),
    experiment('failed', 'failed', ['chat']),
  ];

  it("offers the experiments that ran the page's flow: completed, or cancelled with cells done", () => {
    expect(pairSources(all, 'chat').map((e) => e.experimentId)).toEqual(['mine', 'stopped']);
  });

  it('offers those of every flow on the page of every flow', () => {
    expect(pairSources(all).map((e) => e.experimentId)).toEqual(['mine', 'other', 'stopped']);
  });
});
