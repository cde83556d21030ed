import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** One line of a chart: its label, colour and values (null: no value in that bucket). */
export interface ChartSeries {
  label: string;
  color: string;
  values: (number | null)[];
  dash?: number[];
}

interface Props {
  title: string;
  /** Bucket start times, ms since the epoch. */
  times: number[];
  series: ChartSeries[];
  /** Formats a value for the axis and the legend. */
  format: (value: number) => string;
  testId: string;
}

const AXIS = { stroke: '#98a1b3', grid: { stroke: '#232938', width: 1 }, ticks: { stroke: '#232938', width: 1 } };

/**
 * A time series chart drawn by uPlot (canvas): one line per series, a legend with the values under the cursor. The
 * same figures are in the table below each chart, for keyboards and screen readers.
 */
export function MetricsChart({ title, times, series, format, testId }: Props) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const width = Math.max(280, element.clientWidth);
    const chart = new uPlot(
      {
        title: undefined,
        width,
        height: 200,
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true } },
        axes: [{ ...AXIS }, { ...AXIS, size: 84, values: (_u, splits) => splits.map((v) => format(v)) }],
        series: [
          {},
          ...series.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: 2,
            spanGaps: false,
            points: { show: times.length < 60 },
            value: (_u: uPlot, v: number | null) => (v === null ? '–' : format(v)),
            ...(s.dash && { dash: s.dash }),
          })),
        ],
      },
      [times.map((t) => t / 1000), ...series.map((s) => s.values)] as uPlot.AlignedData,
      element,
    );
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(280, element.clientWidth), height: 200 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [times, series, format]);
  return <div className="metrics-chart" ref={box} data-testid={testId} role="img" aria-label={`${title} chart`} />;
}
