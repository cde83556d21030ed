import type { PortSpec } from '@flowloom/nodes/spec';
import { Handle, Position, useStore, useStoreApi } from '@xyflow/react';
import { type KeyboardEvent, memo } from 'react';
import { connectionProblem } from '../store/graph-ops';
import { useEditor } from '../store/index';
import { typeColor } from './colors';

interface Props {
  nodeId: string;
  /** The node's name as the canvas reads it out ("Prompt prompt"), for the port's own name. */
  nodeName: string;
  port: PortSpec;
  side: 'in' | 'out';
  problem?: string;
}

/** A port's name for screen readers: what it is, its type, whose it is. */
export function portLabel(port: PortSpec, side: 'in' | 'out', nodeName: string): string {
  const traits = [port.dataType, port.required && side === 'in' ? 'required' : '', port.multiple ? 'takes many' : '']
    .filter(Boolean)
    .join(', ');
  return `${side === 'in' ? 'Input' : 'Output'} ${port.name} (${traits}) of ${nodeName}`;
}

/**
 * One port: a handle coloured by data type, its name, a required mark, and any validation problem. The handle is a
 * button: Enter or Space (or a click) on an output, then on an input, connects them through React Flow's
 * click-to-connect, refused like a drag by `isValidConnection`; what happens is announced.
 */
export const PortHandle = memo(function PortHandle({ nodeId, nodeName, port, side, problem }: Props) {
  const color = typeColor(port.dataType);
  const testId = side === 'in' ? `port-${nodeId}-${port.name}` : `port-${nodeId}-out-${port.name}`;
  const type = side === 'in' ? 'target' : 'source';
  const flow = useStoreApi();
  const isStart = useStore((s) => {
    const start = s.connectionClickStartHandle;
    return start?.nodeId === nodeId && start.id === port.name && start.type === type;
  });
  const title = [
    `${port.name}: ${port.dataType}${port.required ? ' (required)' : ''}${port.multiple ? ' (many)' : ''}`,
    port.description,
    problem,
  ]
    .filter(Boolean)
    .join('\n');

  // Runs before React Flow's own click handler, which starts or ends the connection: says what is about to happen.
  const onClickCapture = () => {
    const start = flow.getState().connectionClickStartHandle;
    const s = useEditor.getState();
    if (!start) {
      s.announce(
        `Connecting from ${portLabel(port, side, nodeName)}. Go to ${side === 'out' ? 'an input' : 'an output'} port and press Enter; Escape cancels.`,
      );
      return;
    }
    if (start.nodeId === nodeId && start.id === port.name && start.type === type) {
      s.announce('Connection cancelled.');
      return;
    }
    if (start.type === type) {
      s.toast(
        'error',
        `Can’t connect two ${side === 'in' ? 'inputs' : 'outputs'}: pick ${side === 'in' ? 'an output' : 'an input'}.`,
      );
      return;
    }
    const [source, target] =
      type === 'target' ? [start, { nodeId, id: port.name }] : [{ nodeId, id: port.name }, start];
    const refused = connectionProblem(s.catalog, s.nodes, s.edges, {
      source: source.nodeId,
      sourceHandle: source.id ?? null,
      target: target.nodeId,
      targetHandle: target.id ?? null,
    });
    if (refused) s.toast('error', `Can’t connect: ${refused}`);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key !== 'Enter' && e.key !== ' ') return;
    e.preventDefault();
    // Not the node's own Enter (select) as well.
    e.stopPropagation();
    e.currentTarget.click();
  };

  return (
    <div className={`port-row port-${side}${problem ? ' has-problem' : ''}`} title={title}>
      <Handle
        type={type}
        position={side === 'in' ? Position.Left : Position.Right}
        id={port.name}
        className="port-handle"
        style={{ ['--port-color' as string]: color }}
        data-testid={testId}
        data-datatype={port.dataType}
        role="button"
        tabIndex={0}
        aria-label={`${portLabel(port, side, nodeName)}${problem ? `: ${problem}` : ''}`}
        aria-pressed={isStart}
        onClickCapture={onClickCapture}
        onKeyDown={onKeyDown}
      />
      {/* The type tag wraps onto a hidden second line when name and tag do not both fit. */}
      <span className="port-label" aria-hidden>
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
