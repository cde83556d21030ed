import type { ServerResponse } from 'node:http';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { badRequest, type FakeContext, sendFakeError, sendOpenAIError, type Tracked, wait, write } from './context.js';
import { type ContentEncoding, countTokens, parseDirectives, stripDirectives } from './directives.js';
import { cutInHalf, EVENT_STREAM, type GarbageKind, sendGarbage } from './garbage.js';
import { sampleFromSchema } from './json-schema-sample.js';
import type { ChatBody, FakeError, FakeReply, FakeToolCall, WireMessage } from './types.js';

/** What the fake answers one chat request with. */
interface Plan {
  text: string;
  toolCalls: { id: string; name: string; arguments: string }[];
  error?: FakeError;
  garbage?: GarbageKind;
  /** Set for `huge` answers: the text's word count, known without splitting megabytes. */
  textTokens?: number;
  latencyMs: number;
  chunkDelayMs: number;
  firstTokenDelayMs: number;
  hang: boolean;
  encoding?: ContentEncoding;
  headers: [string, string][];
}

const HUGE_WORD = 'lorem ';
const HUGE_CHUNK = 16 * 1024;

function contentText(content: WireMessage['content']): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part) => part.text ?? '').join(' ');
  return '';
}

/** Serves `POST /v1/chat/completions`; `isModelServed` refuses fine-tuned models that do not exist (yet). */
export function registerChat(app: FastifyInstance, ctx: FakeContext, isModelServed: (model: string) => boolean) {
  /** Decides the answer to a chat request: queue first, then directives, then the default echo. */
  function plan(body: ChatBody): Plan {
    const messages = body.messages;
    const lastUser = messages.findLastIndex((message) => message?.role === 'user');
    const userText = lastUser >= 0 ? contentText(messages[lastUser]?.content) : '';
    const directives = parseDirectives(userText);
    const toolResults = messages.slice(lastUser + 1).filter((m) => m.role === 'tool');
    const echo = stripDirectives(userText);

    const result: Plan = {
      text: '',
      toolCalls: [],
      garbage: directives.garbage,
      latencyMs: directives.latencyMs ?? ctx.latencyFor(body.model),
      chunkDelayMs: directives.chunkDelayMs ?? 0,
      firstTokenDelayMs: directives.firstTokenDelayMs ?? 0,
      hang: directives.hang,
      encoding: directives.encoding,
      headers: directives.headers,
    };
    let hugeBytes = directives.hugeBytes;

    let scripted: FakeReply | undefined;
    const head = ctx.queue[0];
    if (head) {
      if (head.errorsLeft > 0) {
        head.errorsLeft--;
        scripted = { ...head.reply };
      } else {
        ctx.queue.shift();
        scripted = { ...head.reply, error: undefined };
      }
    } else if (directives.error) {
      const times = directives.error.times;
      const served = ctx.directiveErrors.get(userText) ?? 0;
      if (times === undefined || served < times) {
        ctx.directiveErrors.set(userText, served + 1);
        result.error = directives.error;
      }
    }

    if (scripted) {
      if (scripted.error) result.error = scripted.error;
      if (scripted.latencyMs !== undefined) result.latencyMs = scripted.latencyMs;
      if (scripted.chunkDelayMs !== undefined) result.chunkDelayMs = scripted.chunkDelayMs;
      if (scripted.firstTokenDelayMs !== undefined) result.firstTokenDelayMs = scripted.firstTokenDelayMs;
      if (scripted.garbage !== undefined) result.garbage = scripted.garbage;
      if (scripted.hugeBytes !== undefined) hugeBytes = scripted.hugeBytes;
      if (scripted.hang) result.hang = true;
    }
    if (hugeBytes !== undefined) {
      result.text = HUGE_WORD.repeat(Math.ceil(hugeBytes / HUGE_WORD.length)).slice(0, hugeBytes);
      result.textTokens = Math.ceil(hugeBytes / HUGE_WORD.length);
      return result;
    }

    const toolByName = new Map((body.tools ?? []).map((tool) => [tool.function.name, tool.function]));
    const makeCall = (call: FakeToolCall) => {
      const args =
        call.arguments === undefined
          ? JSON.stringify(sampleFromSchema(toolByName.get(call.name)?.parameters ?? { type: 'object' }, echo))
          : typeof call.arguments === 'string'
            ? call.arguments
            : JSON.stringify(call.arguments);
      return { id: call.id ?? ctx.nextId('call_', 8), name: call.name, arguments: args };
    };

    if (scripted && (scripted.text !== undefined || scripted.toolCalls)) {
      result.text = scripted.text ?? '';
      result.toolCalls = (scripted.toolCalls ?? []).map(makeCall);
      return result;
    }
    const forced = typeof body.tool_choice === 'object' ? body.tool_choice.function.name : undefined;
    if (toolResults.length === 0 && (directives.toolCalls.length > 0 || forced)) {
      const calls = directives.toolCalls.length > 0 ? directives.toolCalls : [{ name: forced as string }];
      result.toolCalls = calls.map(makeCall);
      return result;
    }
    if (directives.reply !== undefined) result.text = directives.reply;
    else if (toolResults.length > 0)
      result.text = `tool results: ${toolResults.map((m) => contentText(m.content)).join(' | ')}`;
    else if (body.response_format?.type === 'json_schema') {
      result.text = JSON.stringify(sampleFromSchema(body.response_format.json_schema?.schema, echo));
    } else if (body.response_format?.type === 'json_object') result.text = JSON.stringify({ echo });
    else result.text = `echo: ${echo}`;
    return result;
  }

  function usageOf(body: ChatBody, answer: Plan) {
    let prompt = 0;
    for (const message of body.messages) {
      prompt += countTokens(contentText(message.content));
      for (const call of message.tool_calls ?? [])
        prompt += countTokens(`${call.function.name} ${call.function.arguments}`);
    }
    let completion = answer.textTokens ?? countTokens(answer.text);
    for (const call of answer.toolCalls) completion += countTokens(`${call.name} ${call.arguments}`);
    return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  }

  app.post('/v1/chat/completions', async (request, reply) => {
    const body = request.body as ChatBody | undefined;
    const tracked = ctx.track(request, reply);
    if (!body || typeof body !== 'object') return badRequest(reply, 'Request body must be a JSON object.');
    if (typeof body.model !== 'string' || body.model === '') return badRequest(reply, 'model is required.', 'model');
    if (!Array.isArray(body.messages) || body.messages.length === 0) {
      return badRequest(reply, 'messages must be a non-empty array.', 'messages');
    }
    if (!isModelServed(body.model)) {
      return sendOpenAIError(
        reply,
        404,
        `The model \`${body.model}\` does not exist or you do not have access to it.`,
        {
          code: 'model_not_found',
        },
      );
    }
    const answer = plan(body);
    const res = reply.raw;
    // Node's server writes a header value as UTF-8 (and refuses characters past U+00FF).
    for (const [name, value] of answer.headers) res.setHeader(name, value);
    await wait(answer.latencyMs + (body.stream ? 0 : answer.firstTokenDelayMs), res);
    if (answer.hang) {
      reply.hijack();
      await new Promise<void>((resolve) => res.once('close', () => resolve()));
      return;
    }
    if (tracked.isGone()) {
      reply.hijack();
      return;
    }
    if (answer.error && (answer.error.status !== 'cut' || !body.stream)) return sendFakeError(ctx, reply, answer.error);

    const id = ctx.nextId('chatcmpl-', 10);
    const created = Math.floor(Date.now() / 1000);
    const finishReason = answer.toolCalls.length > 0 ? 'tool_calls' : 'stop';
    if (!body.stream) {
      const completion = {
        id,
        object: 'chat.completion',
        created,
        model: body.model,
        system_fingerprint: 'fp_fake',
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: answer.toolCalls.length > 0 && answer.text === '' ? null : answer.text,
              refusal: null,
              ...(answer.toolCalls.length > 0
                ? {
                    tool_calls: answer.toolCalls.map((call) => ({
                      id: call.id,
                      type: 'function',
                      function: { name: call.name, arguments: call.arguments },
                    })),
                  }
                : {}),
            },
            logprobs: null,
            finish_reason: answer.garbage === 'no-done' ? null : finishReason,
          },
        ],
        usage: usageOf(body, answer),
      };
      if (answer.garbage && answer.garbage !== 'no-done') {
        reply.hijack();
        return sendGarbage(res, answer.garbage, false, cutInHalf(JSON.stringify(completion)));
      }
      if (answer.encoding) {
        reply.hijack();
        return sendEncoded(res, answer.encoding, 'application/json', JSON.stringify(completion), 1);
      }
      return completion;
    }
    reply.hijack();
    await stream(res, body, answer, { id, created, finishReason }, tracked);
  });

  async function stream(
    res: ServerResponse,
    body: ChatBody,
    answer: Plan,
    { id, created, finishReason }: { id: string; created: number; finishReason: string },
    { isGone }: Tracked,
  ): Promise<void> {
    const includeUsage = body.stream_options?.include_usage === true;
    const base = { id, object: 'chat.completion.chunk', created, model: body.model, system_fingerprint: 'fp_fake' };
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...(includeUsage ? { usage: null } : {}),
    });
    const chunks: unknown[] = [chunk({ role: 'assistant', content: '', refusal: null })];
    if (answer.garbage && answer.garbage !== 'no-done') {
      const cut = cutInHalf(JSON.stringify(chunk({ content: answer.text })));
      return sendGarbage(res, answer.garbage, true, cut);
    }
    // Words with their trailing whitespace, so the chunks concatenate back to the exact text; huge answers in
    // fixed-size slices.
    const pieces =
      answer.textTokens === undefined
        ? (answer.text.match(/\S+\s*|\s+/g) ?? [])
        : Array.from({ length: Math.ceil(answer.text.length / HUGE_CHUNK) }, (_, i) =>
            answer.text.slice(i * HUGE_CHUNK, (i + 1) * HUGE_CHUNK),
          );
    for (const piece of pieces) chunks.push(chunk({ content: piece }));
    answer.toolCalls.forEach((call, index) => {
      chunks.push(
        chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] }),
      );
      for (let at = 0; at < call.arguments.length; at += 8) {
        chunks.push(chunk({ tool_calls: [{ index, function: { arguments: call.arguments.slice(at, at + 8) } }] }));
      }
    });
    const isComplete = answer.garbage !== 'no-done';
    if (isComplete) {
      chunks.push(chunk({}, finishReason));
      if (includeUsage) chunks.push({ ...base, choices: [], usage: usageOf(body, answer) });
    }

    if (answer.encoding) {
      const events = chunks.map((one) => `data: ${JSON.stringify(one)}\n\n`).join('');
      return sendEncoded(res, answer.encoding, EVENT_STREAM, `${events}${isComplete ? 'data: [DONE]\n\n' : ''}`, 2);
    }
    res.writeHead(200, {
      'content-type': EVENT_STREAM,
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    const cutAt = answer.error?.status === 'cut' ? Math.max(1, Math.floor(chunks.length / 2)) : -1;
    for (let i = 0; i < chunks.length; i++) {
      if (isGone()) return;
      if (i === cutAt) {
        // Let the chunks written so far leave the (corked) socket before it is destroyed.
        await new Promise((resolve) => setImmediate(resolve));
        ctx.destroy(res);
        return;
      }
      const delay = i === 1 ? answer.firstTokenDelayMs + answer.chunkDelayMs : i > 0 ? answer.chunkDelayMs : 0;
      if (delay > 0) await wait(delay, res);
      if (isGone()) return;
      await write(res, `data: ${JSON.stringify(chunks[i])}\n\n`);
    }
    if (isGone()) return;
    res.end(isComplete ? 'data: [DONE]\n\n' : undefined);
  }
}

const ENCODERS: Record<ContentEncoding, (text: string) => Buffer> = {
  gzip: gzipSync,
  deflate: deflateSync,
  'deflate-raw': deflateRawSync,
  br: brotliCompressSync,
};

/** Writes a whole answer compressed with `encoding`, its bytes in `parts` writes. */
function sendEncoded(res: ServerResponse, encoding: ContentEncoding, type: string, text: string, parts: number): void {
  const packed = ENCODERS[encoding](text);
  res.writeHead(200, { 'content-type': type, 'content-encoding': encoding === 'deflate-raw' ? 'deflate' : encoding });
  const size = Math.ceil(packed.byteLength / parts);
  for (let at = 0; at < packed.byteLength; at += size) res.write(packed.subarray(at, at + size));
  res.end();
}
