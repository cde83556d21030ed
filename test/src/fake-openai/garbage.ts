import type { ServerResponse } from 'node:http';

/**
 * Ways a broken provider or a proxy in front of it answers with status 200:
 * - `html`: an HTML sign-in page (`text/html`), streamed or not.
 * - `shape`: `{"foo":"bar"}`; `json`: a JSON body cut off in the middle; `empty`: no body at all. Plain requests get
 *   them as `application/json`; streams get the same bytes as `text/event-stream`, with no `data:` framing.
 * - `shape-sse`, `json-sse`: streams get that body framed as one `data:` event followed by `data: [DONE]`
 *   (plain requests: as `shape`, `json`).
 * - `no-done`: a stream sends its text chunks, then ends without a `finish_reason` and without `data: [DONE]`; a
 *   plain answer has `finish_reason: null`.
 */
export const GARBAGE_KINDS = ['html', 'shape', 'json', 'empty', 'shape-sse', 'json-sse', 'no-done'] as const;
export type GarbageKind = (typeof GARBAGE_KINDS)[number];

export const HTML_PAGE = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign in</title></head>
<body>
<h1>Sign in to continue</h1>
<p>Your session with the gateway has expired.</p>
<form method="post" action="/login"><input name="user"><input name="password" type="password"></form>
</body>
</html>
`;

export const WRONG_SHAPE = '{"foo":"bar"}';

const JSON_TYPE = 'application/json';
export const EVENT_STREAM = 'text/event-stream; charset=utf-8';

/**
 * Writes a garbage answer (every kind but `no-done`) with status 200. `cutJson` is the well-formed beginning of
 * what the endpoint would have answered, which the `json` kinds send without its end.
 */
export function sendGarbage(
  res: ServerResponse,
  kind: Exclude<GarbageKind, 'no-done'>,
  isStream: boolean,
  cutJson: string,
): void {
  const [contentType, body] = garbageBody(kind, isStream, cutJson);
  res.writeHead(200, {
    'content-type': contentType,
    ...(isStream ? { 'cache-control': 'no-cache' } : { 'content-length': String(Buffer.byteLength(body)) }),
  });
  res.end(body);
}

function garbageBody(kind: Exclude<GarbageKind, 'no-done'>, isStream: boolean, cutJson: string): [string, string] {
  const plainType = isStream ? EVENT_STREAM : JSON_TYPE;
  switch (kind) {
    case 'html':
      return ['text/html; charset=utf-8', HTML_PAGE];
    case 'shape':
      return [plainType, WRONG_SHAPE];
    case 'json':
      return [plainType, cutJson];
    case 'empty':
      return [plainType, ''];
    case 'shape-sse':
      return isStream ? [EVENT_STREAM, `data: ${WRONG_SHAPE}\n\ndata: [DONE]\n\n`] : [JSON_TYPE, WRONG_SHAPE];
    case 'json-sse':
      return isStream ? [EVENT_STREAM, `data: ${cutJson}\n\ndata: [DONE]\n\n`] : [JSON_TYPE, cutJson];
  }
}

/** The first half of `json`: well-formed up to where it stops. */
export function cutInHalf(json: string): string {
  return json.slice(0, Math.max(1, Math.floor(json.length / 2)));
}
