import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { Problem } from './api.js';
import { connectProblem } from './compat.js';
import type { FlowFile } from './flow.js';
import { FLOW_SCHEMA } from './flow-schema.js';
import type { NodeSpec, PortSpec, SpecLookup } from './node-spec.js';
import { inputsOf, outputsOf, paramProblems, withDefaults } from './ports.js';
import { findValueProblem, MAX_VALUE_DEPTH } from './values.js';

let schemaCheck: ValidateFunction | undefined;

/**
 * Compiles the flow schema's validator unless it is compiled already (about 0.1 s). Importing the spec compiles
 * nothing (the editor's first load does not pay for it); the runtime's engine calls this when it loads, so that a
 * server's first run does not pay for it either.
 */
export function prepareValidation(): ValidateFunction {
  schemaCheck ??= new Ajv2020({ allErrors: true, strict: false }).compile(FLOW_SCHEMA);
  return schemaCheck;
}

function checkSchema(flow: unknown): ValidateFunction {
  const check = prepareValidation();
  check(flow);
  return check;
}

/** Resolved ports of a node whose kind is known, computed once per validation and reused by the engine's plan. */
export interface NodePorts {
  spec: NodeSpec;
  /** The node's params with its kind's defaults filled in (`withDefaults`). */
  params: Record<string, unknown>;
  inputs: Map<string, PortSpec>;
  outputs: Map<string, PortSpec>;
}

/** Ports of one node, with `{{variable}}` and param-typed ports resolved. */
export function nodePorts(spec: NodeSpec, params: Record<string, unknown> | undefined): NodePorts {
  const values = withDefaults(spec, params);
  return {
    spec,
    params: values,
    inputs: new Map(inputsOf(spec, values).map((p) => [p.name, p])),
    outputs: new Map(outputsOf(spec, values).map((p) => [p.name, p])),
  };
}

function schemaProblems(flow: unknown): Problem[] {
  const errors = checkSchema(flow).errors;
  if (!errors) return [];
  // Any JSON may arrive here (`null` included): only an object has nodes to name.
  const nodes = typeof flow === 'object' && flow !== null ? (flow as { nodes?: unknown }).nodes : undefined;
  return errors.map((err) => {
    const match = /^\/nodes\/(\d+)/.exec(err.instancePath);
    const node = match && Array.isArray(nodes) ? (nodes[Number(match[1])] as { id?: unknown } | undefined) : undefined;
    // Name the field itself for a missing or unknown one (`/format is required`), not the object holding it.
    const field =
      err.keyword === 'required'
        ? String(err.params.missingProperty)
        : err.keyword === 'additionalProperties'
          ? String(err.params.additionalProperty)
          : undefined;
    const path = field === undefined ? err.instancePath : `${err.instancePath}/${field}`;
    const message =
      err.keyword === 'required'
        ? 'is required'
        : err.keyword === 'additionalProperties'
          ? 'is not an allowed field'
          : (err.message ?? 'is invalid');
    return {
      nodeId: node && typeof node.id === 'string' ? node.id : null,
      path,
      code: 'SCHEMA',
      message: `${path || 'the flow'} ${message}`,
    };
  });
}

/**
 * How deep a flow file may nest as a whole: the flow, `nodes`, a node and its `params` are 4 levels, so a param's
 * value may nest `MAX_VALUE_DEPTH` levels below its node, and a param too deep is exactly a file too deep there.
 */
const FLOW_DEPTH_ALLOWANCE = 4;

/**
 * A flow nested too deep to store or compare, as one `VALUE_TOO_DEEP` problem naming where: a node's param (`path`
 * `params.<name>`), or the file. Iterative, so it holds however deep the value is. One walk of the file; the params
 * are walked one by one only to name the one at fault.
 */
