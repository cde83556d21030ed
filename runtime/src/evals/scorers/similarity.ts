import { AppError } from '@flowloom/nodes';
import { expectedOf, outputOf, referencesOf, textOf } from '../sample.js';
import type { Scorer } from '../types.js';

/** Cosine similarity of two vectors (0 when either is all zeros). */
export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    normA += x * x;
    normB += y * y;
  }
  return normA === 0 || normB === 0 ? 0 : dot / Math.sqrt(normA * normB);
}

/**
 * `similarity`: the cosine of the embeddings of the output and the expected text (the best one of a list), from the
 * kernel's embeddings service with `embedder` (default `local`, the built-in one; `openai:<model>` for a provider's).
 * A negative cosine scores 0.
 */
export const scoreSimilarity: Scorer<'similarity'> = async (evaluator, sample, { services, signal }) => {
  const embeddings = services.embeddings;
  if (!embeddings) throw new AppError('SERVICE_NOT_CONFIGURED', 'similarity needs an embeddings service');
  const output = textOf(outputOf(evaluator, sample));
  const references = referencesOf(expectedOf(evaluator, sample));
  const embedder = evaluator.embedder ?? 'local';
  const { vectors } = await embeddings.embed([output, ...references], { signal, embedder });
  const [first, ...others] = vectors;
  const best = Math.max(...others.map((vector) => cosine(first ?? [], vector)));
  return { score: Math.min(1, Math.max(0, best)), reason: `cosine ${best.toFixed(3)} (${embedder})` };
};
