import { describe, expect, it } from 'vitest';
import { initialTimeout, timeoutProblem } from './timeout';

describe('the publish form’s time limit', () => {
  it('starts from the newest version’s limit, or the server’s ceiling for a first version', () => {
    expect(initialTimeout(30_000, 120_000)).toEqual({ seconds: '30' });
    expect(initialTimeout(2_500, 120_000)).toEqual({ seconds: '2.5' });
    expect(initialTimeout(undefined, 60_000)).toEqual({ seconds: '60' });
  });

  it('lowers a newest version’s limit above the ceiling to it, and says so', () => {
    expect(initialTimeout(600_000, 120_000)).toEqual({ seconds: '120', loweredFromMs: 600_000 });
  });

  it('refuses what the server would: above its ceiling, below 0.1 s, not a number', () => {
    expect(timeoutProblem('120', 120_000)).toBeNull();
    expect(timeoutProblem('0.1', 120_000)).toBeNull();
    expect(timeoutProblem('600', 120_000)).toBe(
      'at most 120 seconds: the longest run this server allows (FLOWLOOM_RUN_TIMEOUT_MS)',
    );
    expect(timeoutProblem('120.001', 120_000)).toMatch(/^at most 120 seconds/);
    for (const text of ['', ' ', 'abc', '0.05', '-1', 'Infinity']) {
      expect(timeoutProblem(text, 120_000)).toBe('a number of seconds from 0.1 to 120');
    }
  });
});
