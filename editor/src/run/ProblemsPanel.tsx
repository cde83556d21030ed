import { useReactFlow } from '@xyflow/react';
import { useEditor } from '../store/index';
import './problems.css';

/** Static problems of the flow; a click selects the node concerned and centres it. */
export function ProblemsPanel() {
  const problems = useEditor((s) => s.problems);
  const selectOnly = useEditor((s) => s.selectOnly);
  const { fitView } = useReactFlow();
  if (problems.length === 0) {
    return (
      <div className="muted small pad" data-testid="problems-empty">
        ✓ No problems: the flow is valid.
      </div>
    );
  }
  return (
    <div className="problems" data-testid="problems-list">
      {problems.map((p) => (
        <button
          type="button"
          key={`${p.nodeId}-${p.port}-${p.edgeId}-${p.message}`}
          className="problem-item"
          onClick={() => {
            if (!p.nodeId) return;
            selectOnly(p.nodeId);
            void fitView({ nodes: [{ id: p.nodeId }], duration: 250, maxZoom: 1.2 });
          }}
        >
          <span className="problem-icon" aria-hidden>
            !
          </span>
          <span>{p.message}</span>
          <span className="spacer" />
          {p.nodeId ? (
            <code className="muted small">
              {p.nodeId}
              {p.port ? `.${p.port}` : ''}
            </code>
          ) : null}
        </button>
      ))}
    </div>
  );
}
