import { NODE_CATEGORIES, searchKinds } from '@flowloom/nodes/spec';
import { type KeyboardEvent, memo, useMemo, useRef, useState } from 'react';
import { useEditor } from '../store/index';
import { Icon } from '../ui/icons';
import { categoryMeta } from './colors';
import './palette.css';

export const KIND_MIME = 'application/x-flowloom-kind';

interface Props {
  /** Adds a kind at the centre of the view (double-click or Enter). */
  onAdd: (type: string) => void;
}

const MOVES: Record<string, (index: number, count: number) => number> = {
  ArrowDown: (i, n) => Math.min(i + 1, n - 1),
  ArrowUp: (i) => Math.max(i - 1, 0),
  Home: () => 0,
  End: (_, n) => n - 1,
};

/**
 * Node kinds from the catalog, grouped by category, with search. Drag one onto the canvas to add it, or press Enter
 * on it. The kinds are one Tab stop (a vertical toolbar: arrow keys, Home and End move), so Tab gets past the palette
 * to the canvas at once; ArrowDown in the search box goes to the first kind.
 */
export const Palette = memo(function Palette({ onAdd }: Props) {
  const kinds = useEditor((s) => s.kinds);
  const [query, setQuery] = useState('');
  const [current, setCurrent] = useState<string | null>(null);
  const list = useRef<HTMLDivElement>(null);
  const groups = useMemo(() => {
    // Best match first: with a query, the groups follow their best kind (so Enter adds the best match overall).
    const hits = searchKinds(kinds, query);
    const order = query.trim() ? hits.map((k) => k.category) : [...NODE_CATEGORIES, ...kinds.map((k) => k.category)];
    return [...new Set(order)]
      .map((category) => ({ category, kinds: hits.filter((k) => k.category === category) }))
      .filter((g) => g.kinds.length > 0);
  }, [kinds, query]);
  const shown = groups.flatMap((g) => g.kinds.map((k) => k.type));
  // The kind that holds the toolbar's Tab stop: the last one focused while it is shown, else the first.
  const stop = current !== null && shown.includes(current) ? current : shown[0];

  const focusKind = (index: number) => {
    const type = shown[index];
    if (type === undefined) return;
    setCurrent(type);
    list.current?.querySelector<HTMLElement>(`[data-testid="palette-item-${type}"]`)?.focus();
  };
  const onItemKey = (e: KeyboardEvent<HTMLButtonElement>, type: string) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      onAdd(type);
      return;
    }
    const move = MOVES[e.key];
    if (!move) return;
    e.preventDefault();
    focusKind(move(shown.indexOf(type), shown.length));
  };
  return (
    <aside className="palette" aria-labelledby="palette-heading">
      <h2 id="palette-heading" className="panel-title">
        Nodes
      </h2>
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
          else if (e.key === 'ArrowDown') {
            e.preventDefault();
            focusKind(0);
          }
        }}
        data-testid="palette-search"
      />
      <div
        className="palette-groups"
        role="toolbar"
        aria-orientation="vertical"
        aria-label="Node kinds: Enter adds one to the canvas"
        ref={list}
      >
        {groups.map(({ category, kinds: list }) => {
          const meta = categoryMeta(category);
          return (
            <section key={category} className="palette-group">
              <h3 className="palette-group-title">
                <span className="dot" style={{ background: meta.color }} aria-hidden />
                {meta.label}
              </h3>
              {list.map((kind) => (
                <button
                  key={kind.type}
                  type="button"
                  className="palette-item"
                  draggable
                  tabIndex={kind.type === stop ? 0 : -1}
                  data-testid={`palette-item-${kind.type}`}
                  title={`${kind.description}\nDrag onto the canvas, or double-click / Enter to add.`}
                  style={{ ['--cat-color' as string]: meta.color }}
                  onDragStart={(e) => {
                    e.dataTransfer.setData(KIND_MIME, kind.type);
                    e.dataTransfer.effectAllowed = 'move';
                  }}
                  onDoubleClick={() => onAdd(kind.type)}
                  onFocus={() => setCurrent(kind.type)}
                  onKeyDown={(e) => onItemKey(e, kind.type)}
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
