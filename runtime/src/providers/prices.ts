import type { Usage } from '@flowloom/nodes';

/** USD per 1M tokens, [prompt, completion]. Unknown models cost 0 (local servers, new names). */
const PRICES: Readonly<Record<string, readonly [number, number]>> = {
  'gpt-4o-mini': [0.15, 0.6],
  'gpt-4o': [2.5, 10],
  'gpt-4.1': [2, 8],
  'gpt-4.1-mini': [0.4, 1.6],
  'gpt-4.1-nano': [0.1, 0.4],
  'o3-mini': [1.1, 4.4],
  'o4-mini': [1.1, 4.4],
  'gpt-3.5-turbo': [0.5, 1.5],
  'text-embedding-3-small': [0.02, 0],
  'text-embedding-3-large': [0.13, 0],
};

const DATED = /-\d{4}-\d{2}-\d{2}$/;

/** The price pair of a model; dated snapshots (`gpt-4o-mini-2024-07-18`) price as their base model. */
export function priceOf(model: string): readonly [number, number] {
  return PRICES[model] ?? PRICES[model.replace(DATED, '')] ?? [0, 0];
}

/** Cost in USD of one call's usage. */
export function costOf(model: string, usage: Usage): number {
  const [prompt, completion] = priceOf(model);
  return (usage.promptTokens * prompt + usage.completionTokens * completion) / 1_000_000;
}
