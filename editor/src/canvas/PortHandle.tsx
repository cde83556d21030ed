import type { PortSpec } from '@flowloom/nodes/spec';
import { Handle, Position } from '@xyflow/react';
import { memo } from 'react';
import { typeColor } from './colors';

interface Props {
  nodeId: string;
  port: PortSpec;
  side: 'in' | 'out';
  problem?: string;
}

/** One port: a handle coloured by data type, its name, a required mark, and any validation problem. */
export const PortHandle = memo(function PortHandle({ nodeId, port, side, problem }: Props) {
  const color = typeColor(port.dataType);
  const testId = side === 'in' ? `port-${nodeId}-${port.name}` : `port-${nodeId}-out-${port.name}`;
  const title = [
    `${port.name}: ${port.dataType}${port.required ? ' (required)' : ''}${port.multiple ? ' (many)' : ''}`,
    port.description,
    problem,
  ]
    .filter(Boolean)
    .join('\n');
  return (
    <div className={`port-row port-${side}${problem ? ' has-problem' : ''}`} title={title}>
      <Handle
        type={side === 'in' ? 'target' : 'source'}
        position={side === 'in' ? Position.Left : Position.Right}
        id={port.name}
        className="port-handle"
        style={{ ['--port-color' as string]: color }}
        data-testid={testId}
        data-datatype={port.dataType}
      />
      {/* The type tag wraps onto a hidden second line when name and tag do not both fit. */}
      <span className="port-label">
        <span className="port-name">
          {port.name}
          {port.required && side === 'in' ? (
            <span className="port-required" title="required">
              *
            </span>
          ) : null}
        </span>
        <span className="port-type" style={{ color }}>
          {port.dataType}
        </span>
      </span>
    </div>
  );
});
