import { GARBAGE_KINDS, type GarbageKind } from './garbage.js';
import type { FakeError, FakeToolCall } from './types.js';

/** How `[[encoding:…]]` compresses an answer. */
export const CONTENT_ENCODINGS = ['gzip', 'deflate', 'deflate-raw', 'br'] as const;
export type ContentEncoding = (typeof CONTENT_ENCODINGS)[number];

/** Directives found in one message. */
export interface Directives {
  reply?: string;
  latencyMs?: number;
  chunkDelayMs?: number;
  firstTokenDelayMs?: number;
  error?: FakeError;
  retryAfterMs?: number;
  garbage?: GarbageKind;
  hugeBytes?: number;
  encoding?: ContentEncoding;
  /** `[[header:NAME VALUE]]`: extra answer headers. */
  headers: [string, string][];
  toolCalls: FakeToolCall[];
  hang: boolean;
}

const DIRECTIVE = /\[\[([a-z-]+)(?::((?:(?!\]\]).)*))?\]\]/gs;

/**
 * Reads `[[name:arg]]` directives from a message:
 * - `[[reply:TEXT]]`: answer exactly TEXT (may contain anything but `]]`).
 * - `[[latency:MS]]`: wait MS before answering. `[[chunk-delay:MS]]`: wait MS between streamed chunks.
 *   `[[first-token-delay:MS]]`: a stream sends its headers and first (role) chunk at once, then waits MS before the
 *   first token; a plain answer waits MS more.
 * - `[[error:STATUS]]` answers every such request with STATUS (e.g. 429, 500, 401); `[[error:STATUSxN]]` only
 *   the first N requests carrying the same message, then answers normally (retry tests). STATUS may be `drop`
 *   (close the socket) or `cut` (start the stream, then close the socket). `[[retry-after:MS]]` sets the
 *   `retry-after-ms` header of that error.
 * - `[[garbage:KIND]]`: answer 200 as a broken provider would; KIND is one of `GARBAGE_KINDS` (see `garbage.ts`).
 * - `[[huge:BYTES]]`: answer BYTES bytes of text, streamed in 16 KiB chunks.
 * - `[[header:NAME VALUE]]`: add a header to the answer, VALUE in UTF-8 (a proxy's non-ASCII header; characters
 *   up to U+00FF).
 * - `[[encoding:gzip|deflate|deflate-raw|br]]`: compress the answer (plain or streamed) with `content-encoding`, as a
 *   provider behind a compressing proxy does; a stream's compressed bytes arrive in two writes. `deflate-raw` is
 *   `deflate` without its zlib wrapper, as some servers send it.
 * - `[[tool:NAME {json args}]]`: answer with a call of tool NAME (several = parallel calls). Without JSON the
 *   arguments are generated from the tool's parameter schema. Tool directives apply only while the conversation
 *   has no tool result after the last user message; once results are back, the answer is
 *   `tool results: <content> | <content>` (or the `[[reply:...]]` text).
 * - `[[hang]]`: never answer; the request ends only when the client aborts.
 */
export function parseDirectives(text: string): Directives {
  const found: Directives = { toolCalls: [], hang: false, headers: [] };
  for (const match of text.matchAll(DIRECTIVE)) {
    const name = match[1];
    const arg = (match[2] ?? '').trim();
    if (name === 'reply') found.reply = match[2] ?? '';
    else if (name === 'latency') found.latencyMs = toMs(arg);
    else if (name === 'chunk-delay') found.chunkDelayMs = toMs(arg);
    else if (name === 'first-token-delay') found.firstTokenDelayMs = toMs(arg);
    else if (name === 'retry-after') found.retryAfterMs = toMs(arg);
    else if (name === 'hang') found.hang = true;
    else if (name === 'huge') found.hugeBytes = Math.floor(toMs(arg));
    else if (name === 'encoding') found.encoding = CONTENT_ENCODINGS.find((known) => known === arg);
    else if (name === 'header') {
      const space = arg.search(/\s/);
      if (space > 0) found.headers.push([arg.slice(0, space), arg.slice(space + 1).trim()]);
    } else if (name === 'garbage') {
      const kind = GARBAGE_KINDS.find((known) => known === arg);
      if (kind) found.garbage = kind;
    } else if (name === 'error') {
      const parsed = /^(\d{3}|drop|cut)(?:x(\d+))?$/.exec(arg);
      if (parsed) {
        const status = parsed[1] === 'drop' || parsed[1] === 'cut' ? parsed[1] : Number(parsed[1]);
        found.error = parsed[2] ? { status, times: Number(parsed[2]) } : { status };
      }
    } else if (name === 'tool') {
      const space = arg.search(/\s/);
      const toolName = space < 0 ? arg : arg.slice(0, space);
      const json = space < 0 ? '' : arg.slice(space + 1).trim();
      found.toolCalls.push(json ? { name: toolName, arguments: json } : { name: toolName });
    }
  }
  if (found.error && found.retryAfterMs !== undefined) found.error.retryAfterMs = found.retryAfterMs;
  return found;
}

/** A non-negative number from a directive argument; anything else is 0. */
function toMs(arg: string): number {
  const ms = Number(arg);
  return Number.isFinite(ms) && ms >= 0 ? ms : 0;
}

/** Removes directives and collapses whitespace. */
export function stripDirectives(text: string): string {
  return text.replace(DIRECTIVE, ' ').replace(/\s+/g, ' ').trim();
}

/** Deterministic token count: whitespace-separated words. */
export function countTokens(text: string): number {
  const trimmed = text.trim();
  return trimmed === '' ? 0 : trimmed.split(/\s+/).length;
}
