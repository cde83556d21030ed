import { AppError, isAppError, type TraceEvent, type Values } from '@flowloom/nodes';
import { type DatasetExamples, datasetExamples } from '../finetune/dataset-examples.js';
import { datasetPairs } from '../finetune/dataset-pairs.js';
import type { RunService } from '../runs/run-service.js';
import type { DatasetItem, DatasetItemPatch, DatasetRecord, NewDatasetItem, Store } from '../store/types.js';
import { writeCsv } from './csv.js';
import {
  type CsvMapping,
  type ImportProblem,
  type ItemDraft,
  importFailed,
  itemsFromCsv,
  itemsFromJsonl,
} from './import.js';

/** Pages read at once when a whole dataset is needed (export, experiments). */
const PAGE = 1000;

/** A new id: a prefix, 12 hex digits of time and 8 random ones (ids made later sort later). */
export function newId(prefix: string): string {
  return `${prefix}_${Date.now().toString(16).padStart(12, '0')}${globalThis.crypto.randomUUID().slice(28)}`;
}

/** DATASET_NOT_FOUND for an unknown dataset. */
export function datasetNotFound(id: string): AppError {
  return new AppError('DATASET_NOT_FOUND', `dataset "${id}" does not exist`);
}

/** What `export` answers: a file, and headers that go with it (the counts of a fine-tuning file). */
export interface ExportedFile {
  contentType: string;
  filename: string;
  body: string;
  headers?: Record<string, string>;
}

/**
 * The formats a dataset exports to: its items (JSONL, CSV), or OpenAI fine-tuning JSONL: supervised examples, or
 * preference pairs from items made from runs.
 */
export type DatasetExportFormat = 'jsonl' | 'csv' | 'openai-sft' | 'openai-dpo';

/** A request to add items from runs (docs/contracts.md §7). */
export interface FromRunsRequest {
  runIds: string[];
  /** The run's (or node's) outputs, or the newest correction given as feedback on it. */
  expected: 'output' | 'correction';
  /** Take the inputs and outputs of this node's span instead of the run's. */
  nodeId?: string;
  split?: string;
}

/** A value out of outputs by name: the only one as it is, several as the object. */
function onlyOrAll(outputs: Values | undefined): unknown {
  const names = Object.keys(outputs ?? {});
  return names.length === 1 ? outputs?.[names[0] as string] : outputs;
}

/** A value as a CSV cell: text as it is, anything else as JSON. */
function cellOf(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Datasets (docs/contracts.md §7): named lists of items (flow inputs and what a good answer is) that experiments run
 * flows on. Every change bumps a dataset's revision. Items come from the API, from runs (their inputs, with the
 * output or a correction as the expected value), or from CSV and JSONL files, all or nothing.
 */
export class DatasetService {
  readonly #store: Store;
  readonly #runs: RunService;

  constructor(store: Store, runs: RunService) {
    this.#store = store;
    this.#runs = runs;
  }

