import type { DataType, NodeCategory } from '@flowloom/nodes/spec';

/** One colour per port data type, used on handles, edges and legends. */
export const DATA_TYPE_COLORS: Record<DataType, string> = {
  text: '#60a5fa',
  number: '#fbbf24',
  boolean: '#f472b6',
  json: '#a78bfa',
  messages: '#34d399',
  documents: '#fb923c',
  embedding: '#22d3ee',
  tool: '#facc15',
  any: '#94a3b8',
};

export const CATEGORY_META: Record<NodeCategory, { label: string; color: string; glyph: string }> = {
  io: { label: 'Inputs & outputs', color: '#38bdf8', glyph: '⇄' },
  prompts: { label: 'Prompts', color: '#a78bfa', glyph: '✎' },
  models: { label: 'Models', color: '#7c5cff', glyph: '✦' },
  retrieval: { label: 'Retrieval', color: '#fb923c', glyph: '⌕' },
  tools: { label: 'Tools', color: '#facc15', glyph: '⚒' },
  logic: { label: 'Logic', color: '#f472b6', glyph: '⑂' },
  data: { label: 'Data', color: '#34d399', glyph: '{}' },
  flows: { label: 'Subflows', color: '#22d3ee', glyph: '⧉' },
};

export function categoryMeta(category: string): { label: string; color: string; glyph: string } {
  return CATEGORY_META[category as NodeCategory] ?? { label: category, color: '#94a3b8', glyph: '•' };
}

export function typeColor(dataType: string): string {
  return DATA_TYPE_COLORS[dataType as DataType] ?? DATA_TYPE_COLORS.any;
}
