import type { FlowDiffAnswer, ValueChange } from '@flowloom/nodes/spec';
import { preview } from '../ui/format';

function Change({ change }: { change: ValueChange }) {
  if (change.change === 'added')
    return (
      <span className="diff-add">
        + {change.name} = {preview(change.to, 80)}
      </span>
    );
  if (change.change === 'removed')
    return (
      <span className="diff-del">
        − {change.name} (was {preview(change.from, 80)})
      </span>
    );
  return (
    <span className="diff-chg">
      ~ {change.name}: {preview(change.from, 60)} → {preview(change.to, 60)}
    </span>
  );
}

/** What changed between two versions: nodes, edges, params, and whether the behaviour is the same. */
export function DiffView({ diff }: { diff: FlowDiffAnswer }) {
  const label = (ref: string) =>
    ref === 'draft' ? 'the draft' : ref.startsWith('draft:') ? `draft v${ref.slice(6)}` : `v${ref}`;
  if (diff.isEmpty) {
    return (
      <p className="muted" data-testid="diff-empty">
        No differences between {label(diff.from)} and {label(diff.to)}.
      </p>
    );
  }
  const changed = diff.nodes.changed.filter((c) => c.type || c.params.length > 0 || c.settings.length > 0);
  const moved = diff.nodes.changed.filter(
    (c) => c.isMoved && !c.type && c.params.length === 0 && c.settings.length === 0,
  );
  return (
    <div className="publish-diff" data-testid="diff">
      <p className="muted">
        From {label(diff.from)} to {label(diff.to)}
        {diff.isSameBehaviour ? ': same behaviour (layout or descriptions only).' : '.'}
      </p>
      <ul>
        {diff.nodes.added.map((n) => (
          <li key={`a-${n.nodeId}`} className="diff-add">
            + node {n.nodeId} ({n.type})
          </li>
        ))}
        {diff.nodes.removed.map((n) => (
          <li key={`r-${n.nodeId}`} className="diff-del">
            − node {n.nodeId} ({n.type})
          </li>
        ))}
        {changed.map((c) => (
          <li key={`c-${c.nodeId}`}>
            ~ node {c.nodeId}
            {c.type && ` (kind ${c.type.from} → ${c.type.to})`}
            <ul>
              {[...c.params, ...c.settings].map((p) => (
                <li key={p.name}>
                  <Change change={p} />
                </li>
              ))}
            </ul>
          </li>
        ))}
        {diff.edges.added.map((e) => (
          <li key={`ea-${e.id}`} className="diff-add">
            + edge {e.source}.{e.sourcePort} → {e.target}.{e.targetPort}
          </li>
        ))}
        {diff.edges.removed.map((e) => (
          <li key={`er-${e.id}`} className="diff-del">
            − edge {e.source}.{e.sourcePort} → {e.target}.{e.targetPort}
          </li>
        ))}
        {diff.fields.map((f) => (
          <li key={`f-${f.name}`}>
            <Change change={f} />
          </li>
        ))}
        {moved.length > 0 && <li className="muted">{moved.length} node(s) moved</li>}
      </ul>
    </div>
  );
}