export function depthProblems(flow: unknown): Problem[] {
  const found = findValueProblem(flow, { maxDepth: MAX_VALUE_DEPTH + FLOW_DEPTH_ALLOWANCE });
  if (!found) return [];
  const nodes = (flow as { nodes?: unknown } | null)?.nodes;
  if (Array.isArray(nodes)) {
    for (const node of nodes) {
      const params = (node as { params?: unknown } | null)?.params;
      if (params === null || typeof params !== 'object' || Array.isArray(params)) continue;
      for (const [name, value] of Object.entries(params)) {
        const deep = findValueProblem(value, { prefix: `params.${name}` });
        if (!deep) continue;
        const id = (node as { id?: unknown }).id;
        return [
          {
            nodeId: typeof id === 'string' ? id : null,
            code: 'VALUE_TOO_DEEP',
            message: `${deep.path} ${deep.message}`,
            path: `params.${name}`,
          },
        ];
      }
    }
  }
  return [
    { nodeId: null, code: 'VALUE_TOO_DEEP', message: `the flow ${found.path} ${found.message}`, path: found.path },
  ];
}

/**
 * Every static problem of a flow at once: schema errors, duplicate ids, unknown kinds, nodes saved by a newer
 * version of their kind, unknown ports, dangling edges, incompatible types, open required inputs, template variables
 * with no input, several edges into a single-valued input, invalid params and cycles (naming the nodes on each).
 * Validate a migrated flow (`migrateFlow`): a node of an older kind version is checked against the current one.
 */
export function validateFlow(flow: unknown, lookup: SpecLookup): Problem[] {
  return inspectFlow(flow, lookup).problems;
}

/** What `inspectFlow` found: the problems, and the resolved ports of each node of a known kind (by node id). */
export interface FlowInspection {
  problems: Problem[];
  ports: Map<string, NodePorts>;
}

