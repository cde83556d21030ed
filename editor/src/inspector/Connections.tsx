import { type PortSpec, resolveInputs } from '@flowloom/nodes/spec';
import { memo, useMemo, useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { describeSource, type SourceChoice, sourceChoices } from '../store/graph-ops';
import type { FlowCanvasNode } from '../store/graph-types';
import { useEditor } from '../store/index';
import { nodeDataToken } from '../store/selectors';
import { FieldLabelRow } from '../ui/Field';

const NOT_CONNECTED = '';
const NO_CHOICES = '[]';

/** An option's value: the source node and port, as JSON (ids may hold any character). */
const choiceValue = (source: string, sourceHandle: string | null | undefined) =>
  JSON.stringify([source, sourceHandle ?? '']);

function choiceText(c: SourceChoice): string {
  return `${c.nodeName} · ${c.sourceHandle} (${c.dataType})`;
}

/** Connects `source` to the input and says how it went (a refusal is toasted, as for a drag). */
function connectFrom(value: string, target: string, targetPort: string): void {
  const [source = '', sourceHandle = ''] = JSON.parse(value) as string[];
  const s = useEditor.getState();
  // Arrowing through the list connects each choice in turn: one undo step for the lot.
  const problem = s.connect(
    { source, sourceHandle, target, targetHandle: targetPort },
    `connect:${target}.${targetPort}`,
  );
  if (problem) s.toast('error', `Can’t connect: ${problem}`);
  else s.announce(`Connected ${source}.${sourceHandle} to ${target}.${targetPort}.`);
}

/**
 * The selected node's inputs, each with what feeds it, chosen from the outputs it accepts (the same rules as a drag:
 * `sourceChoices`). The keyboard's way to connect without the canvas; a mouse user may use it too.
 */
export function Connections({ node }: { node: FlowCanvasNode }) {
  const spec = useEditor((s) => s.catalog[node.data.type]);
  const inputs = useMemo(() => (spec ? resolveInputs(spec, node.data.params) : []), [spec, node.data.params]);
  if (inputs.length === 0) return null;
  return (
    <section className="connections" aria-labelledby={`connections-${node.id}`} data-testid="connections">
      <h3 className="section-title" id={`connections-${node.id}`}>
        Connections
      </h3>
      {inputs.map((port) => (
        <PortSources key={port.name} nodeId={node.id} port={port} />
      ))}
    </section>
  );
}

/**
 * A large flow offers hundreds of sources per port: the options are put in the list when it is first focused or
 * pressed (before it opens), not each time the inspector shows a node (500 nodes: about a thousand option elements
 * per llm node).
 */
type ShownOnUse = [boolean, { onFocus: () => void; onPointerDown: () => void }];

function useShownOnUse(): ShownOnUse {
  const [isShown, setShown] = useState(false);
  const show = () => setShown(true);
  return [isShown, { onFocus: show, onPointerDown: show }];
}

const PortSources = memo(function PortSources({ nodeId, port }: { nodeId: string; port: PortSpec }) {
  const [isShown, handlers] = useShownOnUse();
  // A string, so that the list re-renders only when the choices change, not on every drag. The selector runs on every
  // store change (each streamed token of a run too): the list is worked out once it is used, and again only when the
  // graph changed, not when nodes were only moved or selected.
  const last = useRef<{ graph: readonly unknown[]; key: string } | undefined>(undefined);
  const key = useEditor((s) => {
    if (!isShown) return NO_CHOICES;
    const graph = [s.catalog, s.edges, nodeId, port.name, nodeDataToken(s.nodes)];
    const before = last.current;
    if (before?.graph.every((part, i) => part === graph[i])) return before.key;
    const fresh = JSON.stringify(sourceChoices(s.catalog, s.nodes, s.edges, nodeId, port.name));
    last.current = { graph, key: fresh };
    return fresh;
  });
  const choices = useMemo(() => JSON.parse(key) as SourceChoice[], [key]);
  const described = useEditor(
    useShallow((s) => {
      const edge = s.edges.find((e) => e.target === nodeId && e.targetHandle === port.name);
      return edge ? describeSource(s.catalog, s.nodes, edge.source, edge.sourceHandle ?? '') : undefined;
    }),
  );
  const incoming = useEditor(
    useShallow((s) => s.edges.filter((e) => e.target === nodeId && e.targetHandle === port.name)),
  );
  const disconnect = useEditor((s) => s.disconnect);
  const id = `connect-${nodeId}-${port.name}`;
  const label = (
    <FieldLabelRow htmlFor={id} label={port.name} isRequired={port.required}>
      <span className="field-kind">{port.dataType}</span>
    </FieldLabelRow>
  );

  if (port.multiple) {
    return (
      <div className="field" data-testid={`connect-${port.name}`}>
        {label}
        {incoming.length > 0 ? (
          <ul className="connection-list" aria-label={`Connected to ${port.name}`}>
            {incoming.map((edge) => (
              <li key={edge.id}>
                <code>
                  {edge.source}.{edge.sourceHandle}
                </code>
                <button
                  type="button"
                  className="btn btn-ghost btn-sm"
                  onClick={() => disconnect([edge.id])}
                  aria-label={`Disconnect ${edge.source}.${edge.sourceHandle}`}
                >
                  Disconnect
                </button>
              </li>
            ))}
          </ul>
        ) : null}
        <AddSource id={id} choices={choices} isShown={isShown} handlers={handlers} nodeId={nodeId} port={port} />
      </div>
    );
  }

  const current = incoming[0];
  const value = current ? choiceValue(current.source, current.sourceHandle) : NOT_CONNECTED;
  const listed = current && choices.find((c) => choiceValue(c.source, c.sourceHandle) === value);
  // Before the list is filled, the connected source is named from its node alone.
  const named = listed ?? (current && !isShown ? described : undefined);
  return (
    <div className="field" data-testid={`connect-${port.name}`}>
      {label}
      <select
        id={id}
        className="input"
        value={value}
        aria-required={port.required || undefined}
        {...handlers}
        onChange={(e) => {
          if (e.target.value === NOT_CONNECTED) disconnect(incoming.map((edge) => edge.id));
          else connectFrom(e.target.value, nodeId, port.name);
        }}
      >
        <option value={NOT_CONNECTED}>Not connected</option>
        {/* The connected source shows before the list is filled, and an edge the rules would now refuse (its
            source's type changed) still shows what it is. */}
        {current && !(listed && isShown) ? (
          <option value={value}>{named ? choiceText(named) : `${current.source} · ${current.sourceHandle}`}</option>
        ) : null}
        {isShown ? <ChoiceOptions choices={choices} /> : null}
      </select>
    </div>
  );
});

function ChoiceOptions({ choices }: { choices: readonly SourceChoice[] }) {
  return choices.map((c) => (
    <option key={`${c.source}.${c.sourceHandle}`} value={choiceValue(c.source, c.sourceHandle)}>
      {choiceText(c)}
    </option>
  ));
}

/** A port that collects many edges: pick one more source, then Connect (arrowing through the list adds nothing). */
function AddSource({
  id,
  choices,
  isShown,
  handlers,
  nodeId,
  port,
}: {
  id: string;
  choices: readonly SourceChoice[];
  isShown: boolean;
  handlers: ShownOnUse[1];
  nodeId: string;
  port: PortSpec;
}) {
  const [picked, setPicked] = useState(NOT_CONNECTED);
  return (
    <div className="connection-add">
      <select id={id} className="input" value={picked} onChange={(e) => setPicked(e.target.value)} {...handlers}>
        <option value={NOT_CONNECTED}>Add a source…</option>
        {isShown ? <ChoiceOptions choices={choices} /> : null}
      </select>
      <button
        type="button"
        className="btn btn-sm"
        onClick={() => {
          if (picked === NOT_CONNECTED) return;
          connectFrom(picked, nodeId, port.name);
          setPicked(NOT_CONNECTED);
        }}
      >
        Connect
      </button>
    </div>
  );
}
