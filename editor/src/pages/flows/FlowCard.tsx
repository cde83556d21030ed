import type { FlowSummary } from '../../api/http';
import { timeAgo } from '../../ui/format';

interface CardProps {
  flow: FlowSummary;
  onRename: () => void;
  onDuplicate: () => void;
  onExport: () => void;
  onDelete: () => void;
}

/** One flow of the list: opens the editor; rename, duplicate, export, delete. */
export function FlowCard({ flow, onRename, onDuplicate, onExport, onDelete }: CardProps) {
  const count = flow.nodeCount ?? flow.nodes?.length;
  return (
    <article className="flow-card" data-testid={`flow-card-${flow.id}`}>
      <a
        className="flow-card-main"
        href={`#/flows/${encodeURIComponent(flow.id)}`}
        data-testid={`open-flow-${flow.id}`}
      >
        <span className="flow-card-name">{flow.name}</span>
        <code className="flow-card-id">{flow.id}</code>
        <span className="flow-card-desc" title={flow.description || undefined}>
          {flow.description || 'No description'}
        </span>
        <span className="flow-card-meta">
          {[
            count !== undefined ? `${count} nodes` : '',
            flow.version ? `v${flow.version}` : '',
            timeAgo(flow.updatedAt),
          ]
            .filter(Boolean)
            .join(' · ')}
        </span>
      </a>
      <div className="flow-card-actions">
        <button type="button" className="btn btn-ghost btn-sm" onClick={onRename} data-testid={`rename-${flow.id}`}>
          Rename
        </button>
        <button
          type="button"
          className="btn btn-ghost btn-sm"
          onClick={onDuplicate}
          data-testid={`duplicate-${flow.id}`}
        >
          Duplicate
        </button>
        <button type="button" className="btn btn-ghost btn-sm" onClick={onExport} data-testid={`export-${flow.id}`}>
          Export
        </button>
        <button
          type="button"
          className="btn btn-ghost btn-sm danger"
          onClick={onDelete}
          data-testid={`delete-${flow.id}`}
        >
          Delete
        </button>
      </div>
    </article>
  );
}
