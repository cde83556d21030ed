import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';

/**
 * Takes the response over from Fastify and opens a server-sent event stream for a run: no buffering by proxies,
 * the run id in `x-run-id` and `x-flowloom-run-id` (docs/contracts.md §7). Returns the raw response to write `data:`
 * lines to.
 */
export function openEventStream(reply: FastifyReply, runId: string): ServerResponse {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-run-id': runId,
    'x-flowloom-run-id': runId,
  });
  return raw;
}
