import { useEditor } from '../../store/index';
import type { RightTab } from '../../store/ui-slice';

/** Focuses an element once React has drawn the tab just chosen. */
function focusSoon(find: () => HTMLElement | null) {
  requestAnimationFrame(() => find()?.focus());
}

/**
 * The editor's first Tab stops, shown only when focused: straight to the canvas (its first node), the inspector or
 * the run panel, past the top bar and the palette.
 */
export function SkipLinks() {
  const setRightTab = useEditor((s) => s.setRightTab);
  const toPanel = (tab: RightTab) => {
    setRightTab(tab);
    focusSoon(() => document.getElementById(`right-panel-${tab}`));
  };
  const toCanvas = () =>
    focusSoon(
      () =>
        document.querySelector<HTMLElement>('.react-flow__node[tabindex="0"]') ??
        document.querySelector<HTMLElement>('[data-testid="canvas"]'),
    );
  return (
    <div className="skip-links">
      <button type="button" className="skip-link" onClick={toCanvas} data-testid="skip-canvas">
        Skip to canvas
      </button>
      <button type="button" className="skip-link" onClick={() => toPanel('inspect')} data-testid="skip-inspector">
        Skip to inspector
      </button>
      <button type="button" className="skip-link" onClick={() => toPanel('run')} data-testid="skip-run">
        Skip to run panel
      </button>
    </div>
  );
}