  create(input: { id?: string; name: string; description?: string }): Promise<DatasetRecord> {
    return this.#store.datasets.create({
      id: input.id ?? newId('ds'),
      name: input.name,
      ...(input.description !== undefined && { description: input.description }),
      at: new Date().toISOString(),
    });
  }

  /** Throws DATASET_NOT_FOUND. */
  async get(id: string): Promise<DatasetRecord> {
    const dataset = await this.#store.datasets.get(id);
    if (!dataset) throw datasetNotFound(id);
    return dataset;
  }

  list(): Promise<DatasetRecord[]> {
    return this.#store.datasets.list();
  }

  async update(id: string, patch: { name?: string; description?: string | null }): Promise<DatasetRecord> {
    const dataset = await this.#store.datasets.update(id, patch, new Date().toISOString());
    if (!dataset) throw datasetNotFound(id);
    return dataset;
  }

  async remove(id: string): Promise<void> {
    if (!(await this.#store.datasets.remove(id))) throw datasetNotFound(id);
  }

  /**
   * Adds items, all or none, giving ids to those without. CONFLICT (409) when an id is taken (listed in `details`),
   * VALIDATION_FAILED when one id is given twice.
   */
  async addItems(id: string, drafts: readonly ItemDraft[]): Promise<{ dataset: DatasetRecord; items: DatasetItem[] }> {
    const seen = new Map<string, number>();
    drafts.forEach((draft, index) => {
      if (draft.id === undefined) return;
      if (seen.has(draft.id)) {
        const message = `is the id of items.${seen.get(draft.id)} too`;
        throw new AppError('VALIDATION_FAILED', `body.items.${index}.id ${message}`, {
          details: [{ field: `body.items.${index}.id`, message }],
        });
      }
      seen.set(draft.id, index);
    });
    const at = new Date().toISOString();
    const items: NewDatasetItem[] = drafts.map((draft) => ({ ...draft, id: draft.id ?? newId('it') }));
    const dataset = await this.#store.datasets.addItems(id, items, at);
    if (!dataset) throw datasetNotFound(id);
    return { dataset, items: items.map((item) => ({ ...item, createdAt: at, updatedAt: at })) };
  }

  /** A page of items in the order they were added; `cursor` continues after the last page. */
  async listItems(
    id: string,
    query: { split?: string; limit?: number; cursor?: string },
  ): Promise<{ items: DatasetItem[]; cursor?: string }> {
    await this.get(id);
    const limit = query.limit ?? 100;
    const afterSeq = query.cursor === undefined ? 0 : Number(query.cursor);
    const rows = await this.#store.datasets.listItems(id, { split: query.split, limit: limit + 1, afterSeq });
    const page = rows.slice(0, limit);
    const items = page.map(({ seq: _seq, ...item }) => item);
    return rows.length > limit ? { items, cursor: String(page.at(-1)?.seq) } : { items };
  }

  /** Every item (of one split), in order. Throws DATASET_NOT_FOUND. */
  async allItems(id: string, split?: string): Promise<DatasetItem[]> {
    const items: DatasetItem[] = [];
    for await (const page of this.itemPages(id, split)) items.push(...page);
    return items;
  }

  /** The items (of one split) a page at a time, in order, never all at once. Throws DATASET_NOT_FOUND. */
  async *itemPages(id: string, split?: string): AsyncGenerator<DatasetItem[]> {
    await this.get(id);
    for (let afterSeq = 0; ; ) {
      const rows = await this.#store.datasets.listItems(id, { split, limit: PAGE, afterSeq });
      if (rows.length > 0) yield rows.map(({ seq: _seq, ...item }) => item);
      if (rows.length < PAGE) return;
      afterSeq = (rows.at(-1) as { seq: number }).seq;
    }
  }

  async getItem(id: string, itemId: string): Promise<DatasetItem> {
    const item = await this.#store.datasets.getItem(id, itemId);
    if (!item) throw await this.#itemNotFound(id, itemId);
    return item;
  }

  async updateItem(id: string, itemId: string, patch: DatasetItemPatch): Promise<DatasetItem> {
    const item = await this.#store.datasets.updateItem(id, itemId, patch, new Date().toISOString());
    if (!item) throw await this.#itemNotFound(id, itemId);
    return item;
  }

  async removeItem(id: string, itemId: string): Promise<void> {
    if (!(await this.#store.datasets.removeItem(id, itemId, new Date().toISOString()))) {
      throw await this.#itemNotFound(id, itemId);
    }
  }

  async #itemNotFound(id: string, itemId: string): Promise<AppError> {
    await this.get(id);
    return new AppError('DATASET_ITEM_NOT_FOUND', `dataset "${id}" has no item "${itemId}"`);
  }

  /**
   * Items from runs: each run's inputs (or, with `nodeId`, that node's span's inputs), with its outputs or the newest
   * correction given on it as `expected`, and `sourceRunId`/`sourceNodeId` pointing back. All or none: an unknown
   * run is RUN_NOT_FOUND; a run without what is asked (no output, no correction, no span of the node) is
   * VALIDATION_FAILED naming `body.runIds.N`.
   */
  async addFromRuns(id: string, request: FromRunsRequest): Promise<{ dataset: DatasetRecord; items: DatasetItem[] }> {
    await this.get(id);
    // The runs and their feedback in one query each; events only for a node's span.
    const [runs, feedback] = await Promise.all([
      this.#store.getRuns(request.runIds),
      request.expected === 'correction' ? this.#store.listFeedbackOfRuns(request.runIds) : [],
    ]);
    const byId = new Map(runs.map((run) => [run.runId, run]));
    const drafts: ItemDraft[] = [];
    const problems: { field: string; message: string }[] = [];
    for (const [index, runId] of request.runIds.entries()) {
      const run = byId.get(runId);
      if (!run) {
        throw new AppError('RUN_NOT_FOUND', `run "${runId}" does not exist`, {
          details: [{ field: `body.runIds.${index}`, message: 'no such run' }],
        });
      }
      const problem = (message: string) => problems.push({ field: `body.runIds.${index}`, message });
      let span: { inputs?: Values; outputs?: Values } | undefined;
      if (request.nodeId !== undefined) {
        span = nodeSpan((await this.#runs.get(runId))?.events ?? [], request.nodeId);
        if (!span?.inputs) {
          problem(`run "${runId}" has no span of node "${request.nodeId}"`);
          continue;
        }
      }
      let expected: unknown;
      if (request.expected === 'correction') {
        // The feedback is in the order last written: the newest correction is the last (a replaced one counts as new).
        const correction = feedback
          .filter((f) => f.runId === runId && f.correction !== undefined && f.nodeId === request.nodeId)
          .at(-1)?.correction;
        if (correction === undefined) {
          problem(`run "${runId}" has no correction${request.nodeId ? ` on node "${request.nodeId}"` : ''}`);
          continue;
        }
        expected = correction;
      } else {
        const outputs = span ? span.outputs : run.status === 'completed' ? run.outputs : undefined;
        if (outputs === undefined) {
          problem(`run "${runId}" has no output to expect (status ${run.status})`);
          continue;
        }
        expected = onlyOrAll(outputs);
      }
      drafts.push({
        input: span?.inputs ?? run.inputs,
        expected,
        sourceRunId: runId,
        ...(request.nodeId !== undefined && { sourceNodeId: request.nodeId }),
        ...(request.split !== undefined && { split: request.split }),
      });
    }
    if (problems.length > 0) {
      throw new AppError('VALIDATION_FAILED', `${problems[0]?.field}: ${problems[0]?.message}`, { details: problems });
    }
    return this.addItems(id, drafts);
  }

  /**
   * Imports a CSV (with a column mapping) or JSONL file: every item or none. A bad line is VALIDATION_FAILED whose
   * details name each line and column; an item id that the dataset has already is one too.
   */
  async importFile(
    id: string,
    file: { format: 'csv' | 'jsonl'; content: string; mapping?: CsvMapping; split?: string },
  ): Promise<{ dataset: DatasetRecord; added: number }> {
    await this.get(id);
    const parsed = file.format === 'csv' ? itemsFromCsv(file.content, file.mapping) : itemsFromJsonl(file.content);
    if ('mappingProblems' in parsed) {
      const details = parsed.mappingProblems.map((p) => ({ field: `body.${p.column}`, message: p.message }));
      throw new AppError('VALIDATION_FAILED', `${details[0]?.field}: ${details[0]?.message}`, { details });
    }
    if ('problems' in parsed) throw importFailed(parsed.problems);
    const lines = new Map<string, number>();
    const problems: ImportProblem[] = [];
    for (const { line, draft } of parsed.items) {
      if (file.split !== undefined && draft.split === undefined) draft.split = file.split;
      if (draft.id === undefined) continue;
      const first = lines.get(draft.id);
      if (first !== undefined) {
        problems.push({ line, column: parsed.idColumn, message: `"${draft.id}" is on line ${first} too` });
      } else lines.set(draft.id, line);
    }
    if (problems.length > 0) throw importFailed(problems);
    try {
      const { dataset } = await this.addItems(
        id,
        parsed.items.map((item) => item.draft),
      );
      return { dataset, added: parsed.items.length };
    } catch (err) {
      // An id the dataset has already: the line it is on.
      if (isAppError(err) && err.code === 'CONFLICT' && err.details) {
        const taken = (err.details as { itemId: string }[]).map((detail) => ({
          line: lines.get(detail.itemId) ?? 0,
          column: parsed.idColumn,
          message: `the dataset has an item "${detail.itemId}" already`,
        }));
        throw importFailed(taken.sort((a, b) => a.line - b.line));
      }
      throw err;
    }
  }

  /**
   * A dataset (or one split) as a file: JSONL, one item object per line (it imports back as it is), or CSV with the
   * columns `id`, `input.<name>` per input, `expected`, `split`, `metadata` (JSON), `sourceRunId` and `sourceNodeId`
   * (values that are not text as JSON), which CSV import maps back to those fields by default; or OpenAI fine-tuning
   * JSONL, `openai-sft` (see `datasetExamples`) or `openai-dpo` (see `datasetPairs`), its counts in headers, tokens
   * by `model`'s tokenizer.
   */
  async export(id: string, format: DatasetExportFormat, split?: string, model?: string): Promise<ExportedFile> {
    if (model !== undefined && format !== 'openai-sft' && format !== 'openai-dpo') {
      const message = 'goes with format openai-sft or openai-dpo only';
      throw new AppError('VALIDATION_FAILED', `query.model ${message}`, {
        details: [{ field: 'query.model', message }],
      });
    }
    const items = await this.allItems(id, split);
    const name = `${id}${split ? `-${split}` : ''}`;
    if (format === 'openai-sft' || format === 'openai-dpo') {
      const file: DatasetExamples =
        format === 'openai-sft' ? datasetExamples(items, model) : await datasetPairs(this.#store, items, model);
      return {
        contentType: 'application/jsonl; charset=utf-8',
        filename: `${name}-${format}.jsonl`,
        body: file.jsonl,
        headers: {
          'x-flowloom-examples': String(file.examples),
          'x-flowloom-tokens': String(file.tokens),
          'x-flowloom-max-example-tokens': String(file.maxExampleTokens),
          'x-flowloom-skipped': String(file.skipped),
        },
      };
    }
    if (format === 'jsonl') {
      const lines = items.map(({ createdAt: _c, updatedAt: _u, ...item }) => JSON.stringify(item));
      return {
        contentType: 'application/x-ndjson; charset=utf-8',
        filename: `${name}.jsonl`,
        body: lines.map((line) => `${line}\n`).join(''),
      };
    }
    const inputs = [...new Set(items.flatMap((item) => Object.keys(item.input)))];
    const header = [
      'id',
      ...inputs.map((input) => `input.${input}`),
      'expected',
      'split',
      'metadata',
      'sourceRunId',
      'sourceNodeId',
    ];
    const rows = items.map((item) => [
      item.id,
      ...inputs.map((input) => cellOf(item.input[input])),
      cellOf(item.expected),
      item.split ?? '',
      item.metadata === undefined ? '' : JSON.stringify(item.metadata),
      item.sourceRunId ?? '',
      item.sourceNodeId ?? '',
    ]);
    return { contentType: 'text/csv; charset=utf-8', filename: `${name}.csv`, body: writeCsv(header, rows) };
  }
}

/** A node's span in a run's events: the inputs it started with and the outputs it completed with (the last ones). */
function nodeSpan(events: readonly TraceEvent[], nodeId: string): { inputs?: Values; outputs?: Values } | undefined {
  let span: { inputs?: Values; outputs?: Values } | undefined;
  for (const event of events) {
    if (event.nodeId !== nodeId) continue;
    span ??= {};
    if (event.type === 'node.started') span.inputs = event.data.inputs;
    if (event.type === 'node.completed') span.outputs = event.data.outputs;
  }
  return span;
}
