import { checkParams, isParamActive, type NodeSettings, resolveOutputs, withDefaults } from '@flowloom/nodes/spec';
import { type ReactNode, useCallback, useDeferredValue, useEffect, useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { rerunFromNode } from '../api/actions';
import { api } from '../api/http';
import { categoryMeta } from '../canvas/colors';
import { refreshCollections, useCollections } from '../knowledge/collections-store';
import { selectCanRerun } from '../pins/node-run-actions';
import { PinPanel } from '../pins/PinPanel';
import { useProviders } from '../settings/providers-store';
import { type FlowCanvasNode, isFlowNode } from '../store/graph-types';
import { useEditor } from '../store/index';
import { byNodeData, selectSelectedNodeId, selectSelectionCount } from '../store/selectors';
import { CodeBlock } from '../ui/CodeBlock';
import { Field } from '../ui/Field';
import { formatCost, formatMs, formatTokens, pretty } from '../ui/format';
import { Icon } from '../ui/icons';
import { whenIdle } from '../ui/when-idle';
import { BreakpointToggle } from './BreakpointToggle';
import { Connections } from './Connections';
import { ParamField } from './ParamField';
import './inspector.css';

const COMMON_MODELS = ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini', 'gpt-4.1', 'o4-mini'];

/** Names a `{{variable}}` can take: the flow's inputs and every output port name upstream. */
const selectVariables = byNodeData((nodes, catalog): string[] => {
  const names = new Set<string>();
  for (const node of nodes) {
    if (!isFlowNode(node)) continue;
    const spec = catalog[node.data.type];
    if (!spec) continue;
    if (spec.flowIO === 'input') {
      const name = withDefaults(spec, node.data.params).name;
      if (typeof name === 'string' && name) names.add(name);
    }
    for (const port of spec.outputs) names.add(port.name);
  }
  return [...names].sort();
});

/**
 * The names, read when a template asks for completions: the inspector does not subscribe to them, so a node's form
 * mounts without a walk of every node, and does not render again when another node's params change.
 */
const readVariables = (): readonly string[] => selectVariables(useEditor.getState());

let fineTunedCache: Promise<string[]> | null = null;
/** Fine-tuned models (`GET /api/models`), asked once per page load; a failure is asked again next time. */
function loadFineTunedModels(): Promise<string[]> {
  fineTunedCache ??= api
    .fineTunedModels()
    .then((list) => list.map((m) => m.id))
    .catch(() => {
      fineTunedCache = null;
      return [];
    });
  return fineTunedCache;
}

const selectModels = byNodeData((nodes, catalog): string[] => {
  const names = new Set(COMMON_MODELS);
  for (const node of nodes) {
    if (!isFlowNode(node)) continue;
    const spec = catalog[node.data.type];
    for (const p of spec?.params ?? []) {
      if (p.kind !== 'model') continue;
      const value = node.data.params[p.name] ?? p.default;
      if (typeof value === 'string' && value) names.add(value);
    }
  }
  return [...names];
});

/** The right panel: a form generated from the selected node's param specs. */
export function Inspector() {
  const nodeId = useEditor(selectSelectedNodeId);
  const count = useEditor(selectSelectionCount);
  if (!nodeId) {
    return (
      <div className="inspector-empty" data-testid="inspector-empty">
        <div className="empty-icon" aria-hidden>
          <Icon name="cursor" size={28} />
        </div>
        <p>{count > 1 ? `${count} items selected.` : 'Select a node to edit its settings.'}</p>
        <p className="muted small">
          Drag kinds from the palette (or press Enter on one), connect ports by dragging (or Enter on an output, then on
          an input), and press <kbd>Ctrl</kbd>+<kbd>S</kbd> to save.
        </p>
      </div>
    );
  }
  return <NodeInspector key={nodeId} nodeId={nodeId} />;
}

function NodeInspector({ nodeId }: { nodeId: string }) {
  const node = useEditor((s) => s.nodes.find((n) => n.id === nodeId)) as FlowCanvasNode | undefined;
  const spec = useEditor((s) => (node ? s.catalog[node.data.type] : undefined));
  const setParam = useEditor((s) => s.setParam);
  const setLabel = useEditor((s) => s.setLabel);
  const setSettings = useEditor((s) => s.setSettings);
  const endGesture = useEditor((s) => s.endGesture);
  const flowModels = useEditor(selectModels);
  const [fineTuned, setFineTuned] = useState<string[]>([]);
  const hasModelParam = spec?.params.some((p) => p.kind === 'model') === true;
  // The lists below are asked for once the browser is idle after the node's form is painted (ui/when-idle.ts).
  useEffect(() => {
    if (hasModelParam) return whenIdle(() => void loadFineTunedModels().then(setFineTuned));
  }, [hasModelParam]);
  const models = useMemo(() => [...new Set([...flowModels, ...fineTuned])], [flowModels, fineTuned]);
  const serverProblems = useEditor((s) => s.problemsByNode[nodeId]);
  // Read again each time a node with a collection param is shown (and when its field gets focus): never stale.
  const collections = useCollections(useShallow((s) => s.list.map((c) => c.name)));
  const hasCollectionParam = spec?.params.some((p) => p.kind === 'collection') === true;
  useEffect(() => {
    if (hasCollectionParam) return whenIdle(() => void refreshCollections());
  }, [hasCollectionParam]);

  const params = node?.data.params;
  const values = useMemo(() => (spec ? withDefaults(spec, params) : {}), [spec, params]);
  // The model field offers the models of the node's provider (asked on show and when the field gets focus), then the
  // usual names.
  const providerId = typeof values.provider === 'string' ? values.provider : '';
  const providerModels = useProviders((s) => s.models[providerId || 'default']);
  const focusModels = useCallback(() => {
    useProviders
      .getState()
      .loadModels(providerId)
      .catch(() => {});
  }, [providerId]);
  useEffect(() => {
    if (hasModelParam) return whenIdle(focusModels);
  }, [hasModelParam, focusModels]);
  const offeredModels = useMemo(() => [...new Set([...(providerModels ?? []), ...models])], [providerModels, models]);

  const problems = useMemo(() => {
    const out: Record<string, string> = {};
    if (spec) for (const p of checkParams(spec, params)) out[p.param] = p.message;
    return out;
  }, [spec, params]);

  if (!node || !spec) return null;
  const category = categoryMeta(spec.category);
  const settings: NodeSettings = node.data.settings ?? {};
  const setSetting = (key: keyof NodeSettings, raw: string) => {
    const next = { ...settings };
    if (raw === '' || !Number.isFinite(Number(raw))) delete next[key];
    else next[key] = Math.max(0, Math.round(Number(raw)));
    setSettings(nodeId, next);
  };
  const otherProblems = (serverProblems ?? []).filter((p) => !p.port);
  return (
    <div className="inspector" data-testid="inspector">
      <div className="inspector-head" style={{ ['--cat-color' as string]: category.color }}>
        <span className="node-glyph big" aria-hidden>
          <Icon name={spec.category} size={18} />
        </span>
        <div>
          <h3 className="inspector-title">{spec.title}</h3>
          <div className="muted small">
            {category.label} · <code>{nodeId}</code>
          </div>
        </div>
      </div>
      <p className="inspector-desc">{spec.description}</p>
      <BreakpointToggle nodeId={nodeId} />
      {otherProblems.length > 0 ? (
        <div className="callout callout-error" role="alert">
          {otherProblems.map((p) => (
            <div key={`${p.code}-${p.message}`}>{p.message}</div>
          ))}
        </div>
      ) : null}
      <Field id={`label-${nodeId}`} label="Label on canvas">
        <input
          id={`label-${nodeId}`}
          className="input"
          placeholder={spec.title}
          value={node.data.label ?? ''}
          onChange={(e) => setLabel(nodeId, e.target.value)}
          onBlur={endGesture}
          data-testid="node-label-input"
        />
      </Field>
      <h3 className="section-title">Parameters</h3>
      {spec.params.length === 0 ? <p className="muted small">This kind has no parameters.</p> : null}
      {spec.params
        .filter((p) => isParamActive(p, values))
        .map((param) => (
          <ParamField
            key={param.name}
            nodeId={nodeId}
            param={param}
            value={values[param.name]}
            problem={problems[param.name]}
            onChange={(value) => setParam(nodeId, param.name, value)}
            onCommit={endGesture}
            variables={readVariables}
            collections={collections}
            models={offeredModels}
            onFocusModels={focusModels}
          />
        ))}
      <Later>
        <Connections node={node} />
        <details className="advanced">
          <summary>Advanced</summary>
          {(
            [
              ['timeoutMs', 'Timeout (ms)', 'Abort the node after this long; 0 means no limit.'],
              ['retries', 'Retries', 'Extra attempts on rate limits and server errors.'],
              ['retryBackoffMs', 'Retry backoff (ms)', 'First wait before a retry; doubles each time.'],
            ] as const
          ).map(([key, label, help]) => (
            <Field key={key} id={`setting-${key}`} label={label} help={help}>
              <input
                id={`setting-${key}`}
                className="input"
                type="number"
                min={0}
                step={1}
                placeholder={spec.defaults?.[key] !== undefined ? String(spec.defaults[key]) : 'default'}
                value={settings[key] ?? ''}
                onChange={(e) => setSetting(key, e.target.value)}
                onBlur={endGesture}
                data-testid={`setting-${key}`}
              />
            </Field>
          ))}
          <div className="field-help">
            Outputs:{' '}
            {resolveOutputs(spec, params)
              .map((p) => `${p.name} (${p.dataType})`)
              .join(', ') || 'none'}
          </div>
        </details>
        <LastRun nodeId={nodeId} />
        <PinPanel nodeId={nodeId} />
      </Later>
    </div>
  );
}

/**
 * What comes below the params (connections, advanced settings, the last run, the pin), drawn in a second render that
 * a click or a key press may interrupt: a node's form shows first (500 nodes: the connection lists are the heavy
 * part).
 */
function Later({ children }: { children: ReactNode }) {
  const isShown = useDeferredValue(true, false);
  return isShown ? children : null;
}

/** What the node received and produced in the run on the canvas. */
function LastRun({ nodeId }: { nodeId: string }) {
  const run = useEditor((s) => s.nodeRuns[nodeId]);
  // A paused run is not over: rerunning it would leave it waiting.
  const isRunOver = useEditor(selectCanRerun);
  if (!run || run.status === 'idle' || run.status === 'queued') return null;
  const meta = run.isReused
    ? 'reused'
    : [formatMs(run.durationMs), formatTokens(run.usage), formatCost(run.costUsd)].filter(Boolean).join(' · ');
  return (
    <div className="last-run" data-testid="inspector-last-run">
      <div className="section-title">
        Last run <span className={`pill status-${run.status}`}>{run.status}</span>
        {meta ? <span className="muted small"> {meta}</span> : null}
      </div>
      {run.isReused ? (
        <div className="muted small">Outputs reused from the earlier run, not computed again.</div>
      ) : null}
      {isRunOver ? (
        <button
          type="button"
          className="btn btn-sm"
          data-testid="rerun-from-node"
          title="Run this node and everything after it again; nodes before it keep this run's outputs"
          onClick={() => void rerunFromNode(nodeId)}
        >
          Run from here
        </button>
      ) : null}
      {run.error ? <div className="callout callout-error">{run.error.message}</div> : null}
      {run.inputs && Object.keys(run.inputs).length > 0 ? (
        <>
          <div className="mini-title">Inputs</div>
          <CodeBlock label="Inputs of the last run">{pretty(run.inputs)}</CodeBlock>
        </>
      ) : null}
      {run.outputs ? (
        <>
          <div className="mini-title">Outputs</div>
          <CodeBlock label="Outputs of the last run" testId="inspector-outputs">
            {pretty(run.outputs)}
          </CodeBlock>
        </>
      ) : run.text ? (
        <>
          <div className="mini-title">Streaming</div>
          <CodeBlock label="Streamed text">{run.text}</CodeBlock>
        </>
      ) : null}
      {run.logs.length > 0 ? (
        <>
          <div className="mini-title">Logs</div>
          <CodeBlock label="Logs">{run.logs.map((l) => l.message).join('\n')}</CodeBlock>
        </>
      ) : null}
    </div>
  );
}
