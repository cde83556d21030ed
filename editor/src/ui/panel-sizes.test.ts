import { describe, expect, it } from 'vitest';
import { clampPanelSize, DEFAULT_PANEL_SIZES, PANEL_LIMITS, parsePanelSizes } from './panel-sizes';

describe('panel sizes', () => {
  it('keeps a size within its panel limits, in whole pixels', () => {
    expect(clampPanelSize('palette', 10)).toBe(PANEL_LIMITS.palette.min);
    expect(clampPanelSize('right', 5000)).toBe(PANEL_LIMITS.right.max);
    expect(clampPanelSize('bottom', 250.6)).toBe(251);
    expect(clampPanelSize('bottom', Number.NaN)).toBe(DEFAULT_PANEL_SIZES.bottom);
  });
  it('reads stored sizes, with the defaults for what is missing or broken', () => {
    expect(parsePanelSizes(null)).toEqual(DEFAULT_PANEL_SIZES);
    expect(parsePanelSizes('not json')).toEqual(DEFAULT_PANEL_SIZES);
    expect(parsePanelSizes('[1,2]')).toEqual(DEFAULT_PANEL_SIZES);
    expect(parsePanelSizes('{"palette":300,"right":"wide","bottom":99999}')).toEqual({
      palette: 300,
      right: DEFAULT_PANEL_SIZES.right,
      bottom: PANEL_LIMITS.bottom.max,
    });
  });
});
