import { useEffect, useId, useState } from 'react';
import { HttpError } from '../api/http';
import { type Dataset, datasetsApi } from './api';

/** The dataset picked last, offered first next time. */
let lastDatasetId: string | null = null;
const NEW = '__new__';

/**
 * "Add to dataset": a run (or one node's span of it) becomes a dataset item, its inputs with the output, or with the
 * correction given as feedback, as `expected`. One click once a dataset is picked; "New dataset…" makes one.
 */
export function AddToDataset({
  runId,
  nodeId,
  expected,
  testId,
}: {
  runId: string;
  nodeId?: string;
  expected: 'output' | 'correction';
  testId?: string;
}) {
  const [datasets, setDatasets] = useState<Dataset[] | null>(null);
  const [picked, setPicked] = useState<string>('');
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null);
  const selectId = useId();
  useEffect(() => {
    datasetsApi
      .list()
      .then((list) => {
        setDatasets(list);
        setPicked(list.some((d) => d.id === lastDatasetId) ? (lastDatasetId as string) : (list[0]?.id ?? NEW));
      })
      .catch(() => setDatasets([]));
  }, []);

  const add = async () => {
    setStatus(null);
    try {
      let id = picked;
      if (id === NEW) {
        const name = window.prompt('Name of the new dataset', expected === 'correction' ? 'Corrections' : 'Examples');
        if (!name) return;
        id = (await datasetsApi.create({ name })).id;
        setDatasets((list) => [...(list ?? []), { id, name } as Dataset]);
        setPicked(id);
      }
      const { dataset } = await datasetsApi.fromRuns(id, { runIds: [runId], expected, ...(nodeId && { nodeId }) });
      lastDatasetId = id;
      setStatus({
        ok: true,
        text: `Added to “${dataset.name}” (${dataset.itemCount} ${dataset.itemCount === 1 ? 'item' : 'items'}).`,
      });
    } catch (err) {
      setStatus({ ok: false, text: err instanceof HttpError ? err.message : String(err) });
    }
  };

  return (
    <div className="add-to-dataset" data-testid={testId ?? 'add-to-dataset'}>
      <label className="sr-only" htmlFor={selectId}>
        Dataset
      </label>
      <select
        id={selectId}
        className="input input-sm"
        value={picked}
        onChange={(e) => setPicked(e.target.value)}
        disabled={datasets === null}
      >
        {(datasets ?? []).map((d) => (
          <option key={d.id} value={d.id}>
            {d.name}
          </option>
        ))}
        <option value={NEW}>New dataset…</option>
      </select>
      <button type="button" className="btn btn-sm" onClick={() => void add()} disabled={datasets === null}>
        {expected === 'correction' ? 'Add correction to dataset' : 'Add to dataset'}
      </button>
      {status ? (
        <span role="status" className={status.ok ? 'muted small' : 'feedback-error small'}>
          {status.text}
        </span>
      ) : null}
    </div>
  );
}
