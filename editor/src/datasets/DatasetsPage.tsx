import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { HttpError } from '../api/http';
import { Field } from '../ui/Field';
import { preview, timeAgo } from '../ui/format';
import { PageHeader } from '../ui/PageHeader';
import { navigate } from '../ui/router';
import { useDocumentTitle } from '../ui/use-document-title';
import { type Dataset, type DatasetItem, datasetsApi, type FineTuningFormat } from './api';
import { ImportDialog } from './ImportDialog';
import { ItemDialog } from './ItemDialog';
import '../ui/page.css';
import '../ui/data-page.css';

/** Datasets: the list and a new one (`#/datasets`), or one dataset's items (`#/datasets/:id`). */
export function DatasetsPage({ datasetId }: { datasetId?: string }) {
  return (
    <div className="flows-page" data-testid="datasets-page">
      <PageHeader crumbs={[{ label: 'Datasets', href: '#/datasets' }, ...(datasetId ? [{ label: datasetId }] : [])]} />
      <main className="data-main">{datasetId ? <DatasetDetail id={datasetId} /> : <DatasetList />}</main>
    </div>
  );
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function DatasetList() {
  const [datasets, setDatasets] = useState<Dataset[] | null>(null);
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  useDocumentTitle('Datasets');
  useEffect(() => {
    datasetsApi
      .list()
      .then(setDatasets)
      .catch((err) => setError(errorText(err)));
  }, []);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const created = await datasetsApi.create({ name: name.trim() });
      navigate({ page: 'datasets', datasetId: created.id });
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <>
      <h1>Datasets</h1>
      <p className="muted">
        Inputs of your flows with what a good answer is. Experiments run flows on them; add items from runs and from
        corrections, or import CSV and JSONL files.
      </p>
      <form className="data-form" onSubmit={create}>
        <Field id="dataset-name" label="New dataset">
          <input
            id="dataset-name"
            className="input"
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="e.g. support questions"
            required
            maxLength={200}
            data-testid="dataset-name"
          />
        </Field>
        <button type="submit" className="btn btn-primary" disabled={name.trim() === ''} data-testid="create-dataset">
          Create dataset
        </button>
      </form>
      {error ? (
        <div role="alert" className="callout callout-error">
          {error}
        </div>
      ) : null}
      {datasets?.length === 0 ? <p className="muted">No datasets yet.</p> : null}
      {datasets && datasets.length > 0 ? (
        <table className="data-table" data-testid="datasets-table">
          <caption>{datasets.length} datasets</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Id</th>
              <th scope="col" className="num">
                Items
              </th>
              <th scope="col" className="num">
                Revision
              </th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {datasets.map((d) => (
              <tr key={d.id} data-testid={`dataset-row-${d.id}`}>
                <td>
                  <a href={`#/datasets/${encodeURIComponent(d.id)}`}>{d.name}</a>
                </td>
                <td>
                  <code className="muted">{d.id}</code>
                </td>
                <td className="num">{d.itemCount}</td>
                <td className="num">{d.revision}</td>
                <td className="muted">{timeAgo(d.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </>
  );
}

/** Saves text as a file through the browser. */
function download(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  URL.revokeObjectURL(url);
}

type Dialog = { kind: 'import' } | { kind: 'item'; item?: DatasetItem } | null;

/** The fine-tuning files a dataset exports to: the button, and how its counts read. */
const FINE_TUNING_EXPORTS: readonly {
  format: FineTuningFormat;
  label: string;
  title: string;
  made: string;
  left: string;
}[] = [
  {
    format: 'openai-sft',
    label: 'Export for fine-tuning',
    title: "OpenAI supervised fine-tuning JSONL: each item's input as the user turn, its expected output as the answer",
    made: 'fine-tuning examples',
    left: 'without an expected output',
  },
  {
    format: 'openai-dpo',
    label: 'Export DPO pairs',
    title:
      "OpenAI DPO preference pairs: each item taken from a run whose expected output corrects the run's answer, on " +
      'the messages the model was sent',
    made: 'preference pairs',
    left: 'without a run answer they correct',
  },
];

function DatasetDetail({ id }: { id: string }) {
  const [dataset, setDataset] = useState<Dataset | null>(null);
  const [items, setItems] = useState<DatasetItem[]>([]);
  const [cursor, setCursor] = useState<string | undefined>();
  const [error, setError] = useState<string | null>(null);
  const [dialog, setDialog] = useState<Dialog>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [fineTuning, setFineTuning] = useState<string | null>(null);
  useDocumentTitle(dataset ? `Dataset ${dataset.name}` : 'Dataset');

  const reload = useCallback(async () => {
    try {
      const [next, page] = await Promise.all([datasetsApi.get(id), datasetsApi.items(id)]);
      setDataset(next);
      setItems(page.items);
      setCursor(page.cursor);
      setError(null);
    } catch (err) {
      setError(errorText(err));
    }
  }, [id]);
  useEffect(() => {
    void reload();
  }, [reload]);

  const more = async () => {
    const page = await datasetsApi.items(id, cursor);
    setItems((list) => [...list, ...page.items]);
    setCursor(page.cursor);
  };

  const removeItem = async (item: DatasetItem) => {
    if (!window.confirm(`Delete item “${item.id}”?`)) return;
    try {
      await datasetsApi.removeItem(id, item.id);
      setStatus(`Deleted item ${item.id}.`);
      await reload();
    } catch (err) {
      setError(errorText(err));
    }
  };

  const removeDataset = async () => {
    if (!window.confirm(`Delete dataset “${dataset?.name}” and its ${dataset?.itemCount} items?`)) return;
    try {
      await datasetsApi.remove(id);
      navigate({ page: 'datasets' });
    } catch (err) {
      setError(errorText(err));
    }
  };

  const exportAs = async (format: 'jsonl' | 'csv') => {
    try {
      const text = await datasetsApi.exportFile(id, format);
      download(`${id}.${format}`, text, format === 'csv' ? 'text/csv' : 'application/x-ndjson');
    } catch (err) {
      setError(errorText(err));
    }
  };

  const exportForFineTuning = async ({ format, made, left }: (typeof FINE_TUNING_EXPORTS)[number]) => {
    setFineTuning(null);
    try {
      const file = await datasetsApi.exportFineTuning(id, format);
      download(`${id}-${format}.jsonl`, file.text, 'application/jsonl');
      setError(null);
      setFineTuning(
        `${file.examples} ${made}, ${file.tokens.toLocaleString()} tokens` +
          (file.skipped > 0 ? `; ${file.skipped} item(s) ${left} left out` : ''),
      );
    } catch (err) {
      setError(errorText(err));
    }
  };

  if (error && !dataset) {
    return (
      <div role="alert" className="callout callout-error">
        {error}
      </div>
    );
  }
  if (!dataset) return <p className="muted">Loading…</p>;
  return (
    <>
      <h1 data-testid="dataset-title">{dataset.name}</h1>
      <p className="muted" data-testid="dataset-meta">
        {dataset.itemCount} items · revision {dataset.revision} · updated {timeAgo(dataset.updatedAt)}
        {dataset.description ? ` · ${dataset.description}` : ''}
      </p>
      <div className="data-toolbar">
        <button
          type="button"
          className="btn btn-primary"
          onClick={() => setDialog({ kind: 'item' })}
          data-testid="add-item"
        >
          Add item
        </button>
        <button type="button" className="btn" onClick={() => setDialog({ kind: 'import' })} data-testid="import-items">
          Import CSV or JSONL
        </button>
        <button
          type="button"
          className="btn btn-ghost"
          onClick={() => void exportAs('jsonl')}
          data-testid="export-jsonl"
        >
          Export JSONL
        </button>
        <button type="button" className="btn btn-ghost" onClick={() => void exportAs('csv')} data-testid="export-csv">
          Export CSV
        </button>
        {FINE_TUNING_EXPORTS.map((file) => (
          <button
            key={file.format}
            type="button"
            className="btn btn-ghost"
            onClick={() => void exportForFineTuning(file)}
            title={file.title}
            data-testid={`export-${file.format}`}
          >
            {file.label}
          </button>
        ))}
        <a className="btn btn-ghost" href={`#/experiments?dataset=${encodeURIComponent(id)}`}>
          New experiment…
        </a>
        <span className="spacer" />
        <button
          type="button"
          className="btn btn-danger"
          onClick={() => void removeDataset()}
          data-testid="delete-dataset"
        >
          Delete dataset
        </button>
      </div>
      {error ? (
        <div role="alert" className="callout callout-error">
          {error}
        </div>
      ) : null}
      <div role="status" className="sr-only">
        {status}
      </div>
      {fineTuning ? (
        <p role="status" className="muted" data-testid="dataset-finetune-counts">
          {fineTuning}
        </p>
      ) : null}
      {items.length === 0 ? (
        <p className="muted">No items yet: add one, import a file, or use “Add to dataset” on a run or a span.</p>
      ) : (
        <table className="data-table" data-testid="items-table">
          <caption>
            Items of {dataset.name}, in the order they were added ({items.length} of {dataset.itemCount} shown)
          </caption>
          <thead>
            <tr>
              <th scope="col">Id</th>
              <th scope="col">Input</th>
              <th scope="col">Expected</th>
              <th scope="col">Split</th>
              <th scope="col">Source</th>
              <th scope="col" className="actions">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((item) => (
              <tr key={item.id} data-testid={`item-row-${item.id}`}>
                <td>
                  <code>{item.id}</code>
                </td>
                <td className="cell-text">{preview(item.input, 160)}</td>
                <td className="cell-text">{item.expected === undefined ? '—' : preview(item.expected, 160)}</td>
                <td>{item.split ?? ''}</td>
                <td className="muted small">
                  {item.sourceRunId ? (
                    <code>
                      {item.sourceRunId}
                      {item.sourceNodeId ? ` · ${item.sourceNodeId}` : ''}
                    </code>
                  ) : (
                    ''
                  )}
                </td>
                <td className="actions">
                  <button
                    type="button"
                    className="btn btn-ghost btn-sm"
                    onClick={() => setDialog({ kind: 'item', item })}
                    aria-label={`Edit item ${item.id}`}
                  >
                    Edit
                  </button>
                  <button
                    type="button"
                    className="btn btn-ghost btn-sm"
                    onClick={() => void removeItem(item)}
                    aria-label={`Delete item ${item.id}`}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {cursor ? (
        <button type="button" className="btn" onClick={() => void more()}>
          Load more items
        </button>
      ) : null}
      {dialog?.kind === 'import' ? (
        <ImportDialog
          datasetId={id}
          onClose={() => setDialog(null)}
          onImported={(added) => {
            setDialog(null);
            setStatus(`Imported ${added} items.`);
            void reload();
          }}
        />
      ) : null}
      {dialog?.kind === 'item' ? (
        <ItemDialog
          datasetId={id}
          item={dialog.item}
          onClose={() => setDialog(null)}
          onSaved={() => {
            setDialog(null);
            setStatus('Item saved.');
            void reload();
          }}
        />
      ) : null}
    </>
  );
}

/** The message and every problem of a refused import or item, for a list. */
export function problemsOf(err: unknown): { message: string; problems: string[] } {
  if (!(err instanceof HttpError)) return { message: errorText(err), problems: [] };
  const details = (err.body.details ?? []) as { line?: number; column?: string; field?: string; message: string }[];
  return {
    message: err.message,
    problems: details.map((d) =>
      d.line !== undefined
        ? `Line ${d.line}${d.column ? `, ${d.column}` : ''}: ${d.message}`
        : `${d.field ?? ''} ${d.message}`.trim(),
    ),
  };
}
