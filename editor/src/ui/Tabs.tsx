import type { HTMLAttributes, KeyboardEvent, ReactNode } from 'react';

export interface TabItem<T extends string> {
  id: T;
  label: ReactNode;
  testId?: string;
}

const tabId = (idBase: string, id: string) => `${idBase}-tab-${id}`;
const panelId = (idBase: string, id: string) => `${idBase}-panel-${id}`;

const MOVES: Record<string, (index: number, count: number) => number> = {
  ArrowRight: (i, n) => (i + 1) % n,
  ArrowLeft: (i, n) => (i - 1 + n) % n,
  Home: () => 0,
  End: (_, n) => n - 1,
};

interface ListProps<T extends string> {
  /** Prefix of the tab and panel ids, unique on the page. */
  idBase: string;
  label: string;
  tabs: readonly TabItem<T>[];
  selected: T;
  onSelect: (id: T) => void;
  className?: string;
}

/**
 * A tab list (WAI-ARIA tabs): one Tab stop, the selected tab; the arrow keys, Home and End move to another tab and
 * show its panel (`TabPanel` with the same `idBase`).
 */
export function TabList<T extends string>({ idBase, label, tabs, selected, onSelect, className }: ListProps<T>) {
  const onKeyDown = (e: KeyboardEvent<HTMLButtonElement>, index: number) => {
    const move = MOVES[e.key];
    const next = move ? tabs[move(index, tabs.length)] : undefined;
    if (!next) return;
    e.preventDefault();
    onSelect(next.id);
    const buttons = e.currentTarget.parentElement?.querySelectorAll<HTMLElement>('[role="tab"]');
    buttons?.[tabs.indexOf(next)]?.focus();
  };
  return (
    <div role="tablist" aria-label={label} className={className}>
      {tabs.map((tab, index) => {
        const isSelected = tab.id === selected;
        return (
          <button
            key={tab.id}
            type="button"
            role="tab"
            id={tabId(idBase, tab.id)}
            aria-selected={isSelected}
            // Only the selected tab's panel is drawn, and aria-controls must name an element that exists.
            aria-controls={isSelected ? panelId(idBase, tab.id) : undefined}
            tabIndex={isSelected ? 0 : -1}
            onClick={() => onSelect(tab.id)}
            onKeyDown={(e) => onKeyDown(e, index)}
            data-testid={tab.testId}
          >
            {tab.label}
          </button>
        );
      })}
    </div>
  );
}

type PanelProps = HTMLAttributes<HTMLElement> & {
  idBase: string;
  /** The tab this panel belongs to (the selected one). */
  tab: string;
  /** The element to draw: a `pre` keeps a snippet's whitespace. */
  as?: 'div' | 'pre';
  children: ReactNode;
};

/** The panel of the selected tab, named by it. */
export function TabPanel({ idBase, tab, as: Tag = 'div', children, ...rest }: PanelProps) {
  return (
    <Tag role="tabpanel" id={panelId(idBase, tab)} aria-labelledby={tabId(idBase, tab)} {...rest}>
      {children}
    </Tag>
  );
}
