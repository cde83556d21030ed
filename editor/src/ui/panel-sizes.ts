/** The editor's three resizable panels and their sizes in pixels: widths of the palette and the right panel, height of
 *  the bottom panel. */
export type Panel = 'palette' | 'right' | 'bottom';
export type PanelSizes = Record<Panel, number>;

export const DEFAULT_PANEL_SIZES: PanelSizes = { palette: 252, right: 340, bottom: 300 };

/** The smallest and largest size of each panel: the canvas always keeps most of the window. */
export const PANEL_LIMITS: Record<Panel, { min: number; max: number }> = {
  palette: { min: 180, max: 480 },
  right: { min: 280, max: 720 },
  bottom: { min: 140, max: 720 },
};

const STORAGE_KEY = 'flowloom-panel-sizes';

/** A size within its panel's limits, in whole pixels. Pure. */
export function clampPanelSize(panel: Panel, size: number): number {
  const { min, max } = PANEL_LIMITS[panel];
  if (!Number.isFinite(size)) return DEFAULT_PANEL_SIZES[panel];
  return Math.round(Math.min(max, Math.max(min, size)));
}

/** Sizes read back from storage: anything missing or not a number is the default, anything else clamped. Pure. */
export function parsePanelSizes(stored: string | null): PanelSizes {
  let raw: Record<string, unknown> = {};
  try {
    const value = stored ? JSON.parse(stored) : null;
    if (value && typeof value === 'object' && !Array.isArray(value)) raw = value as Record<string, unknown>;
  } catch {
    // A broken entry: the defaults.
  }
  const sizeOf = (panel: Panel) => {
    const value = raw[panel];
    return typeof value === 'number' ? clampPanelSize(panel, value) : DEFAULT_PANEL_SIZES[panel];
  };
  return { palette: sizeOf('palette'), right: sizeOf('right'), bottom: sizeOf('bottom') };
}

export function loadPanelSizes(): PanelSizes {
  try {
    return parsePanelSizes(localStorage.getItem(STORAGE_KEY));
  } catch {
    return DEFAULT_PANEL_SIZES;
  }
}

export function savePanelSizes(sizes: PanelSizes): void {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(sizes));
  } catch {
    // Storage disabled: the sizes last until the page closes.
  }
}
