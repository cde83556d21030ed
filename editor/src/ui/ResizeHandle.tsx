import { type KeyboardEvent, type PointerEvent, useRef } from 'react';

interface Props {
  /** What it resizes, e.g. "Resize the palette". */
  label: string;
  /** `vertical`: a bar between columns that changes a width; `horizontal`: one between rows that changes a height. */
  orientation: 'vertical' | 'horizontal';
  value: number;
  min: number;
  max: number;
  /** +1 when moving the bar right (or down) makes the panel bigger, -1 when it makes it smaller. */
  grows: 1 | -1;
  onChange: (value: number) => void;
  /** Double-click goes back to this size. */
  defaultValue: number;
  className?: string;
  testId?: string;
}

const STEP = 16;
const BIG_STEP = 64;

/**
 * A window splitter (WAI-ARIA `separator`, focusable): drag it with the mouse, or focus it and press the arrow keys
 * (Shift for bigger steps), Home and End for the smallest and largest size. `aria-valuenow` is the panel's size in
 * pixels.
 */
export function ResizeHandle({ label, orientation, value, min, max, grows, onChange, defaultValue, ...rest }: Props) {
  const drag = useRef<{ start: number; from: number } | null>(null);
  const clamp = (v: number) => Math.round(Math.min(max, Math.max(min, v)));
  const along = (e: PointerEvent) => (orientation === 'vertical' ? e.clientX : e.clientY);

  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    if (e.button !== 0) return;
    e.preventDefault();
    e.currentTarget.setPointerCapture(e.pointerId);
    drag.current = { start: along(e), from: value };
  };
  const onPointerMove = (e: PointerEvent<HTMLDivElement>) => {
    if (!drag.current) return;
    onChange(clamp(drag.current.from + grows * (along(e) - drag.current.start)));
  };
  const onPointerUp = (e: PointerEvent<HTMLDivElement>) => {
    drag.current = null;
    if (e.currentTarget.hasPointerCapture(e.pointerId)) e.currentTarget.releasePointerCapture(e.pointerId);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const step = e.shiftKey ? BIG_STEP : STEP;
    // The arrow that moves the bar: right and down are +1 on screen.
    const moves: Record<string, number> =
      orientation === 'vertical' ? { ArrowLeft: -1, ArrowRight: 1 } : { ArrowUp: -1, ArrowDown: 1 };
    const move = moves[e.key];
    let next: number | null = null;
    if (move !== undefined) next = value + grows * move * step;
    else if (e.key === 'Home') next = min;
    else if (e.key === 'End') next = max;
    else if (e.key === 'Enter') next = defaultValue;
    if (next === null) return;
    e.preventDefault();
    onChange(clamp(next));
  };

  return (
    // biome-ignore lint/a11y/useSemanticElements: a focusable window splitter has no HTML element; <hr> cannot take focus or keys.
    <div
      role="separator"
      tabIndex={0}
      aria-label={label}
      aria-orientation={orientation}
      aria-valuenow={value}
      aria-valuemin={min}
      aria-valuemax={max}
      aria-valuetext={`${value} pixels`}
      title={`${label}: drag, or focus and use the arrow keys; double-click for the default size`}
      className={`resize-handle resize-${orientation}${rest.className ? ` ${rest.className}` : ''}`}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      onPointerCancel={onPointerUp}
      onDoubleClick={() => onChange(defaultValue)}
      onKeyDown={onKeyDown}
      data-testid={rest.testId}
    />
  );
}
