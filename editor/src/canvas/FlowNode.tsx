import {
  checkParams,
  type NodeSpec,
  type ParamSpec,
  type PortSpec,
  resolveInputs,
  resolveOutputs,
} from '@flowloom/nodes/spec';
import { type NodeProps, NodeToolbar, Position, useUpdateNodeInternals } from '@xyflow/react';
import { memo, useEffect, useMemo, useRef } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { NodeRunButtons } from '../pins/NodeRunButtons';
import { PinBadge } from '../pins/PinBadge';
import { selectPin, usePins } from '../pins/pin-store';
import type { FlowCanvasNode, FlowNodeData } from '../store/graph-types';
import { useEditor } from '../store/index';
import { formatCost, formatMs, formatTokens, preview } from '../ui/format';
import { Icon } from '../ui/icons';
import { BreakpointDot } from './BreakpointDot';
import { categoryMeta } from './colors';
import { mergeNodeProblems } from './node-problems';
import { PortHandle } from './PortHandle';
import { useWrapperLabel } from './wrapper-label';

const STATUS_LABEL: Record<string, string> = {
  queued: 'Queued',
  running: 'Running',
  paused: 'Paused',
  completed: 'Done',
  failed: 'Failed',
  skipped: 'Skipped',
  cancelled: 'Cancelled',
};

/** One component draws every kind from the catalog (STYLE §5). */
export const FlowNode = memo(function FlowNode({ id, data, selected }: NodeProps<FlowCanvasNode>) {
  const spec = useEditor((s) => s.catalog[data.type]);
  const status = useEditor((s) => s.nodeRuns[id]?.status ?? 'idle');
  return spec ? (
    <NodeFrame id={id} spec={spec} data={data} status={status} isSelected={selected === true} />
  ) : (
    <UnknownKind id={id} type={data.type} />
  );
});

/** "LLM node summarise, done, 1 problem": kind, name, run status, problems. */
export function nodeAriaLabel(
  kind: string,
  name: string,
  status: string,
  problemCount: number,
  isPinned = false,
): string {
  return [
    `${kind} node ${name}`,
    isPinned ? 'output pinned' : '',
    status !== 'idle' ? (STATUS_LABEL[status] ?? status).toLowerCase() : '',
    problemCount > 0 ? `${problemCount} problem${problemCount > 1 ? 's' : ''}` : '',
  ]
    .filter(Boolean)
    .join(', ');
}

/**
 * The first three params with something to show: a param left empty (a `provider` on the default, a `system` prompt
 * not written) does not take the place of one that is set.
 */
function summaryParams(spec: NodeSpec, params: FlowNodeData['params']): { param: ParamSpec; value: unknown }[] {
  const shown: { param: ParamSpec; value: unknown }[] = [];
  for (const param of spec.params) {
    if (param.kind === 'secret' || param.kind === 'json' || param.kind === 'boolean') continue;
    const value = params[param.name] ?? param.default;
    if (value === undefined || value === '') continue;
    shown.push({ param, value });
    if (shown.length === 3) break;
  }
  return shown;
}

interface FrameProps {
  id: string;
  spec: NodeSpec;
  data: FlowNodeData;
  status: string;
  isSelected: boolean;
}

