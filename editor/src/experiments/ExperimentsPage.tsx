import { useEffect, useState } from 'react';
import { timeAgo } from '../ui/format';
import { PageHeader } from '../ui/PageHeader';
import { useDocumentTitle } from '../ui/use-document-title';
import { type Experiment, experimentsApi } from './api';
import { ExperimentDetail } from './ExperimentDetail';
import { NewExperiment } from './NewExperiment';
import '../ui/page.css';
import '../ui/data-page.css';

/** The dataset named in `#/experiments?dataset=<id>` (the dataset page's "New experiment…"). */
function datasetFromHash(): string | undefined {
  const match = /[?&]dataset=([^&#]+)/.exec(window.location.hash);
  return match?.[1] ? decodeURIComponent(match[1]) : undefined;
}

/** Experiments: the list and a new one (`#/experiments`), or one experiment (`#/experiments/:id`). */
export function ExperimentsPage({ experimentId }: { experimentId?: string }) {
  return (
    <div className="flows-page" data-testid="experiments-page">
      <PageHeader
        crumbs={[{ label: 'Experiments', href: '#/experiments' }, ...(experimentId ? [{ label: experimentId }] : [])]}
      />
      <main className="data-main">
        {experimentId ? <ExperimentDetail key={experimentId} id={experimentId} /> : <ExperimentList />}
      </main>
    </div>
  );
}

function ExperimentList() {
  const [experiments, setExperiments] = useState<Experiment[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [isCreating, setCreating] = useState(() => datasetFromHash() !== undefined);
  useDocumentTitle('Experiments');
  useEffect(() => {
    experimentsApi
      .list()
      .then(setExperiments)
      .catch((err: Error) => setError(err.message));
  }, []);
  return (
    <>
      <h1>Experiments</h1>
      <p className="muted">
        Run a dataset through flow versions, score every answer with evaluators, and compare versions item by item.
      </p>
      <div className="data-toolbar">
        <button
          type="button"
          className="btn btn-primary"
          aria-expanded={isCreating}
          onClick={() => setCreating((open) => !open)}
          data-testid="new-experiment"
        >
          New experiment
        </button>
      </div>
      {isCreating ? <NewExperiment initialDatasetId={datasetFromHash()} /> : null}
      {error ? (
        <div role="alert" className="callout callout-error">
          {error}
        </div>
      ) : null}
      {experiments?.length === 0 ? <p className="muted">No experiments yet.</p> : null}
      {experiments && experiments.length > 0 ? (
        <table className="data-table" data-testid="experiments-table">
          <caption>{experiments.length} experiments, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">Dataset</th>
              <th scope="col">Targets</th>
              <th scope="col" className="num">
                Done
              </th>
              <th scope="col" className="num">
                Errors
              </th>
              <th scope="col">Started</th>
            </tr>
          </thead>
          <tbody>
            {experiments.map((x) => (
              <tr key={x.experimentId} data-testid={`experiment-row-${x.experimentId}`}>
                <td>
                  <a href={`#/experiments/${encodeURIComponent(x.experimentId)}`}>{x.name ?? x.experimentId}</a>
                </td>
                <td>
                  <span className={`pill status-${x.status}`}>{x.status}</span>
                </td>
                <td>
                  <a href={`#/datasets/${encodeURIComponent(x.datasetId)}`}>{x.datasetId}</a>
                  {x.split ? ` (${x.split})` : ''}
                </td>
                <td>{x.targets.map(targetLabel).join(' · ')}</td>
                <td className="num">
                  {x.progress.done} / {x.progress.total}
                </td>
                <td className="num">{x.progress.errors}</td>
                <td className="muted">{timeAgo(x.startedAt ?? x.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </>
  );
}

/** `support v2`, `support draft`. */
export function targetLabel(target: { flowId: string; version: 'draft' | number }): string {
  return `${target.flowId} ${target.version === 'draft' ? 'draft' : `v${target.version}`}`;
}
