import {
  AppError,
  type ColumnRef,
  type ColumnType,
  type CsvMapping,
  type DatasetItemDraft,
  type Values,
} from '@flowloom/nodes';
import { CsvSyntaxError, parseCsv } from './csv.js';

/** Ids of datasets and items: letters, digits and `_ . : -`, up to 100 characters. */
export const ITEM_ID_PATTERN = '^[A-Za-z0-9_.:-]{1,100}$';
/** A split's name (`train`, `test`, `2026-q1`...). */
export const SPLIT_PATTERN = '^[A-Za-z0-9_.:-]{1,64}$';

/** An item as a caller writes it: the id may be left to the runtime (`@flowloom/nodes/spec`). */
export type ItemDraft = DatasetItemDraft;

/** How CSV columns make an item (docs/contracts.md §7): the API's shapes, in `@flowloom/nodes/spec`. */
export type { ColumnRef, ColumnType, CsvMapping };

/** A problem with one line (1-based) of an imported file, and the column (CSV) or field (JSONL) it is in. */
export interface ImportProblem {
  line: number;
  column?: string;
  message: string;
}

/** The most problems one answer lists: a file that is wrong throughout says so without a huge answer. */
const MAX_PROBLEMS = 50;
const ITEM_FIELDS = new Set(['id', 'input', 'expected', 'metadata', 'split', 'sourceRunId', 'sourceNodeId']);
const RESERVED_COLUMNS = new Set(['id', 'expected', 'split', 'metadata', 'sourceRunId', 'sourceNodeId']);

