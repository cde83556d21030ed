/**
 * A fake OpenAI-compatible server for tests and benchmarks: a real Fastify server speaking OpenAI's wire format, so
 * callers exercise the real `openai` SDK end to end. The only fake in the project's tests is the model itself.
 * The modules are in `fake-openai/`; this file is the package's entry (`@flowloom/test/fake-openai`) and the CLI.
 *
 * Endpoints: chat completions (plain and streamed, tool calls, `response_format`, usage and the
 * `stream_options.include_usage` chunk), embeddings, models (list, retrieve, delete fine-tuned ones), files (upload
 * as multipart, list, retrieve, content, delete; `fine-tune` uploads are checked line by line), fine-tuning jobs
 * (create, list, retrieve, events, cancel; the status moves validating_files → queued → running → succeeded over
 * `stepMs` each, and the `ft:` model then lists and answers chat), error answers in OpenAI's shape.
 *
 * What it answers is deterministic and scriptable:
 * - By default a chat answer is `echo: <last user message>` (directives removed, whitespace collapsed);
 *   `json_schema` requests get a small instance of the schema (`sampleFromSchema`), e.g. a judge's
 *   `{score: 0.5, reasoning: ...}` for a score within [0, 1].
 * - Programmatically, `fake.enqueue(reply)` queues answers consumed in order by chat requests (`FakeReply`).
 * - Inside the last user message, directives `[[name:arg]]` (documented on `parseDirectives`) control one request:
 *   `[[reply:text]]`, `[[latency:300]]`, `[[chunk-delay:20]]`, `[[first-token-delay:200]]`, `[[error:429x2]]`,
 *   `[[retry-after:100]]`, `[[tool:get_weather {"city":"Paris"}]]`, `[[hang]]`, `[[huge:20000000]]`,
 *   `[[encoding:gzip|deflate|deflate-raw|br]]`, and
 *   `[[garbage:html|shape|json|empty|shape-sse|json-sse|no-done]]` (a broken provider answering 200; see
 *   `GARBAGE_KINDS`).
 * - Control endpoints under `/_fake` (state, requests, reset, enqueue, latency, fine-tuning) script a fake running
 *   in another process; a base URL under `/_fake/moved` redirects (307) every request to the real endpoint.
 * Token usage is whitespace word counts; every `/v1` request but model listings is recorded in `fake.requests`.
 */
import { pathToFileURL } from 'node:url';
import { startFakeOpenAI } from './fake-openai/index.js';

export * from './fake-openai/index.js';

function argValue(args: string[], name: string): string | undefined {
  const index = args.indexOf(name);
  if (index >= 0) return args[index + 1];
  const inline = args.find((arg) => arg.startsWith(`${name}=`));
  return inline?.slice(name.length + 1);
}

// Standalone: `node test/dist/fake-openai.js [--port N] [--host H] [--latency MS] [--api-key KEY]` prints the
// base URL on stdout and serves until SIGTERM/SIGINT.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const port = Number(argValue(args, '--port') ?? process.env.FAKE_OPENAI_PORT ?? 0);
  const latency = Number(argValue(args, '--latency') ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535 || !Number.isFinite(latency)) {
    process.stderr.write('usage: fake-openai [--port N] [--host H] [--latency MS] [--api-key KEY]\n');
    process.exit(2);
  }
  const fake = await startFakeOpenAI({
    port,
    host: argValue(args, '--host'),
    latencyMs: latency,
    apiKey: argValue(args, '--api-key'),
  });
  process.stdout.write(`${fake.url}\n`);
  const stop = () => {
    void fake.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
