import { type ChangeEvent, useMemo, useState } from 'react';
import { Field } from '../ui/Field';
import { Modal } from '../ui/Modal';
import { type CsvMapping, datasetsApi } from './api';
import { problemsOf } from './DatasetsPage';

type Role = 'input' | 'expected' | 'id' | 'split' | 'metadata' | 'sourceRunId' | 'sourceNodeId' | 'ignore';
const ROLES: Role[] = ['input', 'expected', 'id', 'split', 'metadata', 'sourceRunId', 'sourceNodeId', 'ignore'];
/** Columns that are an item's field of the same name (a CSV export has them). */
const FIELD_COLUMNS = new Set<Role>(['id', 'expected', 'split', 'metadata', 'sourceRunId', 'sourceNodeId']);

/** The header of a CSV text: its first record's fields (quotes honoured). */
export function csvHeader(text: string): string[] {
  const fields: string[] = [];
  let field = '';
  let isQuoted = false;
  for (let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; i < text.length; i++) {
    const char = text[i] as string;
    if (isQuoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') isQuoted = false;
      else field += char;
    } else if (char === '"') isQuoted = true;
    else if (char === ',') {
      fields.push(field.trim());
      field = '';
    } else if (char === '\n' || char === '\r') break;
    else field += char;
  }
  if (field !== '' || fields.length > 0) fields.push(field.trim());
  return fields;
}

/**
 * The role a column has by default: its name says (`id`, `expected`, `split`, `metadata`, `sourceRunId`,
 * `sourceNodeId`: the columns of a CSV export), else it is an input.
 */
export function defaultRole(column: string): Role {
  return FIELD_COLUMNS.has(column as Role) ? (column as Role) : 'input';
}

/**
 * The mapping `POST .../import` takes for CSV, from each column's role (inputs named by their column). The column
 * named `metadata` is read as JSON (an export writes the metadata object there); other metadata columns as text.
 */
export function mappingOf(roles: Record<string, Role>): CsvMapping {
  const mapping: CsvMapping = { input: {} };
  for (const [column, role] of Object.entries(roles)) {
    if (role === 'input') (mapping.input as Record<string, string>)[column.replace(/^input\./, '')] = column;
    else if (role === 'metadata') {
      const ref = column === 'metadata' ? { column, as: 'json' as const } : column;
      mapping.metadata = [...(mapping.metadata ?? []), ref];
    } else if (role !== 'ignore') mapping[role] = column;
  }
  return mapping;
}

/** Imports a CSV (each column given a role) or JSONL file, all or nothing; a refusal lists every bad line. */
export function ImportDialog({
  datasetId,
  onClose,
  onImported,
}: {
  datasetId: string;
  onClose: () => void;
  onImported: (added: number) => void;
}) {
  const [format, setFormat] = useState<'csv' | 'jsonl'>('csv');
  const [content, setContent] = useState('');
  const [roles, setRoles] = useState<Record<string, Role>>({});
  const [error, setError] = useState<{ message: string; problems: string[] } | null>(null);
  const header = useMemo(() => (format === 'csv' ? csvHeader(content) : []), [format, content]);

  const readFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    if (!file) return;
    setContent(await file.text());
    if (/\.jsonl?$/i.test(file.name)) setFormat('jsonl');
    else if (/\.csv$/i.test(file.name)) setFormat('csv');
  };

  const roleOf = (column: string) => roles[column] ?? defaultRole(column);

  const submit = async () => {
    setError(null);
    try {
      const mapping =
        format === 'csv' ? mappingOf(Object.fromEntries(header.map((column) => [column, roleOf(column)]))) : undefined;
      const { added } = await datasetsApi.importFile(datasetId, { format, content, ...(mapping && { mapping }) });
      onImported(added);
    } catch (err) {
      setError(problemsOf(err));
    }
  };

  return (
    <Modal
      title="Import items"
      onClose={onClose}
      wide
      testId="import-dialog"
      footer={
        <>
          <button type="button" className="btn btn-ghost" onClick={onClose}>
            Cancel
          </button>
          <button
            type="button"
            className="btn btn-primary"
            onClick={() => void submit()}
            disabled={content.trim() === ''}
            data-testid="import-submit"
          >
            Import
          </button>
        </>
      }
    >
      <fieldset className="fieldset-plain">
        <legend className="field-label">Format</legend>
        <label>
          <input type="radio" name="import-format" checked={format === 'csv'} onChange={() => setFormat('csv')} /> CSV
          (a header line, one item per line)
        </label>{' '}
        <label>
          <input type="radio" name="import-format" checked={format === 'jsonl'} onChange={() => setFormat('jsonl')} />{' '}
          JSONL (one item object per line)
        </label>
      </fieldset>
      <Field id="import-file" label="File">
        <input
          id="import-file"
          type="file"
          accept=".csv,.jsonl,.json,text/csv"
          onChange={(e) => void readFile(e)}
          data-testid="import-file"
        />
      </Field>
      <Field id="import-content" label="…or paste its text">
        <textarea
          id="import-content"
          className="input"
          rows={6}
          value={content}
          onChange={(e) => setContent(e.target.value)}
          data-testid="import-content"
        />
      </Field>
      {format === 'csv' && header.length > 0 ? (
        <table className="data-table" data-testid="import-mapping">
          <caption>What each column is</caption>
          <thead>
            <tr>
              <th scope="col">Column</th>
              <th scope="col">Becomes</th>
            </tr>
          </thead>
          <tbody>
            {header.map((column) => (
              <tr key={column}>
                <td>
                  <code>{column}</code>
                </td>
                <td>
                  <select
                    className="input input-sm"
                    aria-label={`Column ${column} becomes`}
                    value={roleOf(column)}
                    onChange={(e) => setRoles((r) => ({ ...r, [column]: e.target.value as Role }))}
                  >
                    {ROLES.map((role) => (
                      <option key={role} value={role}>
                        {role === 'input' ? `input “${column.replace(/^input\./, '')}”` : role}
                      </option>
                    ))}
                  </select>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {error ? (
        <div role="alert" className="callout callout-error" data-testid="import-error">
          {error.message}
          {error.problems.length > 0 ? (
            <ul className="problems-list">
              {error.problems.slice(0, 20).map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </Modal>
  );
}
