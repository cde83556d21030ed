import { useReactFlow, useStore } from '@xyflow/react';

/** The zoom as a percentage, in the canvas controls; pressing it goes back to 100 %. */
export function ZoomLevel() {
  const zoom = useStore((s) => Math.round(s.transform[2] * 100));
  const { zoomTo } = useReactFlow();
  return (
    <button
      type="button"
      className="react-flow__controls-button zoom-level"
      onClick={() => void zoomTo(1, { duration: 150 })}
      title="Zoom: press for 100 %"
      aria-label={`Zoom ${zoom} %, press for 100 %`}
      data-testid="zoom-level"
    >
      {zoom}%
    </button>
  );
}
