/** The time limit field of the publish form: seconds in the form, milliseconds in the API. */

/** The highest `settings.timeoutMs` the API's schema takes; the runtime's own ceiling is at most this. */
export const MAX_TIMEOUT_MS = 3_600_000;

/** Milliseconds as the seconds the form shows: `120`, `2.5`. */
export function toSeconds(ms: number): string {
  return String(ms / 1000);
}

/**
 * The time limit the form starts with: the newest version's, or for a first version the server's ceiling (what the
 * server itself gives a version that sets none). A newest version's limit above the ceiling (published before the
 * ceiling was lowered; it runs within the ceiling anyway) is lowered to it, and `loweredFromMs` says so.
 */
export function initialTimeout(
  newestMs: number | undefined,
  ceilingMs: number,
): { seconds: string; loweredFromMs?: number } {
  if (newestMs === undefined) return { seconds: toSeconds(ceilingMs) };
  if (newestMs > ceilingMs) return { seconds: toSeconds(ceilingMs), loweredFromMs: newestMs };
  return { seconds: toSeconds(newestMs) };
}

/**
 * Why the typed time limit cannot be sent, or null. Checked before sending, so that the server never refuses it and a
 * value like "abc" never becomes a default.
 */
export function timeoutProblem(text: string, ceilingMs: number): string | null {
  const seconds = Number(text);
  const most = toSeconds(ceilingMs);
  if (text.trim() === '' || !Number.isFinite(seconds) || seconds < 0.1)
    return `a number of seconds from 0.1 to ${most}`;
  if (Math.round(seconds * 1000) > ceilingMs) {
    return `at most ${most} seconds: the longest run this server allows (FLOWLOOM_RUN_TIMEOUT_MS)`;
  }
  return null;
}
