import { resolveOutputs } from '@flowloom/nodes/spec';
import { BaseEdge, EdgeLabelRenderer, type EdgeProps, getBezierPath, useStore } from '@xyflow/react';
import { memo, useMemo } from 'react';
import type { CanvasEdge, FlowNodeData } from '../store/graph-types';
import { useEditor } from '../store/index';
import { preview } from '../ui/format';
import { typeColor } from './colors';

/** An edge coloured by the data type it carries, showing the value that flowed through it in the last run. */
export const ValueEdge = memo(function ValueEdge(props: EdgeProps<CanvasEdge>) {
  const { id, source, sourceHandleId, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, selected } =
    props;
  const sourceData = useStore((s) => s.nodeLookup.get(source)?.data as FlowNodeData | undefined);
  const spec = useEditor((s) => (sourceData ? s.catalog[sourceData.type] : undefined));
  const dataType = useMemo(
    () =>
      spec && sourceData
        ? resolveOutputs(spec, sourceData.params).find((p) => p.name === sourceHandleId)?.dataType
        : undefined,
    [spec, sourceData, sourceHandleId],
  );
  const value = useEditor((s) => s.nodeRuns[source]?.outputs?.[sourceHandleId ?? '']);
  const isFlowing = useEditor((s) => s.nodeRuns[source]?.status === 'running');
  const problem = useEditor((s) => s.problemsByEdge[id]);
  const [path, labelX, labelY] = getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition });
  const color = problem ? 'var(--danger)' : typeColor(dataType ?? 'any');
  const hasValue = value !== undefined;
  return (
    <>
      <BaseEdge
        id={id}
        path={path}
        className={`value-edge${isFlowing ? ' is-flowing' : ''}${hasValue ? ' has-value' : ''}`}
        style={{ stroke: color, strokeWidth: selected ? 3 : 2, opacity: selected || hasValue ? 1 : 0.75 }}
        interactionWidth={16}
      />
      {hasValue || problem ? (
        <EdgeLabelRenderer>
          <div
            className={`edge-badge nodrag nopan${problem ? ' is-problem' : ''}`}
            style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)`, borderColor: color }}
            title={problem ?? (typeof value === 'string' ? value : JSON.stringify(value, null, 2))}
            data-testid={`edge-value-${id}`}
          >
            {problem ? '!' : preview(value, 28)}
          </div>
        </EdgeLabelRenderer>
      ) : null}
    </>
  );
});