/** VALIDATION_FAILED listing the problems of a file, each with its line and column; nothing is imported. */
export function importFailed(problems: readonly ImportProblem[], total = problems.length): AppError {
  const first = problems[0] as ImportProblem;
  const where = `line ${first.line}${first.column === undefined ? '' : `, column "${first.column}"`}`;
  const more = total > 1 ? ` (and ${total - 1} more)` : '';
  return new AppError('VALIDATION_FAILED', `${where}: ${first.message}${more}; nothing was imported`, {
    details: problems.slice(0, MAX_PROBLEMS),
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Problems of one item's fields (`column` names the field), the same rules as `POST .../items`: an object `input`,
 * ids and splits of their patterns, an object `metadata`.
 */
export function itemProblems(raw: Record<string, unknown>, line: number): ImportProblem[] {
  const problems: ImportProblem[] = [];
  const problem = (column: string, message: string) => problems.push({ line, column, message });
  for (const key of Object.keys(raw)) {
    if (!ITEM_FIELDS.has(key)) problem(key, `unknown field (an item has ${[...ITEM_FIELDS].join(', ')})`);
  }
  if (!isObject(raw.input)) problem('input', 'must be an object of flow inputs by name');
  if (raw.id !== undefined && !(typeof raw.id === 'string' && new RegExp(ITEM_ID_PATTERN).test(raw.id))) {
    problem('id', 'must be 1 to 100 letters, digits, _ . : or -');
  }
  if (raw.split !== undefined && !(typeof raw.split === 'string' && new RegExp(SPLIT_PATTERN).test(raw.split))) {
    problem('split', 'must be 1 to 64 letters, digits, _ . : or -');
  }
  if (raw.metadata !== undefined && !isObject(raw.metadata)) problem('metadata', 'must be an object');
  for (const key of ['sourceRunId', 'sourceNodeId']) {
    if (raw[key] !== undefined && typeof raw[key] !== 'string') problem(key, 'must be a string');
  }
  return problems;
}

/** A draft from a checked item object (null `expected` means none). */
function draftOf(raw: Record<string, unknown>): ItemDraft {
  const draft: ItemDraft = { input: raw.input as Values };
  if (raw.id !== undefined) draft.id = raw.id as string;
  if (raw.expected !== undefined && raw.expected !== null) draft.expected = raw.expected;
  if (raw.metadata !== undefined) draft.metadata = raw.metadata as Record<string, unknown>;
  if (raw.split !== undefined) draft.split = raw.split as string;
  if (raw.sourceRunId !== undefined) draft.sourceRunId = raw.sourceRunId as string;
  if (raw.sourceNodeId !== undefined) draft.sourceNodeId = raw.sourceNodeId as string;
  return draft;
}

/**
 * Items with the line each came from and the column (CSV header) or field their ids are in, or every problem found
 * (all or nothing).
 */
export type Parsed = { items: { line: number; draft: ItemDraft }[]; idColumn: string } | { problems: ImportProblem[] };

/** The column of a V8 JSON.parse message ("... at position 12 ..."), 1-based. */
function jsonColumn(err: unknown): string | undefined {
  const match = /position (\d+)/.exec(err instanceof Error ? err.message : '');
  return match ? `character ${Number(match[1]) + 1}` : undefined;
}

/** JSONL: one item object per line (`{id?, input, expected?, metadata?, split?}`); blank lines are skipped. */
export function itemsFromJsonl(text: string): Parsed {
  const items: { line: number; draft: ItemDraft }[] = [];
  const problems: ImportProblem[] = [];
  // A BOM (U+FEFF, as some editors save UTF-8) is not part of the first item.
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split(/\r?\n/);
  lines.forEach((content, index) => {
    const line = index + 1;
    if (content.trim() === '') return;
    let raw: unknown;
    try {
      raw = JSON.parse(content);
    } catch (err) {
      const column = jsonColumn(err);
      problems.push({ line, ...(column && { column }), message: `not JSON (${(err as Error).message})` });
      return;
    }
    if (!isObject(raw)) {
      problems.push({ line, message: 'must be an item object {id?, input, expected?, metadata?, split?}' });
      return;
    }
    const found = itemProblems(raw, line);
    if (found.length > 0) problems.push(...found);
    else items.push({ line, draft: draftOf(raw) });
  });
  if (problems.length === 0 && items.length === 0) problems.push({ line: 1, message: 'the file holds no items' });
  return problems.length > 0 ? { problems } : { items, idColumn: 'id' };
}

/** A column's reference as `{column, as}`. */
function refOf(ref: ColumnRef, as: ColumnType = 'text'): { column: string; as: ColumnType } {
  return typeof ref === 'string' ? { column: ref, as } : { column: ref.column, as: ref.as ?? as };
}

/** A cell read as its column's type; a string problem when it cannot be. */
function readCell(text: string, as: ColumnType): { value: unknown } | { problem: string } {
  switch (as) {
    case 'text':
      return { value: text };
    case 'number': {
      const value = Number(text);
      return text.trim() !== '' && Number.isFinite(value) ? { value } : { problem: `"${text}" is not a number` };
    }
    case 'boolean': {
      const lower = text.trim().toLowerCase();
      if (lower === 'true' || lower === '1') return { value: true };
      if (lower === 'false' || lower === '0') return { value: false };
      return { problem: `"${text}" is not true or false` };
    }
    case 'json':
      try {
        return { value: JSON.parse(text) };
      } catch (err) {
        return { problem: `not JSON (${(err as Error).message})` };
      }
  }
}

/** The mapping a header implies when none is given (see `CsvMapping`). */
function defaultMapping(header: readonly string[]): CsvMapping {
  const input: Record<string, ColumnRef> = {};
  for (const column of header) {
    if (RESERVED_COLUMNS.has(column)) continue;
    input[column.startsWith('input.') ? column.slice('input.'.length) : column] = column;
  }
  const field = (name: string) => (header.includes(name) ? name : undefined);
  return {
    id: field('id'),
    input,
    expected: field('expected'),
    split: field('split'),
    sourceRunId: field('sourceRunId'),
    sourceNodeId: field('sourceNodeId'),
    metadata: header.includes('metadata') ? ['metadata'] : [],
  };
}

/** A metadata column's reference: the column named `metadata` is JSON unless told otherwise. */
function metadataRef(ref: ColumnRef): ColumnRef {
  const column = typeof ref === 'string' ? ref : ref.column;
  return column === 'metadata' ? { column, as: typeof ref === 'string' ? 'json' : (ref.as ?? 'json') } : ref;
}

/**
 * CSV with a header line: each later record is an item, its columns taken as the mapping says (`CsvMapping`).
 * Mapping problems (a column the header does not have) name `body.mapping...`; cell problems name line and column. An
 * empty cell is no value: an input left out, no expected value, no split.
 */
export function itemsFromCsv(text: string, mapping?: CsvMapping): Parsed | { mappingProblems: ImportProblem[] } {
  let records: ReturnType<typeof parseCsv>;
  try {
    records = parseCsv(text);
  } catch (err) {
    if (err instanceof CsvSyntaxError) return { problems: [{ line: err.line, message: err.message }] };
    throw err;
  }
  const [headerRecord, ...rows] = records;
  if (!headerRecord) return { problems: [{ line: 1, message: 'the file is empty: it needs a header line' }] };
  const header = headerRecord.cells.map((name) => name.trim());
  const duplicate = header.find((name, index) => header.indexOf(name) !== index);
  if (duplicate !== undefined) {
    return { problems: [{ line: headerRecord.line, column: duplicate, message: 'two columns have this name' }] };
  }
  const chosen = mapping ?? defaultMapping(header);
  const mappingProblems: ImportProblem[] = [];
  const columnOf = (ref: ColumnRef | undefined, field: string, as?: ColumnType) => {
    if (ref === undefined || ref === '') return undefined;
    const resolved = refOf(ref, as);
    const index = header.indexOf(resolved.column);
    if (index < 0) {
      mappingProblems.push({
        line: headerRecord.line,
        column: field,
        message: `the header has no column "${resolved.column}" (it has ${header.join(', ')})`,
      });
      return undefined;
    }
    return { ...resolved, index };
  };
  const id = columnOf(chosen.id, 'mapping.id');
  const expected = columnOf(chosen.expected, 'mapping.expected');
  const split = columnOf(chosen.split, 'mapping.split');
  const sourceRunId = columnOf(chosen.sourceRunId, 'mapping.sourceRunId');
  const sourceNodeId = columnOf(chosen.sourceNodeId, 'mapping.sourceNodeId');
  const inputs = Object.entries(chosen.input ?? {}).map(([name, ref]) => ({
    name,
    column: columnOf(ref, `mapping.input.${name}`),
  }));
  const metadata = (chosen.metadata ?? []).map((ref, i) => columnOf(metadataRef(ref), `mapping.metadata.${i}`));
  if (inputs.length === 0) {
    mappingProblems.push({ line: headerRecord.line, column: 'mapping.input', message: 'no column is an input' });
  }
  if (mappingProblems.length > 0) return { mappingProblems };

  const items: { line: number; draft: ItemDraft }[] = [];
  const problems: ImportProblem[] = [];
  for (const { line, cells } of rows) {
    if (cells.length !== header.length) {
      problems.push({ line, message: `has ${cells.length} fields, the header ${header.length}` });
      continue;
    }
    const before = problems.length;
    const read = (ref: { column: string; as: ColumnType; index: number } | undefined) => {
      if (!ref) return undefined;
      const text = cells[ref.index] as string;
      if (text === '') return undefined;
      const cell = readCell(text, ref.as);
      if ('problem' in cell) {
        problems.push({ line, column: ref.column, message: cell.problem });
        return undefined;
      }
      return cell.value;
    };
    const input: Values = {};
    for (const { name, column } of inputs) {
      const value = read(column);
      if (value !== undefined) input[name] = value;
    }
    const raw: Record<string, unknown> = { input };
    const idValue = read(id && { ...id, as: 'text' });
    if (idValue !== undefined) raw.id = idValue;
    const expectedValue = read(expected);
    if (expectedValue !== undefined) raw.expected = expectedValue;
    const splitValue = read(split && { ...split, as: 'text' });
    if (splitValue !== undefined) raw.split = splitValue;
    for (const [field, ref] of [
      ['sourceRunId', sourceRunId],
      ['sourceNodeId', sourceNodeId],
    ] as const) {
      const value = read(ref && { ...ref, as: 'text' });
      if (value !== undefined) raw[field] = value;
    }
    const meta: Record<string, unknown> = {};
    for (const ref of metadata) {
      const value = read(ref);
      if (value === undefined || !ref) continue;
      // A JSON column holding an object spreads it; any other column is one key.
      if (ref.as === 'json' && isObject(value)) Object.assign(meta, value);
      else meta[ref.column] = value;
    }
    if (Object.keys(meta).length > 0) raw.metadata = meta;
    // A field's problem is the column's it came from.
    const columnOfField: Record<string, string | undefined> = {
      id: id?.column,
      split: split?.column,
      sourceRunId: sourceRunId?.column,
      sourceNodeId: sourceNodeId?.column,
    };
    const found = itemProblems(raw, line).map((p) => ({
      ...p,
      column: (p.column !== undefined && columnOfField[p.column]) || p.column,
    }));
    problems.push(...found);
    if (problems.length === before) items.push({ line, draft: draftOf(raw) });
  }
  if (problems.length === 0 && items.length === 0) {
    problems.push({ line: headerRecord.line, message: 'the file has a header and no items' });
  }
  return problems.length > 0 ? { problems } : { items, idColumn: id?.column ?? 'id' };
}
