import { describe, expect, it } from 'vitest';
import { eventJson, rememberEventJson, type TraceEvent } from './trace.js';

/** An event whose encoding is counted (its output's `toJSON`). */
function countedEvent(): { event: TraceEvent; encodings: () => number } {
  let count = 0;
  const value = {
    toJSON: () => {
      count++;
      return 'v';
    },
  };
  const event: TraceEvent = {
    ...{ runId: 'r_1', seq: 0, at: '2026-12-08T04:00:00.000Z', flowId: 'f' },
    type: 'run.completed',
    data: { outputs: { value }, durationMs: 1 },
  };
  return { event, encodings: () => count };
}

const turns = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('eventJson', () => {
  it('encodes an event once for everyone who sends it in the same turns, as JSON.stringify does', async () => {
    const { event, encodings } = countedEvent();
    const json = eventJson(event);
    expect(json).toBe(JSON.stringify({ ...event, data: { outputs: { value: 'v' }, durationMs: 1 } }));
    expect(eventJson(event)).toBe(json);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(eventJson(event)).toBe(json);
    expect(encodings()).toBe(1);
  });

  it('does not keep the text for long: a trace held for hours does not hold every event twice', async () => {
    const { event, encodings } = countedEvent();
    eventJson(event);
    await turns(30);
    eventJson(event);
    expect(encodings()).toBe(2);
  });

  it('sends an event read from elsewhere as the text it was read from', () => {
    const { event, encodings } = countedEvent();
    rememberEventJson(event, '{"as":"read"}');
    expect(eventJson(event)).toBe('{"as":"read"}');
    expect(encodings()).toBe(0);
  });
});