/** `validateFlow`, also handing back the ports it resolved, so that compiling a valid flow does not resolve them again. */
export function inspectFlow(flow: unknown, lookup: SpecLookup): FlowInspection {
  const ports = new Map<string, NodePorts>();
  // First, alone: every later check (the schema's included) walks the file recursively.
  const deep = depthProblems(flow);
  if (deep.length > 0) return { problems: deep, ports };
  const schema = schemaProblems(flow);
  if (schema.length > 0) return { problems: schema, ports };
  const file = flow as FlowFile;
  const problems: Problem[] = [];
  const seen = new Set<string>();

  for (const node of file.nodes) {
    if (seen.has(node.id)) {
      problems.push({ nodeId: node.id, code: 'DUPLICATE_NODE_ID', message: `node id "${node.id}" is used twice` });
      continue;
    }
    seen.add(node.id);
    const spec = lookup(node.type);
    if (!spec) {
      problems.push({ nodeId: node.id, code: 'NODE_TYPE_UNKNOWN', message: `unknown node kind "${node.type}"` });
      continue;
    }
    // Saved by a newer version of the kind than this one knows: its params may mean something else here.
    if (node.typeVersion !== undefined && node.typeVersion > spec.version) {
      problems.push({
        nodeId: node.id,
        code: 'NODE_TYPE_VERSION_UNSUPPORTED',
        message: `node "${node.id}" was saved by version ${node.typeVersion} of kind "${node.type}", newer than version ${spec.version} here`,
      });
      continue;
    }
    const resolved = nodePorts(spec, node.params);
    ports.set(node.id, resolved);
    for (const p of paramProblems(spec, resolved.params)) {
      problems.push({
        nodeId: node.id,
        code: 'NODE_PARAM_INVALID',
        message: p.message,
        port: undefined,
        path: `params.${p.param}`,
      });
    }
  }

  const edgeIds = new Set<string>();
  const into = new Map<string, string[]>(); // "node\0port" → source node ids
  const validEdges: { source: string; target: string }[] = [];
  for (const edge of file.edges) {
    if (edgeIds.has(edge.id))
      problems.push({
        nodeId: edge.target,
        edgeId: edge.id,
        code: 'DUPLICATE_EDGE_ID',
        message: `edge id "${edge.id}" is used twice`,
      });
    edgeIds.add(edge.id);
    const from = ports.get(edge.source);
    const to = ports.get(edge.target);
    if (!seen.has(edge.source) || !seen.has(edge.target)) {
      const missing = seen.has(edge.source) ? edge.target : edge.source;
      problems.push({
        nodeId: seen.has(edge.target) ? edge.target : seen.has(edge.source) ? edge.source : null,
        edgeId: edge.id,
        code: 'EDGE_DANGLING',
        message: `edge "${edge.id}" refers to missing node "${missing}"`,
      });
      continue;
    }
    if (!from || !to) continue; // unknown kind, reported above
    const out = from.outputs.get(edge.sourcePort);
    const inp = to.inputs.get(edge.targetPort);
    if (!out) {
      problems.push({
        nodeId: edge.source,
        port: edge.sourcePort,
        edgeId: edge.id,
        code: 'PORT_UNKNOWN',
        message: `node "${edge.source}" has no output "${edge.sourcePort}"`,
      });
    }
    if (!inp) {
      problems.push({
        nodeId: edge.target,
        port: edge.targetPort,
        edgeId: edge.id,
        code: 'PORT_UNKNOWN',
        message: `node "${edge.target}" has no input "${edge.targetPort}"`,
      });
    }
    if (!out || !inp) continue;
    const typeProblem = connectProblem(out.dataType, inp.dataType);
    if (typeProblem) {
      problems.push({
        nodeId: edge.target,
        port: edge.targetPort,
        edgeId: edge.id,
        code: 'TYPE_MISMATCH',
        message: `${edge.source}.${edge.sourcePort} → ${edge.target}.${edge.targetPort}: ${typeProblem}`,
      });
    }
    const key = `${edge.target}\0${edge.targetPort}`;
    const sources = into.get(key);
    if (sources) sources.push(edge.source);
    else into.set(key, [edge.source]);
    validEdges.push({ source: edge.source, target: edge.target });
  }

  const branchingAncestry = branchingReach(file, ports, validEdges);
  for (const node of file.nodes) {
    const p = ports.get(node.id);
    if (!p) continue;
    for (const port of p.inputs.values()) {
      const sources = into.get(`${node.id}\0${port.name}`) ?? [];
      if (sources.length === 0 && port.required) {
        const derived = !p.spec.inputs.some((fixed) => fixed.name === port.name);
        problems.push({
          nodeId: node.id,
          port: port.name,
          code: derived ? 'TEMPLATE_VARIABLE_UNBOUND' : 'INPUT_REQUIRED',
          message: derived
            ? `{{${port.name}}} in the template of "${node.id}" has no input connected`
            : `required input "${port.name}" of "${node.id}" is not connected`,
        });
      }
      // Several edges into a single-valued input are fine only when they come from alternative branches.
      if (sources.length > 1 && !port.multiple && !sources.every((s) => branchingAncestry.has(s))) {
        problems.push({
          nodeId: node.id,
          port: port.name,
          code: 'INPUT_MULTIPLE',
          message: `input "${port.name}" of "${node.id}" takes one edge but has ${sources.length}`,
        });
      }
    }
  }

  for (const cycle of findCycles(
    file.nodes.map((n) => n.id),
    validEdges,
  )) {
    const names = cycle.map((id) => `"${id}"`).join(' → ');
    for (const id of cycle) problems.push({ nodeId: id, code: 'CYCLE', message: `cycle: ${names} → "${cycle[0]}"` });
  }
  return { problems, ports };
}

