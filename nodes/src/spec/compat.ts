import type { DataType, Document } from './values.js';

/**
 * Whether an output of type `from` may feed an input of type `to` (docs/contracts.md §2): `any` connects to everything,
 * `text` accepts `number` and `boolean`, and `documents` may feed `text` (joined).
 */
export function canConnect(from: DataType, to: DataType): boolean {
  if (from === to || from === 'any' || to === 'any') return true;
  if (to === 'text') return from === 'number' || from === 'boolean' || from === 'documents';
  return false;
}

/** Why `from` cannot feed `to`, for the editor's drag hint and validation messages; null when it can. */
export function connectProblem(from: DataType, to: DataType): string | null {
  return canConnect(from, to) ? null : `a ${from} output cannot feed a ${to} input`;
}

/** Converts a value crossing an edge from `from` to `to`, per the compatibility rules above. */
export function coerce(value: unknown, from: DataType, to: DataType): unknown {
  if (to !== 'text' || from === 'text' || value === undefined || value === null) return value;
  if (from === 'documents' && Array.isArray(value)) return joinDocuments(value as Document[]);
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Joins documents into one text, separated by blank lines. */
export function joinDocuments(documents: readonly Document[]): string {
  return documents.map((doc) => doc.text).join('\n\n');
}
