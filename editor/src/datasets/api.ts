import type { ColumnRef, CsvMapping, Dataset, DatasetItem, DatasetItemDraft } from '@flowloom/nodes/spec';
import { request } from '../api/http';
import { authHeaders } from '../auth/token';

/** A dataset and its items (docs/contracts.md §7) as the API answers them (`@flowloom/nodes/spec`). */
export type { Dataset, DatasetItem };

/** A problem with one line of an imported file (a 400's details). */
export interface ImportProblem {
  line?: number;
  column?: string;
  field?: string;
  message: string;
}

/** Which CSV columns make an item (`@flowloom/nodes/spec`). */
export type { ColumnRef, CsvMapping };

const enc = encodeURIComponent;

export const datasetsApi = {
  list: () => request<{ datasets: Dataset[] }>('GET', '/api/datasets').then((r) => r.datasets),
  get: (id: string) => request<Dataset>('GET', `/api/datasets/${enc(id)}`),
  create: (body: { id?: string; name: string; description?: string }) =>
    request<Dataset>('POST', '/api/datasets', body),
  update: (id: string, body: { name?: string; description?: string | null }) =>
    request<Dataset>('PATCH', `/api/datasets/${enc(id)}`, body),
  remove: (id: string) => request<unknown>('DELETE', `/api/datasets/${enc(id)}`),
  items: (id: string, cursor?: string, limit = 100) =>
    request<{ items: DatasetItem[]; cursor?: string }>(
      'GET',
      `/api/datasets/${enc(id)}/items?limit=${limit}${cursor ? `&cursor=${enc(cursor)}` : ''}`,
    ),
  addItems: (id: string, items: DatasetItemDraft[]) =>
    request<{ dataset: Dataset; items: DatasetItem[] }>('POST', `/api/datasets/${enc(id)}/items`, { items }),
  updateItem: (
    id: string,
    itemId: string,
    patch: { input?: Record<string, unknown>; expected?: unknown; split?: string | null },
  ) => request<{ item: DatasetItem }>('PATCH', `/api/datasets/${enc(id)}/items/${enc(itemId)}`, patch),
  removeItem: (id: string, itemId: string) =>
    request<unknown>('DELETE', `/api/datasets/${enc(id)}/items/${enc(itemId)}`),
  /** Items from runs: their inputs (or a node span's) with the output or the newest correction as expected. */
  fromRuns: (id: string, body: { runIds: string[]; expected: 'output' | 'correction'; nodeId?: string }) =>
    request<{ dataset: Dataset; items: DatasetItem[] }>('POST', `/api/datasets/${enc(id)}/items/from-runs`, body),
  importFile: (id: string, body: { format: 'csv' | 'jsonl'; content: string; mapping?: CsvMapping; split?: string }) =>
    request<{ dataset: Dataset; added: number }>('POST', `/api/datasets/${enc(id)}/import`, body),
  /** The export file's text (fetched with the admin token, then saved by the browser). */
  exportFile: async (id: string, format: 'jsonl' | 'csv'): Promise<string> => {
    const response = await fetch(`/api/datasets/${enc(id)}/export?format=${format}`, { headers: authHeaders() });
    if (!response.ok) throw new Error(`export failed: HTTP ${response.status}`);
    return response.text();
  },
  /**
   * The dataset as OpenAI fine-tuning JSONL and its counts: supervised (an example per item with an expected output)
   * or preference pairs (per item made from a run whose expected corrects the run's answer); the server's message
   * when items do not make examples (it names them).
   */
  exportFineTuning: async (id: string, format: FineTuningFormat = 'openai-sft'): Promise<FineTuningFile> => {
    const response = await fetch(`/api/datasets/${enc(id)}/export?format=${format}`, { headers: authHeaders() });
    if (!response.ok) {
      const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
      throw new Error(body?.error?.message ?? `export failed: HTTP ${response.status}`);
    }
    const header = (name: string) => Number(response.headers.get(name) ?? 0);
    return {
      text: await response.text(),
      examples: header('x-flowloom-examples'),
      tokens: header('x-flowloom-tokens'),
      skipped: header('x-flowloom-skipped'),
    };
  },
};

/** Supervised examples, or DPO preference pairs. */
export type FineTuningFormat = 'openai-sft' | 'openai-dpo';

/** A dataset's fine-tuning file and the counts its export reports. */
export interface FineTuningFile {
  text: string;
  examples: number;
  tokens: number;
  /** Items that make no example (no expected output; for pairs, no corrected run answer), left out. */
  skipped: number;
}
