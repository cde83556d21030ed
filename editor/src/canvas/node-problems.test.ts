import { describe, expect, it } from 'vitest';
import { mergeNodeProblems } from './node-problems';

describe('mergeNodeProblems', () => {
  it('counts a param problem once when the validator and the local check both report it', () => {
    const server = [
      { nodeId: 'llm', code: 'NODE_PARAM_INVALID', path: 'params.temperature', message: 'too hot' },
      { nodeId: 'llm', code: 'PORT_REQUIRED', port: 'prompt', message: 'prompt is not connected' },
    ];
    const merged = mergeNodeProblems(server, [{ param: 'temperature', message: 'param "temperature" is too hot' }]);
    expect(merged.map((p) => p.message)).toEqual(['prompt is not connected', 'param "temperature" is too hot']);
  });

  it('keeps validator param problems the local check does not report, and local ones alone', () => {
    const server = [{ nodeId: 'llm', code: 'NODE_PARAM_INVALID', path: 'params.model', message: 'model unknown' }];
    expect(mergeNodeProblems(server, [{ param: 'temperature', message: 'too hot' }])).toHaveLength(2);
    expect(mergeNodeProblems(undefined, [{ param: 'temperature', message: 'too hot' }])).toHaveLength(1);
    expect(mergeNodeProblems(undefined, [])).toEqual([]);
  });
});
