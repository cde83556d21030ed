import type { NodeSpec } from './node-spec.js';

/**
 * How well a kind matches a search (the editor's palette), or 0 when it does not: its type or title first (exact, then prefix, then
 * anywhere), then its keywords, then its description. Every word of the query must match somewhere.
 */
export function paletteScore(kind: NodeSpec, query: string): number {
  const words = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return 1;
  const title = kind.title.toLowerCase();
  const keywords = (kind.keywords ?? []).map((k) => k.toLowerCase());
  const description = kind.description.toLowerCase();
  let total = 0;
  for (const word of words) {
    const score =
      kind.type === word || title === word
        ? 50
        : kind.type.startsWith(word) || title.startsWith(word)
          ? 40
          : kind.type.includes(word) || title.includes(word)
            ? 30
            : keywords.some((k) => k === word)
              ? 20
              : keywords.some((k) => k.includes(word))
                ? 15
                : description.includes(word)
                  ? 5
                  : 0;
    if (score === 0) return 0;
    total += score;
  }
  return total;
}

/** The kinds a query finds, best first (ties keep the catalog's order). */
export function searchKinds(kinds: readonly NodeSpec[], query: string): NodeSpec[] {
  return kinds
    .map((kind, index) => ({ kind, index, score: paletteScore(kind, query) }))
    .filter((hit) => hit.score > 0)
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .map((hit) => hit.kind);
}
