import { AppError, type EmbeddingService, type Usage } from '@flowloom/nodes';
import type OpenAI from 'openai';

/** Dimension of the built-in local embedder. */
export const LOCAL_DIMENSION = 384;
/** The local embedder's name as recorded in collection metadata. */
export const LOCAL_EMBEDDER = 'local';

/** Embeds texts with an OpenAI-compatible model (the runtime adapts its OpenAI client to this). */
export type OpenAiEmbed = (
  model: string,
  texts: string[],
  signal: AbortSignal,
) => Promise<{ vectors: number[][]; usage?: Usage }>;

/** Adapts an `openai` SDK client (any OpenAI-compatible server) to OpenAiEmbed. */
export function openAiEmbed(client: Pick<OpenAI, 'embeddings'>): OpenAiEmbed {
  return async (model, texts, signal) => {
    const answer = await client.embeddings.create({ model, input: texts, encoding_format: 'float' }, { signal });
    const vectors = [...answer.data].sort((a, b) => a.index - b.index).map((item) => item.embedding);
    return { vectors, usage: { promptTokens: answer.usage?.prompt_tokens ?? 0, completionTokens: 0 } };
  };
}

export type EmbedderChoice = { kind: 'local'; name: string } | { kind: 'openai'; model: string; name: string };

/** Parses an embedder param: `local` or `openai:<model>`. Throws NODE_PARAM_INVALID otherwise. */
export function parseEmbedder(value: string | undefined): EmbedderChoice {
  const name = (value ?? '').trim() || LOCAL_EMBEDDER;
  if (name === LOCAL_EMBEDDER) return { kind: 'local', name };
  const match = /^openai:([\w.:/-]{1,200})$/.exec(name);
  if (match?.[1]) return { kind: 'openai', model: match[1], name };
  throw new AppError('NODE_PARAM_INVALID', `embedder must be "local" or "openai:<model>", got "${name}"`, {
    details: [{ param: 'embedder', message: 'expected "local" or "openai:<model>"' }],
  });
}

// FNV-1a over 32 bits, then a murmur3 finaliser so both the bucket and the sign bits are well mixed.
const FNV_OFFSET = 0x811c9dc5;
function step(hash: number, code: number): number {
  return Math.imul(hash ^ code, 0x01000193);
}
function finish(hash: number): number {
  let h = hash ^ (hash >>> 16);
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const WORD_WEIGHT = 1;
const BIGRAM_WEIGHT = 0.7;
const TRIGRAM_WEIGHT = 0.35;
const TOKEN = /[\p{L}\p{N}]+/gu;
// Seeds keep the feature families (word, bigram, char trigram) in separate hash spaces.
const WORD_SEED = step(FNV_OFFSET, 1);
const BIGRAM_SEED = step(FNV_OFFSET, 2);
const TRIGRAM_SEED = step(FNV_OFFSET, 3);
const BOUNDARY = 0x23; // '#': marks word starts and ends in character trigrams

function add(vector: Float64Array, hash: number, weight: number): void {
  const mixed = finish(hash);
  const index = mixed % vector.length;
  vector[index] = (vector[index] ?? 0) + ((mixed & 0x80000000) === 0 ? weight : -weight);
}

/**
 * The built-in embedder: signed feature hashing of words, word bigrams and character trigrams into
 * `dimension` buckets, L2-normalised. Deterministic, no network, no model files; similar wording gives
 * close vectors, which is what keyword-heavy retrieval over docs needs.
 */
export function localEmbed(text: string, dimension = LOCAL_DIMENSION): number[] {
  const vector = new Float64Array(dimension);
  let previous = -1;
  for (const match of text.toLowerCase().matchAll(TOKEN)) {
    const word = match[0];
    let wordHash = WORD_SEED;
    for (let i = 0; i < word.length; i++) wordHash = step(wordHash, word.charCodeAt(i));
    add(vector, wordHash, WORD_WEIGHT);
    if (previous !== -1) add(vector, step(step(BIGRAM_SEED, previous), wordHash), BIGRAM_WEIGHT);
    previous = wordHash;
    // Character trigrams of "#word#": robust to inflections and typos.
    const length = word.length + 2;
    for (let i = 0; i + 3 <= length; i++) {
      let h = TRIGRAM_SEED;
      for (let j = i; j < i + 3; j++) h = step(h, j === 0 || j === length - 1 ? BOUNDARY : word.charCodeAt(j - 1));
      add(vector, h, TRIGRAM_WEIGHT);
    }
  }
  let norm = 0;
  for (const value of vector) norm += value * value;
  const out = new Array<number>(dimension);
  if (norm === 0) {
    // Text without words still needs a valid unit vector for cosine space.
    out.fill(0);
    out[0] = 1;
    return out;
  }
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < dimension; i++) out[i] = (vector[i] ?? 0) * scale;
  return out;
}

export interface EmbeddingsOptions {
  /** The configured OpenAI-compatible provider; without it `openai:<model>` fails with PROVIDER_NOT_CONFIGURED. */
  openai?: OpenAiEmbed;
  /** Texts per provider request. */
  batchSize?: number;
}

/** EmbeddingService: the local embedder, or an OpenAI-compatible model when one is configured. */
export class Embeddings implements EmbeddingService {
  readonly #openai: OpenAiEmbed | undefined;
  readonly #batchSize: number;

  constructor(options: EmbeddingsOptions = {}) {
    this.#openai = options.openai;
    this.#batchSize = options.batchSize ?? 256;
  }

  async embed(
    texts: string[],
    options: { signal: AbortSignal; embedder?: string },
  ): Promise<{ vectors: number[][]; embedder: string; usage?: Usage }> {
    const choice = parseEmbedder(options.embedder);
    options.signal.throwIfAborted();
    if (choice.kind === 'local') {
      return { vectors: texts.map((text) => localEmbed(text)), embedder: choice.name };
    }
    if (!this.#openai) {
      throw new AppError('PROVIDER_NOT_CONFIGURED', `embedder "${choice.name}" needs an OpenAI-compatible provider`);
    }
    const vectors: number[][] = [];
    let usage: Usage | undefined;
    for (let start = 0; start < texts.length; start += this.#batchSize) {
      const batch = texts.slice(start, start + this.#batchSize);
      const result = await this.#openai(choice.model, batch, options.signal);
      if (result.vectors.length !== batch.length) {
        throw new AppError(
          'PROVIDER_ERROR',
          `embeddings answer has ${result.vectors.length} vectors for ${batch.length} texts`,
        );
      }
      vectors.push(...result.vectors);
      if (result.usage) {
        usage = {
          promptTokens: (usage?.promptTokens ?? 0) + result.usage.promptTokens,
          completionTokens: (usage?.completionTokens ?? 0) + result.usage.completionTokens,
        };
      }
    }
    return usage ? { vectors, embedder: choice.name, usage } : { vectors, embedder: choice.name };
  }
}
