import { NODE_CATEGORIES, type NodeSpec } from '@flowloom/nodes/spec';
import { memo, useMemo, useState } from 'react';
import { useEditor } from '../store/index';
import { Icon } from '../ui/icons';
import { categoryMeta } from './colors';
import './palette.css';

export const KIND_MIME = 'application/x-flowloom-kind';

interface Props {
  /** Adds a kind at the centre of the view (double-click or Enter). */
  onAdd: (type: string) => void;
}

/** Node kinds from the catalog, grouped by category, with search. Drag one onto the canvas to add it. */
export const Palette = memo(function Palette({ onAdd }: Props) {
  const kinds = useEditor((s) => s.kinds);
  const [query, setQuery] = useState('');
  const groups = useMemo(() => {
    const q = query.trim().toLowerCase();
    const match = (k: NodeSpec) =>
      !q || k.title.toLowerCase().includes(q) || k.type.includes(q) || k.description.toLowerCase().includes(q);
    const order = [...NODE_CATEGORIES, ...new Set(kinds.map((k) => k.category))];
    return [...new Set(order)]
      .map((category) => ({ category, kinds: kinds.filter((k) => k.category === category && match(k)) }))
      .filter((g) => g.kinds.length > 0);
  }, [kinds, query]);
  return (
    <aside className="palette" aria-label="Node palette">
      <div className="panel-title">Nodes</div>
      <input
        className="input palette-search"
        type="search"
        placeholder="Search nodes…"
        aria-label="Search nodes"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={(e) => {
          const first = groups[0]?.kinds[0];
          if (e.key === 'Enter' && first) onAdd(first.type);
        }}
        data-testid="palette-search"
      />
      <div className="palette-groups">
        {groups.map(({ category, kinds: list }) => {
          const meta = categoryMeta(category);
          return (
            <section key={category} className="palette-group">
              <h3 className="palette-group-title">
                <span className="dot" style={{ background: meta.color }} />
                {meta.label}
              </h3>
              {list.map((kind) => (
                <button
                  key={kind.type}
                  type="button"
                  className="palette-item"
                  draggable
                  data-testid={`palette-item-${kind.type}`}
                  title={`${kind.description}\nDrag onto the canvas, or double-click / Enter to add.`}
                  style={{ ['--cat-color' as string]: meta.color }}
                  onDragStart={(e) => {
                    e.dataTransfer.setData(KIND_MIME, kind.type);
                    e.dataTransfer.effectAllowed = 'move';
                  }}
                  onDoubleClick={() => onAdd(kind.type)}
                  onKeyDown={(e) => {
                    if (e.key === 'Enter' || e.key === ' ') {
                      e.preventDefault();
                      onAdd(kind.type);
                    }
                  }}
                >
                  <span className="palette-glyph" aria-hidden>
                    <Icon name={kind.category} size={15} />
                  </span>
                  <span className="palette-text">
                    <span className="palette-name">{kind.title}</span>
                    <span className="palette-desc">{kind.description}</span>
                  </span>
                </button>
              ))}
            </section>
          );
        })}
        {groups.length === 0 ? <div className="empty-hint">No node matches “{query}”.</div> : null}
      </div>
    </aside>
  );
});