const NodeFrame = memo(function NodeFrame({ id, spec, data, status, isSelected }: FrameProps) {
  const inputs = useMemo(() => resolveInputs(spec, data.params), [spec, data.params]);
  const outputs = useMemo(() => resolveOutputs(spec, data.params), [spec, data.params]);
  const paramProblems = useMemo(() => checkParams(spec, data.params), [spec, data.params]);
  usePortsMeasured(id, inputs, outputs);
  const problems = useEditor((s) => s.problemsByNode[id]);
  const meta = useEditor((s) => s.meta?.id);
  const category = categoryMeta(spec.category);
  const portProblem = (name: string) => problems?.find((p) => p.port === name)?.message;
  const nodeProblems = problems?.filter((p) => !p.port) ?? [];
  const badgeProblems = useMemo(() => mergeNodeProblems(problems, paramProblems), [problems, paramProblems]);
  const problemCount = badgeProblems.length;
  const summary = summaryParams(spec, data.params);
  const nodeName = `${spec.title} ${data.label || id}`;
  const isPinned = usePins((s) => selectPin(meta, id)(s) !== undefined);
  const ref = useWrapperLabel(nodeAriaLabel(spec.title, data.label || id, status, problemCount, isPinned));
  return (
    <div
      ref={ref}
      className={`flow-node status-${status}${isSelected ? ' is-selected' : ''}${problemCount ? ' has-problems' : ''}`}
      data-testid={`node-${id}`}
      data-status={status}
      style={{ ['--cat-color' as string]: category.color }}
    >
      <BreakpointDot id={id} />
      <div className="node-header">
        <span className="node-glyph" aria-hidden>
          <Icon name={spec.category} size={15} />
        </span>
        <div className="node-titles">
          <div className="node-title">{data.label || spec.title}</div>
          <div className="node-id">{id}</div>
        </div>
        <PinBadge nodeId={id} />
        {status !== 'idle' ? (
          <span className={`node-status status-${status}`} data-testid={`node-status-${id}`}>
            {status === 'running' ? <span className="spinner" aria-hidden /> : null}
            {STATUS_LABEL[status] ?? status}
          </span>
        ) : problemCount > 0 ? (
          <span
            className="node-problem-badge"
            title={badgeProblems.map((p) => p.message).join('\n')}
            data-testid={`node-problems-${id}`}
          >
            {problemCount}
          </span>
        ) : null}
      </div>
      {summary.length > 0 ? (
        <div className="node-params">
          {summary.map(({ param: p, value }) => {
            const isLong = p.kind === 'template' || p.kind === 'code' || p.kind === 'text';
            return (
              <div key={p.name} className={`node-param${isLong ? ' is-long' : ''}`}>
                <span className="node-param-name">{p.label ?? p.name}</span>
                <span className="node-param-value">{preview(value, isLong ? 90 : 28)}</span>
              </div>
            );
          })}
        </div>
      ) : null}
      <div className="node-ports">
        <div className="node-inputs">
          {inputs.map((port) => (
            <PortHandle
              key={port.name}
              nodeId={id}
              nodeName={nodeName}
              port={port}
              side="in"
              problem={portProblem(port.name)}
            />
          ))}
        </div>
        <div className="node-outputs">
          {outputs.map((port) => (
            <PortHandle key={port.name} nodeId={id} nodeName={nodeName} port={port} side="out" />
          ))}
        </div>
      </div>
      {nodeProblems.length > 0 && status === 'idle' ? (
        <div className="node-problems">
          {nodeProblems.slice(0, 2).map((p) => (
            <div key={`${p.code}-${p.message}`}>{p.message}</div>
          ))}
        </div>
      ) : null}
      <RunDetails id={id} />
      {/* Mounted for the selected node only: each toolbar subscribes to React Flow's store (a selector run on every
          update of it, a selection or a pan), and a click would re-render every drawn node's toolbar. */}
      {isSelected ? (
        <NodeToolbar isVisible position={Position.Top} className="node-toolbar">
          <NodeRunButtons nodeId={id} place="toolbar" />
        </NodeToolbar>
      ) : null}
    </div>
  );
});

/**
 * React Flow measures a node's handles when the node resizes. A port can come and go without a resize (a template's
 * `{{variable}}` retyped): its edge would then stay undrawn. So a change in the ports asks React Flow to measure again.
 */
function usePortsMeasured(id: string, inputs: readonly PortSpec[], outputs: readonly PortSpec[]) {
  const updateNodeInternals = useUpdateNodeInternals();
  const key = `${inputs.map((p) => p.name).join('\u0000')}|${outputs.map((p) => p.name).join('\u0000')}`;
  const measured = useRef(key);
  useEffect(() => {
    if (measured.current === key) return;
    measured.current = key;
    updateNodeInternals(id);
  }, [id, key, updateNodeInternals]);
}

/** The live part of a node: streamed text, error, duration and tokens. Re-renders only for its own node. */
const RunDetails = memo(function RunDetails({ id }: { id: string }) {
  const { text, error, durationMs, usage, costUsd, status, reason, isReused, isPinned } = useEditor(
    useShallow((s) => {
      const run = s.nodeRuns[id];
      return {
        text: run?.text ?? '',
        error: run?.error?.message,
        durationMs: run?.durationMs,
        usage: run?.usage,
        costUsd: run?.costUsd,
        status: run?.status,
        reason: run?.reason,
        isReused: run?.isReused === true,
        isPinned: run?.isPinned === true,
      };
    }),
  );
  if (!status || status === 'idle' || status === 'queued') return null;
  const meta = isPinned
    ? 'pinned output, not run'
    : isReused
      ? 'reused output, not run'
      : [formatMs(durationMs), formatTokens(usage), formatCost(costUsd)].filter(Boolean).join(' · ');
  return (
    <div className="node-run">
      {text ? (
        <div className="node-stream" data-testid={`node-text-${id}`}>
          {text.length > 320 ? `…${text.slice(-320)}` : text}
          {status === 'running' ? <span className="caret" aria-hidden /> : null}
        </div>
      ) : null}
      {error ? (
        <div className="node-error" data-testid={`node-error-${id}`}>
          {error}
        </div>
      ) : null}
      {reason && status === 'skipped' ? <div className="node-reason">{reason}</div> : null}
      {meta ? (
        <div className="node-meta" data-testid={`node-meta-${id}`}>
          {meta}
        </div>
      ) : null}
    </div>
  );
});

function UnknownKind({ id, type }: { id: string; type: string }) {
  const ref = useWrapperLabel(`Unknown kind ${type} node ${id}`);
  return (
    <div ref={ref} className="flow-node unknown-kind" data-testid={`node-${id}`}>
      <div className="node-header">
        <span className="node-glyph" aria-hidden>
          <Icon name="unknown" size={15} />
        </span>
        <div className="node-titles">
          <div className="node-title">Unknown kind “{type}”</div>
          <div className="node-id">{id}</div>
        </div>
      </div>
      <div className="node-problems">This node kind is not in the catalog.</div>
    </div>
  );
}
