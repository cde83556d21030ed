import type { FlowDiffAnswer } from '@flowloom/nodes/spec';
import { timeAgo } from '../ui/format';
import type { PublishedSummary } from './api';
import { DiffView } from './DiffView';

/** "Versions": the published versions, newest (live) first, with diffs and rollback; the diff on show below. */
export function VersionList({
  versions,
  diff,
  isBusy,
  onDiff,
  onRollback,
}: {
  versions: PublishedSummary[];
  diff: FlowDiffAnswer | null;
  isBusy: boolean;
  onDiff: (from: string, to: string) => void;
  onRollback: (version: number) => void;
}) {
  return (
    <section>
      <h3>Versions</h3>
      {versions.length === 0 ? (
        <p className="muted">Not published yet.</p>
      ) : (
        <table className="publish-versions" data-testid="versions">
          {/* For screen readers; the look is the list's own. */}
          <thead className="sr-only">
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Published</th>
              <th scope="col">Note</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {versions.map((v, i) => (
              <tr key={v.version} data-testid={`version-${v.version}`}>
                <th scope="row">
                  <strong>v{v.version}</strong>
                  {i === 0 && <span className="badge">live</span>}
                </th>
                <td className="muted">{timeAgo(v.publishedAt)}</td>
                <td>
                  {v.note ?? ''}
                  {v.rollbackOf !== null && <span className="muted"> (rollback of v{v.rollbackOf})</span>}
                </td>
                <td className="publish-actions">
                  <button
                    type="button"
                    className="btn btn-ghost btn-sm"
                    onClick={() => onDiff(String(v.version), 'draft')}
                    data-testid={`diff-draft-${v.version}`}
                  >
                    Diff with draft
                  </button>
                  {versions[i + 1] && (
                    <button
                      type="button"
                      className="btn btn-ghost btn-sm"
                      onClick={() => onDiff(String(versions[i + 1]?.version), String(v.version))}
                      data-testid={`diff-prev-${v.version}`}
                    >
                      Diff with v{versions[i + 1]?.version}
                    </button>
                  )}
                  {i > 0 && (
                    <button
                      type="button"
                      className="btn btn-sm"
                      onClick={() => {
                        if (!isBusy) onRollback(v.version);
                      }}
                      aria-disabled={isBusy || undefined}
                      data-testid={`rollback-${v.version}`}
                    >
                      Roll back to this
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {diff && <DiffView diff={diff} />}
    </section>
  );
}