/** Nodes that are, or descend from, a branching node: their values may not arrive. */
function branchingReach(
  flow: FlowFile,
  ports: Map<string, NodePorts>,
  edges: { source: string; target: string }[],
): Set<string> {
  const reach = new Set<string>();
  const stack = flow.nodes.filter((n) => ports.get(n.id)?.spec.branching).map((n) => n.id);
  if (stack.length === 0) return reach;
  const next = new Map<string, string[]>();
  for (const e of edges) {
    const targets = next.get(e.source);
    if (targets) targets.push(e.target);
    else next.set(e.source, [e.target]);
  }
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (reach.has(id)) continue;
    reach.add(id);
    stack.push(...(next.get(id) ?? []));
  }
  return reach;
}

/**
 * Strongly connected components with more than one node (or a self-loop), via Tarjan's algorithm, each in the order
 * its nodes were reached. Iterative, over node indexes, so long chains neither overflow the call stack nor cost a
 * map lookup per step. Edges naming an id not in `ids` are ignored (such a node can be on no cycle).
 */
export function findCycles(ids: readonly string[], edges: readonly { source: string; target: string }[]): string[][] {
  const count = ids.length;
  const position = new Map<string, number>();
  for (let i = 0; i < count; i++) if (!position.has(ids[i] as string)) position.set(ids[i] as string, i);
  // Each node's targets, in the order of its edges: `targets[first[v]]` up to `targets[first[v + 1]]`.
  const first = new Int32Array(count + 1);
  const sources = new Int32Array(edges.length);
  const ends = new Int32Array(edges.length);
  const selfLoop = new Uint8Array(count);
  for (let e = 0; e < edges.length; e++) {
    const edge = edges[e] as { source: string; target: string };
    const source = position.get(edge.source) ?? -1;
    const target = position.get(edge.target) ?? -1;
    sources[e] = target < 0 ? -1 : source;
    ends[e] = target;
    if (source < 0 || target < 0) continue;
    first[source + 1] = (first[source + 1] as number) + 1;
    if (source === target) selfLoop[source] = 1;
  }
  for (let v = 0; v < count; v++) first[v + 1] = (first[v + 1] as number) + (first[v] as number);
  const targets = new Int32Array(first[count] as number);
  const fill = first.slice(0, count);
  for (let e = 0; e < edges.length; e++) {
    const source = sources[e] as number;
    if (source < 0) continue;
    const at = fill[source] as number;
    targets[at] = ends[e] as number;
    fill[source] = at + 1;
  }

  const index = new Int32Array(count).fill(-1);
  const low = new Int32Array(count);
  const onStack = new Uint8Array(count);
  const stack = new Int32Array(count);
  // The depth-first path: a node and the offset of its next target to follow.
  const pathNode = new Int32Array(count);
  const pathNext = new Int32Array(count);
  const cycles: string[][] = [];
  let counter = 0;
  let top = 0;
  let depth = 0;
  const enter = (v: number): void => {
    index[v] = counter;
    low[v] = counter++;
    stack[top++] = v;
    onStack[v] = 1;
    pathNode[depth] = v;
    pathNext[depth++] = first[v] as number;
  };
  for (let root = 0; root < count; root++) {
    if (index[root] !== -1 || position.get(ids[root] as string) !== root) continue;
    enter(root);
    while (depth > 0) {
      const v = pathNode[depth - 1] as number;
      const next = pathNext[depth - 1] as number;
      if (next < (first[v + 1] as number)) {
        pathNext[depth - 1] = next + 1;
        const target = targets[next] as number;
        if (index[target] === -1) enter(target);
        else if (onStack[target] === 1) low[v] = Math.min(low[v] as number, index[target] as number);
        continue;
      }
      depth--;
      if (depth > 0) {
        const parent = pathNode[depth - 1] as number;
        low[parent] = Math.min(low[parent] as number, low[v] as number);
      }
      if (low[v] === index[v]) {
        const component: string[] = [];
        let member: number;
        do {
          member = stack[--top] as number;
          onStack[member] = 0;
          component.push(ids[member] as string);
        } while (member !== v);
        if (component.length > 1 || selfLoop[v] === 1) cycles.push(component.reverse());
      }
    }
  }
  return cycles;
}
