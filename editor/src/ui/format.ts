import type { Usage } from '@flowloom/nodes/spec';

export function formatMs(ms: number | undefined | null): string {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${Math.floor(ms / 60_000)}m ${Math.round((ms % 60_000) / 1000)}s`;
}

export function formatTokens(usage: Usage | undefined): string {
  if (!usage) return '';
  const total = usage.promptTokens + usage.completionTokens;
  return `${total.toLocaleString()} tok`;
}

/** Dollars with two significant digits below a cent (`$0.000052`), three decimals above; `$0` for free calls. */
export function formatCost(cost: number | undefined): string {
  if (cost === undefined || cost === null) return '';
  if (cost === 0) return '$0';
  if (cost < 1e-6) return '< $0.000001';
  if (cost >= 0.01) return `$${cost.toFixed(3)}`;
  const decimals = 1 - Math.floor(Math.log10(cost));
  return `$${cost.toFixed(decimals).replace(/0+$/, '')}`;
}

/** A one-line preview of any value, for edge badges and tables. */
export function preview(value: unknown, max = 60): string {
  let text: string;
  if (value === undefined) return '';
  if (typeof value === 'string') text = value;
  else if (Array.isArray(value)) text = `[${value.length}] ${JSON.stringify(value)}`;
  else text = JSON.stringify(value) ?? String(value);
  text = text.replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function pretty(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

export function timeAgo(iso: string | undefined): string {
  if (!iso) return '';
  const ms = Date.now() - Date.parse(iso);
  if (!Number.isFinite(ms)) return '';
  if (ms < 60_000) return 'just now';
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ago`;
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)} h ago`;
  return new Date(iso).toLocaleDateString();
}
