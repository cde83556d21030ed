import type { FastifyInstance } from 'fastify';
import { badRequest, type FakeContext, sendFakeError, wait } from './context.js';
import { countTokens, parseDirectives } from './directives.js';
import { cutInHalf, sendGarbage } from './garbage.js';

/**
 * Deterministic embedding: words hashed into `dimensions` buckets (feature hashing), L2-normalised, so texts
 * sharing words are close (cosine) and retrieval tests behave sensibly without a model.
 */
export function fakeEmbedding(text: string, dimensions: number): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  for (const word of words) {
    let hash = 2166136261;
    for (let i = 0; i < word.length; i++) hash = Math.imul(hash ^ word.charCodeAt(i), 16777619);
    const bucket = (hash >>> 0) % dimensions;
    vector[bucket] = (vector[bucket] ?? 0) + ((hash >>> 31) & 1 ? -1 : 1);
  }
  if (words.length === 0) vector[0] = 1;
  const norm = Math.sqrt(vector.reduce((sum, v) => sum + v * v, 0)) || 1;
  return vector.map((v) => v / norm);
}

/** Serves `POST /v1/embeddings`; directives in the input texts apply (latency, error, garbage). */
export function registerEmbeddings(app: FastifyInstance, ctx: FakeContext) {
  const dimensionsDefault = ctx.options.embeddingDimensions ?? 64;

  app.post('/v1/embeddings', async (request, reply) => {
    const body = request.body as
      | { model?: unknown; input?: unknown; dimensions?: unknown; encoding_format?: unknown }
      | undefined;
    const { isGone } = ctx.track(request, reply);
    if (!body || typeof body.model !== 'string') return badRequest(reply, 'model is required.', 'model');
    const input = typeof body.input === 'string' ? [body.input] : body.input;
    if (!Array.isArray(input) || input.length === 0 || !input.every((text) => typeof text === 'string')) {
      return badRequest(reply, 'input must be a string or a non-empty array of strings.', 'input');
    }
    const dimensions = typeof body.dimensions === 'number' && body.dimensions > 0 ? body.dimensions : dimensionsDefault;
    const directives = parseDirectives(input.join('\n'));
    await wait(directives.latencyMs ?? ctx.latencyFor(body.model), reply.raw);
    if (isGone()) {
      reply.hijack();
      return;
    }
    if (directives.error) {
      const key = `embeddings:${input.join('\n')}`;
      const served = ctx.directiveErrors.get(key) ?? 0;
      if (directives.error.times === undefined || served < directives.error.times) {
        ctx.directiveErrors.set(key, served + 1);
        return sendFakeError(ctx, reply, directives.error);
      }
    }
    const base64 = body.encoding_format === 'base64';
    const tokens = input.reduce((sum, text) => sum + countTokens(text), 0);
    const answer = {
      object: 'list',
      model: body.model,
      data: input.map((text, index) => {
        const vector = fakeEmbedding(text, dimensions);
        return {
          object: 'embedding',
          index,
          embedding: base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector,
        };
      }),
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    };
    // Embeddings are never streamed: `no-done` has no meaning here.
    if (directives.garbage && directives.garbage !== 'no-done') {
      reply.hijack();
      return sendGarbage(reply.raw, directives.garbage, false, cutInHalf(JSON.stringify(answer)));
    }
    return answer;
  });
}
