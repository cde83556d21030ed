import { describe, expect, it } from 'vitest';
import { eventJson, rememberEventJson, type TraceEvent } from './trace.js';

/** An event whose encodings are counted (its output's `toJSON`), with an output of `size` characters. */
function countedEvent(size = 1): { event: TraceEvent; encodings: () => number } {
  let count = 0;
  const value = {
    toJSON: () => {
      count++;
      return 'v'.repeat(size);
    },
  };
  const event: TraceEvent = {
    ...{ runId: 'r_1', seq: 0, at: '2026-12-08T04:00:00.000Z', flowId: 'f' },
    type: 'run.completed',
    data: { outputs: { value }, durationMs: 1 },
  };
  return { event, encodings: () => count };
}

describe('eventJson', () => {
  it('encodes an event once for everyone who sends it, as JSON.stringify does', async () => {
    const { event, encodings } = countedEvent();
    const json = eventJson(event);
    expect(json).toBe(JSON.stringify({ ...event, data: { outputs: { value: 'v' }, durationMs: 1 } }));
    expect(eventJson(event)).toBe(json);
    // A batched subscriber sends at the end of the turn, after the next events were emitted.
    for (let i = 0; i < 100; i++) eventJson(countedEvent().event);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(eventJson(event)).toBe(json);
    expect(encodings()).toBe(1);
  });

  it('keeps the texts of the last 512 events only, and 4 million characters of them at most', () => {
    const { event, encodings } = countedEvent();
    eventJson(event);
    for (let i = 0; i < 512; i++) eventJson(countedEvent().event);
    eventJson(event);
    expect(encodings()).toBe(2);
    // Three texts of 1.5 million characters: the first is dropped when the third comes.
    const large = [countedEvent(1_500_000), countedEvent(1_500_000), countedEvent(1_500_000)];
    for (const { event: one } of large) eventJson(one);
    for (const { event: one } of [...large].reverse()) eventJson(one);
    expect(large.map((one) => one.encodings())).toEqual([2, 1, 1]);
  });

  it('sends an event read from elsewhere as the text it was read from', () => {
    const { event, encodings } = countedEvent();
    rememberEventJson(event, '{"as":"read"}');
    expect(eventJson(event)).toBe('{"as":"read"}');
    expect(encodings()).toBe(0);
  });
});
