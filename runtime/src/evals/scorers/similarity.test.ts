import { type FakeOpenAI, fakeEmbedding, startFakeOpenAI } from '@flowloom/test/fake-openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenAIEmbeddings } from '../../providers/openai.js';
import { Embeddings } from '../../rag/embeddings.js';
import { evaluateOne } from '../evaluate.js';
import { parseEvaluators } from '../parse-evaluators.js';
import type { EvalServices } from '../types.js';
import { cosine } from './similarity.js';

let fake: FakeOpenAI;
let services: EvalServices;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  services = {
    embeddings: new Embeddings({ openai: createOpenAIEmbeddings({ baseURL: fake.url }) }),
  } as unknown as EvalServices;
});
afterAll(() => fake.close());

const verdict = (spec: Record<string, unknown>, output: string, expected: unknown, using = services) =>
  evaluateOne(
    parseEvaluators([spec])[0]!,
    { input: {}, outputs: { answer: output }, expected },
    using,
    new AbortController().signal,
  );

describe('similarity', () => {
  it('is the cosine of the embeddings of output and expected text, with the local embedder by default', async () => {
    expect(
      (await verdict({ type: 'similarity' }, 'refunds within 30 days', 'refunds within 30 days')).score,
    ).toBeCloseTo(1, 12);
    const close = await verdict(
      { type: 'similarity' },
      'Refunds are possible within 30 days.',
      'refunds within 30 days',
    );
    const far = await verdict({ type: 'similarity' }, 'The weather in Paris is sunny.', 'refunds within 30 days');
    expect(close.score).toBeGreaterThan(far.score ?? 1);
    expect(far.pass).toBe(false);
    expect(close.reason).toMatch(/^cosine 0\.\d{3} \(local\)$/);
  });

  it('embeds with a provider model through the embeddings service, and keeps the best of several references', async () => {
    const spec = { type: 'similarity', embedder: 'openai:text-embedding-3-small', threshold: 0.5 };
    const result = await verdict(spec, 'alpha beta gamma', ['unrelated words', 'alpha beta delta']);
    const expected = cosine(fakeEmbedding('alpha beta gamma', 64), fakeEmbedding('alpha beta delta', 64));
    expect(result.score).toBeCloseTo(expected, 6);
    expect(result.pass).toBe(true);
    const embeddingCalls = fake.requests.filter((request) => request.path === '/v1/embeddings');
    expect(embeddingCalls).toHaveLength(1);
  });

  it('scores an error when the provider fails or there is no embeddings service', async () => {
    const failing = await verdict({ type: 'similarity', embedder: 'openai:text-embedding-3-small' }, 'x', 'y', {
      embeddings: new Embeddings({}),
    } as unknown as EvalServices);
    expect(failing).toMatchObject({ score: null, pass: false, error: { code: 'PROVIDER_NOT_CONFIGURED' } });
    const none = await verdict({ type: 'similarity' }, 'x', 'y', {} as EvalServices);
    expect(none.error?.code).toBe('SERVICE_NOT_CONFIGURED');
  });
});

describe('cosine', () => {
  it('is 0 for a zero vector and ±1 for parallel ones', () => {
    expect(cosine([0, 0], [1, 2])).toBe(0);
    expect(cosine([1, 2], [2, 4])).toBeCloseTo(1, 12);
    expect(cosine([1, 0], [-1, 0])).toBe(-1);
  });
});
